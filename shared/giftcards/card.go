package giftcards

import "time"

// State is where a card is in its life.
type State string

// Card states: PENDING until its first load (issued, or never seen: a
// printed card's first load creates it ACTIVE), ACTIVE after, DEACTIVATED
// for good (lost, stolen, fraud).
const (
	Pending     State = "PENDING"
	Active      State = "ACTIVE"
	Deactivated State = "DEACTIVATED"
)

// Kind is what an activity did to a card.
type Kind string

// Activity kinds.
const (
	Load       Kind = "LOAD"       // sold onto the card (activates it)
	Redeem     Kind = "REDEEM"     // spent as a payment
	Refund     Kind = "REFUND"     // a refund paid back onto the card
	Adjust     Kind = "ADJUST"     // a manager's correction, with a reason
	Deactivate Kind = "DEACTIVATE" // the card stopped; amount 0, the balance stays owed
	CashOut    Kind = "CASH_OUT"   // 払戻し recorded as the law's exception
)

// Card is one gift card of a tenant.
type Card struct {
	Number     string
	State      State
	Balance    int64 // yen; below zero only after offline redemptions
	CustomerID string
	IssuedAt   time.Time
	// ExpiresAt is set at activation (the first load); zero while PENDING.
	ExpiresAt time.Time
	// FlaggedAt is when an offline redemption took the balance below zero.
	FlaggedAt time.Time
	Version   int64
	UpdatedAt time.Time
	// Currency is the tenant's (set by the service when it answers a card).
	Currency string
}

// Flagged reports whether the card needs a look: spent below zero offline.
func (c Card) Flagged() bool { return c.Balance < 0 || !c.FlaggedAt.IsZero() }

// Expired reports whether the card is past its expiry at now.
func (c Card) Expired(now time.Time) bool { return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) }

// Spendable reports whether the card can pay at now: active and not expired.
func (c Card) Spendable(now time.Time) bool { return c.State == Active && !c.Expired(now) }

// Activity is one entry of a card's ledger.
type Activity struct {
	ID     string
	Kind   Kind
	Amount int64 // signed: what the balance changed by
	// BalanceAfter is known when the writer read the card and conditioned
	// on its version; a commutative ADD (a sale's load or redemption) does
	// not know it, and HasBalanceAfter is false.
	BalanceAfter    int64
	HasBalanceAfter bool
	By              string // user or API key id
	LocationID      string
	RegisterID      string
	At              time.Time
	OrderID         string
	RefundID        string
	Reason          string
}
