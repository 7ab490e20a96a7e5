package sales

import (
	"context"

	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/inventory"
)

// SaleQuery is what a checkout reads before writing.
type SaleQuery struct {
	LocationID  string
	CustomerID  string // "" for none
	VariantIDs  []string
	Idempotency idempotency.Request
}

// Loaded is the result of the read: the snapshot, or the id of the order a
// previous request with the same key and input created.
type Loaded struct {
	Snapshot      Snapshot
	LocationFound bool
	CustomerFound bool
	ReplayOrderID string // set when the key was already used with this input
	OrderSeq      int64  // the location's last order sequence number (0: none yet)
}

// StaleError is SaveSale's answer when something the sale was computed from
// changed meanwhile: another sale at the location took the next order
// number (Seq is then the number it took), or stock levels moved (Levels
// holds their current state, by variant id; a level that does not exist is
// absent). Nothing was written.
type StaleError struct {
	Seq    *int64
	Levels map[string]inventory.StockLevel
}

func (e *StaleError) Error() string { return "order counter or stock moved" }

// Store persists sales. Every method acts on the tenant in ctx.
type Store interface {
	// LoadSale reads the tenant, location, customer, variants, stock levels,
	// order counter and the idempotency record in one batched read. A key
	// used with another request is IDEMPOTENCY_KEY_REUSED.
	LoadSale(ctx context.Context, q SaleQuery) (Loaded, error)
	// SaveSale writes, in one transaction, the idempotency record, the
	// order, its order.completed event, the location's order counter (moved
	// from seq-1 to seq, the order's number) and, per decrement, the new
	// stock level (conditioned on the version read) with its
	// inventory.changed event. The record is written only if none exists (the
	// LoadSale found none); if one was written meanwhile with the same
	// request it returns that order's id and replayed=true, read from the
	// cancellation without another lookup; if the counter or a level moved, a
	// *StaleError.
	SaveSale(ctx context.Context, s Sale, seq int64, idem idempotency.Request) (orderID string, replayed bool, err error)
	GetOrder(ctx context.Context, id string) (Order, error)
	// ListOrders returns orders newest first, and the cursor of the next page ("" when none).
	ListOrders(ctx context.Context, f OrderFilter, first int, after string) ([]Order, string, error)
	CreateCustomer(ctx context.Context, c Customer) error
	GetCustomers(ctx context.Context, ids []string) ([]Customer, error)
	ListCustomers(ctx context.Context, query string, first int, after string) ([]Customer, string, error)
}
