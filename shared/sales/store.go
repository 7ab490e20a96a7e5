package sales

import (
	"context"
	"time"
)

// Idempotency names one retryable checkout: the client's key and the hash of
// its request.
type Idempotency struct {
	Key         string
	RequestHash string
}

// SaleQuery is what a checkout reads before writing.
type SaleQuery struct {
	LocationID  string
	CustomerID  string // "" for none
	VariantIDs  []string
	Idempotency Idempotency
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

// ShortageError is SaveSale's answer when stock conditions failed: the
// decrements that could not be taken.
type ShortageError struct{ Short []StockDecrement }

func (e *ShortageError) Error() string { return "not enough stock" }

// StaleSequenceError is SaveSale's answer when another sale at the location
// took the next order number first; Current is the number it took.
type StaleSequenceError struct{ Current int64 }

func (e *StaleSequenceError) Error() string { return "order sequence moved" }

// OrderFilter narrows a listing of orders.
type OrderFilter struct {
	LocationID string
	From, To   time.Time // zero: unbounded
	Status     OrderStatus
	CustomerID string
}

// Store persists sales. Every method acts on the tenant in ctx.
type Store interface {
	// LoadSale reads the tenant, location, customer, variants and the
	// idempotency record in one batched read. A key used with another
	// request is IDEMPOTENCY_KEY_REUSED.
	LoadSale(ctx context.Context, q SaleQuery) (Loaded, error)
	// SaveSale writes the order, its stock decrements, the idempotency
	// record, the order.completed event and the location's order counter
	// (moved from seq-1 to seq, the order's number) in one transaction. If
	// the key was used meanwhile with the same request it returns that
	// order's id and replayed=true; failed stock conditions are a
	// *ShortageError; a counter that moved is a *StaleSequenceError.
	SaveSale(ctx context.Context, s Sale, seq int64, idem Idempotency, allowNegativeStock bool) (orderID string, replayed bool, err error)
	GetOrder(ctx context.Context, id string) (Order, error)
	// ListOrders returns orders newest first, and the cursor of the next page ("" when none).
	ListOrders(ctx context.Context, f OrderFilter, first int, after string) ([]Order, string, error)
	CreateCustomer(ctx context.Context, c Customer) error
	GetCustomers(ctx context.Context, ids []string) ([]Customer, error)
	ListCustomers(ctx context.Context, query string, first int, after string) ([]Customer, string, error)
}
