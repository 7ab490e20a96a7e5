package sales

import (
	"context"
	"time"

	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// SaleQuery is what a checkout reads before writing.
type SaleQuery struct {
	LocationID  string
	RegisterID  string // a well-formed register id (its key is derived from it)
	CustomerID  string // "" for none
	VariantIDs  []string
	Idempotency idempotency.Request
	// GiftCardCaller, set when the sale names a gift card, reads the
	// caller's count of look-ups by number in the window starting at
	// GiftCardWindow (giftcards.CallerKey, DefaultLookupPolicy).
	GiftCardCaller string
	GiftCardWindow time.Time
}

// RegisterState is the register a sale is numbered at, as stored.
type RegisterState struct {
	Register tenant.Register
	Seq      int64 // the register's last order sequence (0: none yet)
}

// Loaded is the result of the read: the snapshot, or the id of the order a
// previous request with the same key and input created.
type Loaded struct {
	Snapshot      Snapshot
	LocationFound bool
	CustomerFound bool
	Register      *RegisterState // nil: no such register in the tenant
	ReplayOrderID string         // set when the key was already used with this input
	// GiftCardLookups is the caller's look-ups by number in the window
	// (SaleQuery.GiftCardCaller; 0 when not asked).
	GiftCardLookups int
}

// StaleError is SaveSale's answer when something the sale was computed from
// changed meanwhile, and nothing was written. RegisterMoved: the register
// did not have the sequence read (another sale there took the number), was
// deactivated, or is gone; Register is then its current state (nil: gone).
// Levels holds, by variant id, the current state of each level that could
// not take the sale's quantity without going below zero (a level never
// written is its zero level).
type StaleError struct {
	RegisterMoved bool
	Register      *RegisterState
	Levels        map[string]inventory.StockLevel
}

func (e *StaleError) Error() string { return "register moved or stock short" }

// Store persists sales. Every method acts on the tenant in ctx.
type Store interface {
	// LoadSale reads the tenant, location, register, customer, variants,
	// stock levels and the idempotency record in one batched read. A key
	// used with another request is IDEMPOTENCY_KEY_REUSED.
	LoadSale(ctx context.Context, q SaleQuery) (Loaded, error)
	// SaveSale writes, in one transaction, the idempotency record, the
	// order, its order.completed event, the register's sequence (moved from
	// seq-1 to seq, the order's number, only while the register is active)
	// and the sale's takes of stock (s.Takes(): commutative, refused only
	// when a level would go below zero). The record is written only if none
	// exists (the LoadSale found none); if one was written meanwhile with
	// the same request it returns that order's id and replayed=true, read
	// from the cancellation without another lookup; if the register moved or
	// stock is short, a *StaleError.
	SaveSale(ctx context.Context, s Sale, seq int64, idem idempotency.Request) (orderID string, replayed bool, err error)
	GetOrder(ctx context.Context, id string) (Order, error)
	// ListOrders returns orders newest first, and the cursor of the next page ("" when none).
	ListOrders(ctx context.Context, f OrderFilter, first int, after string) ([]Order, string, error)
	CreateCustomer(ctx context.Context, c Customer) error
	GetCustomers(ctx context.Context, ids []string) ([]Customer, error)
	ListCustomers(ctx context.Context, query string, first int, after string) ([]Customer, string, error)
}
