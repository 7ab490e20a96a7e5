// Package inventory is the stock ledger: one stock level per (location,
// variant). Every change of a level increments its version and records on
// the level what changed (reason, delta, reference); each such state becomes
// one `inventory.changed` event carrying the new on-hand and version, so
// downstream copies (EC shops) can keep only the newest.
package inventory

import (
	"time"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// StockLevel is the on-hand quantity of a variant at a location. A level
// never written is 0 with version 0.
type StockLevel struct {
	LocationID string
	VariantID  string
	OnHand     int64
	Version    int64 // incremented by every change
	UpdatedAt  time.Time
	// OversoldAt is when an offline sale took the level below zero; zero
	// when none did since the level was last set to a counted value.
	OversoldAt time.Time
}

// LevelKey names one stock level.
type LevelKey struct {
	LocationID string
	VariantID  string
}

// Key returns the level's key.
func (l StockLevel) Key() LevelKey { return LevelKey{LocationID: l.LocationID, VariantID: l.VariantID} }

// Limits of one request. A change writes one transaction action (its level)
// and a transfer line two; with the idempotency record a transaction stays
// well within DynamoDB's 100 actions, and the batched read before it (a
// level, a variant per change, per side of a transfer) within a few calls.
// The limits date from when each level also took an outbox event action;
// raising them is an API change of its own.
const (
	MaxAdjustChanges  = 49   // 49 + 1 = 50 actions
	MaxTransferLines  = 24   // 2 × 24 + 1 = 49 actions
	MaxReadVariants   = 100  // variantIds of one inventory query
	MaxLocationLevels = 5000 // levels returned by an inventory query without variantIds
	// MaxQuantity bounds |delta|, setTo and a transfer quantity.
	MaxQuantity = 1_000_000_000
	// MaxOnHand bounds the magnitude of a level, far inside what every JSON
	// client reads exactly (2^53).
	MaxOnHand = 1_000_000_000_000
)

// Reason says why stock changed; it travels in the inventory.changed event.
type Reason string

// The reasons a client gives for an adjustment.
const (
	ReasonReceived Reason = "RECEIVED"
	ReasonCount    Reason = "COUNT"
	ReasonDamaged  Reason = "DAMAGED"
	ReasonLost     Reason = "LOST"
	ReasonReturned Reason = "RETURNED"
	ReasonOther    Reason = "OTHER"
)

// The reasons the ledger records for the two sides of a transfer.
const (
	ReasonTransferOut Reason = "TRANSFER_OUT"
	ReasonTransferIn  Reason = "TRANSFER_IN"
)

// ReasonSale is recorded for the stock a checkout takes.
const ReasonSale Reason = "SALE"

// ReasonRefund is recorded for the units a refund puts back (reference: the
// refund id).
const ReasonRefund Reason = "REFUND"

// ValidAdjustment reports whether r is a reason a client may give.
func (r Reason) ValidAdjustment() bool {
	switch r {
	case ReasonReceived, ReasonCount, ReasonDamaged, ReasonLost, ReasonReturned, ReasonOther:
		return true
	}
	return false
}

// Change is one line of an adjustment: exactly one of Delta and SetTo.
type Change struct {
	VariantID string
	Delta     *int64 // added to the level
	SetTo     *int64 // the counted quantity
	Reason    Reason
}

// AdjustInput changes stock levels at one location.
type AdjustInput struct {
	IdempotencyKey string
	LocationID     string
	Changes        []Change
}

// TransferLine moves a quantity of one variant.
type TransferLine struct {
	VariantID string
	Quantity  int64
}

// TransferInput moves stock from one location to another.
type TransferInput struct {
	IdempotencyKey string
	FromLocationID string
	ToLocationID   string
	Lines          []TransferLine
}

// Stock is the answer of a read or a write: levels, and the locations they
// are at and the ledger's view of their variants (for display).
type Stock struct {
	Levels    []StockLevel
	Locations map[string]tenant.Location
	Variants  map[string]Variant
}
