package sales

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Offline sales: sales a register took while it could not reach the API,
// sent later in one batch. Each is its own result; each is checked and
// priced exactly like a checkout (Validate, Price), but a sale that already
// happened is never refused for stock: its takes always apply, and a level
// they take below zero is marked oversold. Likewise its GIFT_CARD payments
// always apply to the card (whatever its state, expiry or balance): a
// balance taken below zero flags the card. Only a card the tenant does not
// have rejects the sale. Gift card loads are not sold offline.

// OpOfflineSale scopes offline sales' idempotency keys (their clientSaleId).
const OpOfflineSale = "offlineSale"

// Bounds of a sync. A sale may be dated at most OfflineFutureSkew ahead of
// the server's clock (device clocks drift) and at most OfflineMaxAge back: a
// device that stayed offline longer has its sales entered by hand, and the
// idempotency record (kept IdempotencyTTL ≥ 7 days from the sync) must
// outlive any retry of the sync, not of the sale.
const (
	MaxOfflineSales   = 500
	OfflineFutureSkew = 5 * time.Minute
	OfflineMaxAge     = 30 * 24 * time.Hour
)

// MaxOfflineSaleErrors is the most userErrors one sale's result carries
// (the first ones found): a sync's answer is priced for 500 results.
const MaxOfflineSaleErrors = 5

// OfflineStatus is one sale's result.
type OfflineStatus string

// The results of the contract.
const (
	OfflineCreated   OfflineStatus = "CREATED"
	OfflineDuplicate OfflineStatus = "DUPLICATE"
	OfflineRejected  OfflineStatus = "REJECTED"
)

// OfflineSaleInput is one sale as the register recorded it. A CARD payment
// was captured on the device: its Reference is the PaymentIntent id; it is
// recorded, never charged again.
type OfflineSaleInput struct {
	ClientSaleID  string
	OccurredAt    time.Time
	LocationID    string
	RegisterID    string // as in CheckoutInput
	Lines         []CheckoutLine
	OrderDiscount *DiscountInput
	CustomerID    string
	Payments      []PaymentInput
}

// OfflineResult is what became of one sale. Order is set for CREATED and
// DUPLICATE (the order the first sync created).
type OfflineResult struct {
	ClientSaleID string
	Status       OfflineStatus
	Order        *Order
	Errors       apperr.List
}

// checkout is the sale as a checkout, for the checkout's rules. A card
// captured offline is a tender with a required reference — EXTERNAL's rule —
// so it is validated and priced as one and turned back into CARD after.
func (in OfflineSaleInput) checkout() CheckoutInput {
	co := CheckoutInput{IdempotencyKey: in.ClientSaleID, LocationID: in.LocationID, RegisterID: in.RegisterID, Lines: in.Lines,
		OrderDiscount: in.OrderDiscount, CustomerID: in.CustomerID, Payments: make([]PaymentInput, len(in.Payments))}
	copy(co.Payments, in.Payments)
	co.normalizeGiftCards()
	for i, p := range co.Payments {
		if p.Method == Card {
			co.Payments[i].Method = External
		}
	}
	return co
}

// Validate checks the sale's shape as checkout does, plus its date
// (OfflineFutureSkew, OfflineMaxAge) and, for a captured card, that it
// names no payment method to charge.
func (in OfflineSaleInput) Validate(now time.Time) error {
	var errs apperr.List
	if err := in.checkout().Validate(); err != nil {
		var l apperr.List
		if !errors.As(err, &l) {
			return err
		}
		for _, e := range l {
			if len(e.Field) == 2 && e.Field[1] == "idempotencyKey" {
				e.Field = path("clientSaleId")
				e.Message = "clientSaleId must be 1 to 128 characters without control characters"
			}
		}
		errs = l
	}
	switch {
	case in.OccurredAt.After(now.Add(OfflineFutureSkew)):
		errs.Add(apperr.Invalid, "occurredAt is in the future", path("occurredAt")...)
	case in.OccurredAt.Before(now.Add(-OfflineMaxAge)):
		errs.Add(apperr.Invalid, fmt.Sprintf("occurredAt is more than %d days ago", int(OfflineMaxAge.Hours()/24)), path("occurredAt")...)
	}
	for i, p := range in.Payments {
		if p.Method == Card && p.PaymentMethodID != "" {
			errs.Add(apperr.Invalid, "a card captured offline names its PaymentIntent as reference, not a payment method to charge", path("payments", i, "paymentMethodId")...)
		}
	}
	return errs.Err()
}

// Request is the sale as an idempotent request under its clientSaleId.
func (in OfflineSaleInput) Request() idempotency.Request {
	lines := make([]idempotency.Fields, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = idempotency.Fields{"variantId": l.VariantID, "quantity": l.Quantity, "discount": discountFields(l.Discount)}
	}
	payments := make([]idempotency.Fields, len(in.Payments))
	for i, p := range in.Payments {
		payments[i] = idempotency.Fields{"method": string(p.Method), "amount": moneyFields(&p.Amount), "tendered": moneyFields(p.Tendered),
			"paymentMethodId": p.PaymentMethodID, "reference": p.Reference}
		if p.GiftCardNumber != "" { // absent otherwise: sales sent before gift cards hash as they did
			payments[i]["giftCardNumber"] = p.GiftCardNumber
		}
	}
	return idempotency.New(OpOfflineSale, in.ClientSaleID, idempotency.Fields{
		"occurredAt": in.OccurredAt.UTC().Format(time.RFC3339Nano), "locationId": in.LocationID, "registerId": in.RegisterID,
		"customerId": in.CustomerID, "lines": lines, "orderDiscount": discountFields(in.OrderDiscount), "payments": payments,
	})
}

// OfflineQuery is what a sync reads before writing, in one batched read.
type OfflineQuery struct {
	LocationIDs []string
	RegisterIDs []string // well-formed register ids
	CustomerIDs []string
	VariantIDs  []string
	Levels      []inventory.LevelKey
	Requests    []idempotency.Request // one per distinct clientSaleId
}

// Replay is a stored idempotency record met by a request: the id of what
// the same request created (an order, a close), or (Err)
// IDEMPOTENCY_KEY_REUSED for another request.
type Replay struct {
	ID  string
	Err error
}

// OfflineLoaded is the read of a sync. Missing ids are absent from the maps.
type OfflineLoaded struct {
	Tenant    tenant.Tenant
	Locations map[string]tenant.Location
	Registers map[string]RegisterState
	Customers map[string]Customer
	Variants  map[string]catalog.Variant
	Levels    map[inventory.LevelKey]inventory.StockLevel
	Replays   map[string]Replay // by clientSaleId
}

// OfflineWrite is one priced sale and its request.
type OfflineWrite struct {
	Sale        Sale
	Idempotency idempotency.Request
}

// OfflineGroup is sales of one register written in one transaction: they
// take the numbers Register.Seq+1 … Register.Seq+len(Sales), in order, with
// one update of the register's sequence conditioned on Register.Seq.
type OfflineGroup struct {
	Register RegisterState
	Sales    []OfflineWrite
}

// OfflineConflict is SaveOfflineGroup's answer when the group's transaction
// was cancelled and nothing was written: the register moved (Register is its
// state now, nil when gone), and/or records of some sales' keys exist
// (Replays, by index in the group).
type OfflineConflict struct {
	RegisterMoved bool
	Register      *RegisterState
	Replays       map[int]Replay
	// Rejected are sales (by index in the group) that cannot be written
	// whatever is retried: a GIFT_CARD payment naming a card the tenant
	// does not have.
	Rejected map[int]error
}

func (e *OfflineConflict) Error() string { return "offline group cancelled" }

// OfflineStore persists offline sales. Every method acts on the tenant in ctx.
type OfflineStore interface {
	LoadOffline(ctx context.Context, q OfflineQuery) (OfflineLoaded, error)
	// SaveOfflineGroup writes the group in one transaction: per sale its
	// idempotency record (written at now), order and order.completed event;
	// the register's sequence; one unconditional take per stock level the
	// group sells. A cancelled transaction is an *OfflineConflict.
	SaveOfflineGroup(ctx context.Context, g OfflineGroup, now time.Time) error
	// GetOrders reads orders by id; missing ones are absent.
	GetOrders(ctx context.Context, ids []string) (map[string]Order, error)
	// MarkOversold marks the levels that are below zero now as oversold.
	MarkOversold(ctx context.Context, levels []inventory.LevelKey, at time.Time) error
	// MarkGiftCardsFlagged flags the cards (by number) whose balance is
	// below zero now.
	MarkGiftCardsFlagged(ctx context.Context, numbers []string, at time.Time) error
}

// maxGroupActions is DynamoDB's limit of actions in one transaction; a
// sale takes 3 (record, order, event) and 3 per gift card it spends (the
// card, its activity, its event), its group 1 (the register) and 1 per
// distinct level the group sells (takes of one level are merged). A card
// is written once per transaction: a sale spending a card the group
// already spends starts the next group.
const (
	maxGroupActions = 100
	actionsPerSale  = 3
)

// sellAt is one sale's place in a sync.
type sellAt struct {
	index int
	write OfflineWrite
}

// SyncOfflineSales records sales taken offline: more than MaxOfflineSales
// is INVALID as a whole; otherwise each sale gets its own result.
func (s *Service) SyncOfflineSales(ctx context.Context, in []OfflineSaleInput) ([]OfflineResult, error) {
	return s.syncOffline(ctx, in)
}

// errorsAt moves a checkout's field paths under input.sales.<i>.
func errorsAt(err error, i int) apperr.List {
	l, ok := apperr.Expected(err)
	if !ok {
		l = apperr.List{apperr.New(apperr.Invalid, "the sale could not be recorded")}
	}
	l = l[:min(len(l), MaxOfflineSaleErrors)]
	out := make(apperr.List, len(l))
	for j, e := range l {
		c := *e
		f := []string{"input", "sales", strconv.Itoa(i)}
		if len(c.Field) > 0 && c.Field[0] == "input" {
			f = append(f, c.Field[1:]...)
		}
		c.Field = f
		out[j] = &c
	}
	return out
}
