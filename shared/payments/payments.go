// Package payments is what renkei needs from a card processor: a connected
// account per tenant (Stripe Connect), a Terminal location per store,
// PaymentIntents for card sales, refunds, and verified webhook events. The
// domain packages depend on the Gateway interface only; shared/stripepay
// implements it against Stripe (stripe-go, an injected client) and a
// clearly labelled local simulator implements it when no Stripe key is set.
package payments

import (
	"context"
	"time"
)

// Gateway is the card processor. Every method that creates something takes
// an idempotency key, so a client retry never charges or refunds twice.
// A declined card is an *apperr.Error with code PAYMENT_DECLINED; an outage
// or timeout is UNAVAILABLE.
type Gateway interface {
	// CreateAccount creates the tenant's connected account.
	CreateAccount(ctx context.Context, req AccountRequest) (Account, error)
	// OnboardingLink returns the hosted onboarding URL for an account.
	OnboardingLink(ctx context.Context, accountID string) (string, error)
	// CreateTerminalLocation creates the Terminal location of a store.
	CreateTerminalLocation(ctx context.Context, req TerminalLocationRequest) (string, error)
	// ConnectionToken returns a Terminal connection token secret for a
	// device SDK at a Terminal location.
	ConnectionToken(ctx context.Context, accountID, terminalLocationID string) (string, error)
	// CreateIntent creates a PaymentIntent on the connected account (a
	// direct charge with an application fee); with a PaymentMethodID it is
	// confirmed at once (card not present).
	CreateIntent(ctx context.Context, req IntentRequest) (Intent, error)
	// CancelIntent cancels an intent that has not succeeded.
	CancelIntent(ctx context.Context, accountID, intentID, idempotencyKey string) (Intent, error)
	// Refund refunds part or all of a succeeded intent.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
	// ParseEvent verifies a webhook's signature (300 s tolerance) and
	// decodes the event; a forged or stale signature is INVALID.
	ParseEvent(payload []byte, signatureHeader string, now time.Time) (Event, error)
}

// AccountRequest asks for a tenant's connected account.
type AccountRequest struct {
	TenantID       string
	BusinessName   string
	Country        string // ISO 3166-1 alpha-2, "JP"
	IdempotencyKey string
}

// Account is a connected account and whether it may take card payments.
type Account struct {
	ID             string
	ChargesEnabled bool
	// AsOf is when the processor reported this state: the account.updated
	// event's Created (zero on CreateAccount's answer). Updates apply only
	// when newer than the state stored, so late events change nothing.
	AsOf time.Time
}

// TerminalLocationRequest asks for a store's Terminal location.
type TerminalLocationRequest struct {
	AccountID      string
	LocationID     string // renkei's location id, stored as metadata
	DisplayName    string
	IdempotencyKey string
}

// IntentRequest asks for a card payment of Amount minor units.
type IntentRequest struct {
	AccountID      string
	Amount         int64
	Currency       string // ISO 4217, lower or upper case
	ApplicationFee int64  // minor units kept by the platform
	// PaymentMethodID, when set, confirms the intent at once.
	PaymentMethodID string
	// CardPresent asks for a Terminal (card_present) intent.
	CardPresent    bool
	IdempotencyKey string
	// Metadata travels with the intent and comes back in its webhooks:
	// renkei sets tenant_id and order_id.
	Metadata map[string]string
}

// IntentStatus is a PaymentIntent's status as Stripe names it.
type IntentStatus string

// The statuses renkei acts on.
const (
	IntentSucceeded             IntentStatus = "succeeded"
	IntentRequiresPaymentMethod IntentStatus = "requires_payment_method"
	IntentRequiresConfirmation  IntentStatus = "requires_confirmation"
	IntentRequiresAction        IntentStatus = "requires_action"
	IntentProcessing            IntentStatus = "processing"
	IntentRequiresCapture       IntentStatus = "requires_capture"
	IntentCanceled              IntentStatus = "canceled"
)

// Intent is a PaymentIntent.
type Intent struct {
	ID           string
	Status       IntentStatus
	Amount       int64
	ClientSecret string
	// DeclineCode is set when the last attempt was declined.
	DeclineCode string
	Metadata    map[string]string
}

// RefundRequest asks to refund Amount minor units of an intent.
type RefundRequest struct {
	AccountID       string
	PaymentIntentID string
	Amount          int64
	IdempotencyKey  string
	Metadata        map[string]string
}

// RefundResult is a refund as the processor recorded it.
type RefundResult struct {
	ID     string
	Status string // succeeded, pending, failed
	Amount int64
}

// EventType is a webhook event's type.
type EventType string

// The webhook events renkei handles; others are acknowledged and ignored.
const (
	EventIntentSucceeded EventType = "payment_intent.succeeded"
	EventIntentFailed    EventType = "payment_intent.payment_failed"
	EventIntentCanceled  EventType = "payment_intent.canceled"
	EventAccountUpdated  EventType = "account.updated"
)

// Event is a verified webhook event.
type Event struct {
	ID        string // evt_…: the dedupe key
	Type      EventType
	Created   time.Time
	AccountID string // the connected account the event is about
	// Intent is set for payment_intent.* events.
	Intent *Intent
	// Account is set for account.updated.
	Account *Account
}
