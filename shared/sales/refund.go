package sales

import (
	"fmt"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/text"
)

// OpRefund scopes refund idempotency keys.
const OpRefund = "refund"

// MaxRefunds is the most refunds one order takes: the order item keeps a
// summary of each (Order.refunds is served from it), and the GraphQL cost
// model prices Order.refunds at this bound.
const MaxRefunds = 100

// reason is the rule of a refund's free-text reason: optional, at most 500
// characters on one line.
var reason = text.Rule{What: "reason", Min: 0, Max: 500}

// RefundLineInput asks to refund Quantity units of one order line.
type RefundLineInput struct {
	LineID   string
	Quantity int64
}

// RefundInput is a refund as the back office sends it.
type RefundInput struct {
	IdempotencyKey string
	OrderID        string
	Lines          []RefundLineInput
	// Restock returns the refunded units of tracked variants to the order's
	// location.
	Restock bool
	Reason  string // "" for none
	// ToGiftCardNumber pays the whole refund onto this gift card instead
	// of back the way the sale was paid (store credit); "" for the default:
	// each payment's part goes back by its method, a GIFT_CARD payment's
	// onto the card it spent.
	ToGiftCardNumber string
}

// Refund is money (and maybe stock) given back for units of an order. Its
// amounts are in the order's currency and price basis. Taxes has one row per
// rate the refunded lines are taxed at: Taxable is the refund's base at that
// rate (its lines' amounts; tax included when prices include tax), Tax the
// tax on it (see PlanRefund for how the sum over an order's refunds stays
// exactly the order's).
type Refund struct {
	ID               string
	OrderID          string
	OrderNumber      string
	LocationID       string
	RegisterID       string // the drawer cash went out of (see Service.Refund)
	StaffID          string
	APIKeyID         string
	Reason           string
	Restock          bool
	Currency         string
	PricesIncludeTax bool
	Amount           int64 // what goes back to the customer: the tenders' sum
	TaxTotal         int64
	Lines            []RefundLine
	Taxes            []TaxLine
	Tenders          []RefundTender
	CreatedAt        time.Time
	BusinessDate     string // YYYY-MM-DD of CreatedAt in the location's timezone
}

// RefundLine is the refunded part of one order line.
type RefundLine struct {
	LineID         string
	VariantID      string
	SKU            string
	Name           string
	Quantity       int64
	Amount         int64 // the line total's share for these units (see PlanRefund)
	TaxCategory    tax.Category
	TaxRatePercent int
	Restocked      bool // the units went back to the location's stock
}

// RefundTender is the part of a refund that goes back through one of the
// order's payments, the way it was paid.
type RefundTender struct {
	PaymentID string
	Method    PaymentMethod
	Amount    int64
	// Reference is the processor's refund id for CARD, the payment's own
	// reference for EXTERNAL, "" for CASH and GIFT_CARD.
	Reference string
	// GiftCardNumber is the card a GIFT_CARD tender pays back onto (the
	// card the payment spent, or RefundInput.ToGiftCardNumber): whole, as
	// the order keeps it; shown masked.
	GiftCardNumber string
}

// RefundSummary is what an order keeps of each of its refunds: enough to
// print a return receipt (per-rate base and tax) and to hand the money back
// (per tender), not the lines.
type RefundSummary struct {
	ID        string
	Amount    int64
	TaxTotal  int64
	Reason    string
	Taxes     []TaxLine
	Tenders   []RefundTender
	CreatedAt time.Time
}

// Summary is what the order keeps of the refund.
func (r Refund) Summary() RefundSummary {
	return RefundSummary{ID: r.ID, Amount: r.Amount, TaxTotal: r.TaxTotal, Reason: r.Reason, Taxes: r.Taxes, Tenders: r.Tenders, CreatedAt: r.CreatedAt}
}

// Validate checks the input's shape before any I/O.
func (in RefundInput) Validate() error {
	var errs apperr.List
	if err := idempotency.ValidateKey(in.IdempotencyKey); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if in.OrderID == "" || len(in.OrderID) > maxIDLen {
		errs.Add(apperr.NotFound, "order not found", path("orderId")...)
	}
	switch n := len(in.Lines); {
	case n == 0:
		errs.Add(apperr.Invalid, "at least one line is required", path("lines")...)
	case n > MaxLines:
		errs.Add(apperr.Invalid, fmt.Sprintf("a refund has at most %d lines", MaxLines), path("lines")...)
	}
	seen := map[string]bool{}
	for i, l := range in.Lines {
		switch {
		case l.LineID == "" || len(l.LineID) > 2*maxIDLen:
			errs.Add(apperr.Invalid, "no such line in the order", path("lines", i, "lineId")...)
		case seen[l.LineID]:
			errs.Add(apperr.Invalid, "the line is already in this refund", path("lines", i, "lineId")...)
		}
		seen[l.LineID] = true
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			errs.Add(apperr.Invalid, fmt.Sprintf("quantity must be between 1 and %d", MaxQuantity), path("lines", i, "quantity")...)
		}
	}
	reason.Check(&errs, in.Reason, path("reason")...)
	if in.ToGiftCardNumber != "" {
		if _, err := giftcards.ParseNumber(in.ToGiftCardNumber, path("toGiftCardNumber")...); err != nil {
			errs = append(errs, err.(*apperr.Error))
		}
	}
	return errs.Err()
}

// normalize drops the spaces and hyphens a typed card number may hold (a
// number that does not parse is kept, for Validate to refuse).
func (in *RefundInput) normalize() {
	if n, err := giftcards.ParseNumber(in.ToGiftCardNumber); err == nil && in.ToGiftCardNumber != "" {
		in.ToGiftCardNumber = n
	}
}

// Request is the refund as an idempotent request: its key, and the hash of
// everything else under the field names written here.
func (in RefundInput) Request() idempotency.Request {
	lines := make([]idempotency.Fields, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = idempotency.Fields{"lineId": l.LineID, "quantity": l.Quantity}
	}
	f := idempotency.Fields{"orderId": in.OrderID, "lines": lines, "restock": in.Restock, "reason": in.Reason}
	if in.ToGiftCardNumber != "" { // absent otherwise: requests made before it hash as they did
		f["toGiftCardNumber"] = in.ToGiftCardNumber
	}
	return idempotency.New(OpRefund, in.IdempotencyKey, f)
}
