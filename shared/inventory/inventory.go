// Package inventory is the stock ledger: one stock level per (location,
// variant), changed only by transactions that also write an
// `inventory.changed` outbox event carrying the new on-hand and the level's
// version, so downstream copies (EC shops) can keep only the newest.
package inventory

import "time"

// StockLevel is the on-hand quantity of a variant at a location. A level
// never written is 0 with version 0.
type StockLevel struct {
	LocationID string
	VariantID  string
	OnHand     int64
	Version    int64 // incremented by every change
	UpdatedAt  time.Time
}
