package sales

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/text"
)

// OpCheckout scopes checkout idempotency keys.
const OpCheckout = "checkout"

// Limits of one checkout. An order is one item with its lines inside, and
// its write is one DynamoDB transaction (≤ 100 actions): the idempotency
// record, the order, its order.completed event, the register's sequence,
// and per distinct tracked variant one take of its stock level; the batched
// read before it holds ≤ 100 keys (tenant, location, register, customer,
// idempotency record, and per variant its record and its stock level), which
// is what bounds the distinct variants. Every amount a client sends
// (payments, cash tendered, discounts) is at most tax.MaxAmount, as are
// prices and order totals, so no sum of them can overflow.
const (
	MaxLines            = 100
	MaxDistinctVariants = 47
	MaxPayments         = 10
	MaxQuantity         = 99_999
	maxIDLen            = 64
)

// reference is the rule of a payment's reference: required (1–128) for
// EXTERNAL payments, optional otherwise.
var reference = text.Rule{What: "reference", Min: 1, Max: 128}

// Money is an amount in minor units with its ISO 4217 currency.
type Money struct {
	Amount   int64
	Currency string
}

// DiscountInput is a percent (0–100) or an amount off; exactly one.
type DiscountInput struct {
	Percent *int64
	Amount  *Money
}

// CheckoutLine is one scanned line.
type CheckoutLine struct {
	VariantID string
	Quantity  int64
	Discount  *DiscountInput
}

// PaymentInput is one tender.
type PaymentInput struct {
	Method          PaymentMethod
	Amount          Money
	Tendered        *Money // CASH
	PaymentMethodID string // CARD, card not present: confirmed at once; "" collects on a card reader
	Reference       string // EXTERNAL
	GiftCardNumber  string // GIFT_CARD: the card spent
}

// CheckoutInput is a sale as the register sends it. Prices are never taken
// from the client: they come from the catalog. A sale whose total is 0 has
// no payments.
type CheckoutInput struct {
	IdempotencyKey string
	LocationID     string
	// RegisterID is the register that takes the sale and numbers it; ""
	// sells at the caller's own register (an API key bound to one) or else
	// at the location's first register.
	RegisterID    string
	Lines         []CheckoutLine
	OrderDiscount *DiscountInput
	CustomerID    string
	Payments      []PaymentInput
	// GiftCardLoads are load lines (giftcard.go): no tax, not net sales.
	GiftCardLoads []GiftCardLoadInput
}

func path(parts ...any) []string {
	out := []string{"input"}
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case int:
			out = append(out, strconv.Itoa(v))
		}
	}
	return out
}

// Validate checks the input's shape before any I/O: counts, ranges, ids,
// text, exactly-one rules. Everything that needs the catalog is checked by
// Price.
func (in CheckoutInput) Validate() error {
	var errs apperr.List
	if err := idempotency.ValidateKey(in.IdempotencyKey); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if in.LocationID == "" || len(in.LocationID) > maxIDLen {
		errs.Add(apperr.NotFound, "location not found", path("locationId")...)
	}
	if _, _, ok := tenant.ParseRegisterID(in.RegisterID); in.RegisterID != "" && !ok {
		errs.Add(apperr.NotFound, "register not found", path("registerId")...)
	}
	if len(in.CustomerID) > maxIDLen {
		errs.Add(apperr.NotFound, "customer not found", path("customerId")...)
	}
	switch n := len(in.Lines); {
	case n == 0 && len(in.GiftCardLoads) == 0:
		errs.Add(apperr.Invalid, "at least one line (or gift card load) is required", path("lines")...)
	case n > MaxLines:
		errs.Add(apperr.Invalid, fmt.Sprintf("an order has at most %d lines", MaxLines), path("lines")...)
	}
	distinct := map[string]bool{}
	for i, l := range in.Lines {
		if l.VariantID == "" || len(l.VariantID) > maxIDLen {
			errs.Add(apperr.NotFound, "variant not found", path("lines", i, "variantId")...)
		}
		distinct[l.VariantID] = true
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			errs.Add(apperr.Invalid, fmt.Sprintf("quantity must be between 1 and %d", MaxQuantity), path("lines", i, "quantity")...)
		}
		validateDiscount(&errs, l.Discount, path("lines", i, "discount"))
	}
	if len(distinct) > MaxDistinctVariants {
		errs.Add(apperr.Invalid, fmt.Sprintf("an order has at most %d distinct variants", MaxDistinctVariants), path("lines")...)
	}
	validateDiscount(&errs, in.OrderDiscount, path("orderDiscount"))
	if len(in.Payments) > MaxPayments {
		errs.Add(apperr.Invalid, fmt.Sprintf("at most %d payments", MaxPayments), path("payments")...)
	}
	for i, p := range in.Payments {
		validatePayment(&errs, p, i)
	}
	validateCardCount(&errs, in.Payments)
	validateGiftCards(&errs, in)
	return errs.Err()
}

// validAmount reports whether a client's amount is within 0 … tax.MaxAmount
// (min … tax.MaxAmount for min > 0), adding an INVALID error at field if not.
func validAmount(errs *apperr.List, amount, min int64, what string, field []string) bool {
	if amount < min || amount > tax.MaxAmount {
		*errs = append(*errs, apperr.Newf(apperr.Invalid, field, "%s must be between %d and %d", what, min, tax.MaxAmount))
		return false
	}
	return true
}

func validateDiscount(errs *apperr.List, d *DiscountInput, at []string) {
	if d == nil {
		return
	}
	if (d.Percent == nil) == (d.Amount == nil) {
		errs.Add(apperr.Invalid, "give exactly one of percent or amount", at...)
		return
	}
	if d.Percent != nil && (*d.Percent < 0 || *d.Percent > 100) {
		errs.Add(apperr.Invalid, "percent must be between 0 and 100", append(at, "percent")...)
	}
	if d.Amount != nil {
		validAmount(errs, d.Amount.Amount, 0, "a discount amount", append(at, "amount"))
	}
}

func validatePayment(errs *apperr.List, p PaymentInput, i int) {
	amountOK := validAmount(errs, p.Amount.Amount, 1, "a payment amount", path("payments", i, "amount"))
	if p.Reference != "" || p.Method == External {
		rule := reference
		if p.Method != External {
			rule.Min = 0
		}
		rule.Check(errs, p.Reference, path("payments", i, "reference")...)
	}
	switch p.Method {
	case Cash:
		if p.Tendered != nil && validAmount(errs, p.Tendered.Amount, 1, "cash tendered", path("payments", i, "tendered")) &&
			amountOK && p.Tendered.Amount < p.Amount.Amount {
			errs.Add(apperr.Invalid, "cash tendered must be at least the amount", path("payments", i, "tendered")...)
		}
	case External:
	case Card:
		validateCard(errs, p, i)
	case GiftCard: // validateGiftCards
	default:
		errs.Add(apperr.Invalid, "method must be CASH, CARD, EXTERNAL or GIFT_CARD", path("payments", i, "method")...)
	}
}

// VariantIDs returns the distinct variant ids of the lines, in first-seen order.
func (in CheckoutInput) VariantIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range in.Lines {
		if !seen[l.VariantID] {
			seen[l.VariantID] = true
			out = append(out, l.VariantID)
		}
	}
	return out
}

// Request is the checkout as an idempotent request: its key, and the hash
// of everything else under the field names written here.
func (in CheckoutInput) Request() idempotency.Request {
	lines := make([]idempotency.Fields, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = idempotency.Fields{"variantId": l.VariantID, "quantity": l.Quantity, "discount": discountFields(l.Discount)}
	}
	payments := make([]idempotency.Fields, len(in.Payments))
	for i, p := range in.Payments {
		payments[i] = idempotency.Fields{"method": string(p.Method), "amount": moneyFields(&p.Amount), "tendered": moneyFields(p.Tendered),
			"paymentMethodId": p.PaymentMethodID, "reference": p.Reference}
		if p.GiftCardNumber != "" { // present only when set: the hash of a request without cards is unchanged
			payments[i]["giftCardNumber"] = p.GiftCardNumber
		}
	}
	fields := idempotency.Fields{
		"locationId": in.LocationID, "customerId": in.CustomerID, "lines": lines,
		"orderDiscount": discountFields(in.OrderDiscount), "payments": payments,
	}
	// Present only when the client names a register, so the hash of a request
	// that names none is the one it had before registers existed (a retry
	// across the upgrade still replays).
	if in.RegisterID != "" {
		fields["registerId"] = in.RegisterID
	}
	if len(in.GiftCardLoads) > 0 {
		loads := make([]idempotency.Fields, len(in.GiftCardLoads))
		for i, l := range in.GiftCardLoads {
			loads[i] = idempotency.Fields{"number": l.Number, "amount": moneyFields(&l.Amount)}
		}
		fields["giftCardLoads"] = loads
	}
	return idempotency.New(OpCheckout, in.IdempotencyKey, fields)
}

func moneyFields(m *Money) idempotency.Fields {
	if m == nil {
		return nil
	}
	return idempotency.Fields{"amount": m.Amount, "currency": m.Currency}
}

func discountFields(d *DiscountInput) idempotency.Fields {
	if d == nil {
		return nil
	}
	f := idempotency.Fields{"percent": nil, "amount": moneyFields(d.Amount)}
	if d.Percent != nil {
		f["percent"] = *d.Percent
	}
	return f
}

// save writes a priced sale. The order takes its register's next number
// and its stock in the same transaction: the register's sequence is
// conditioned on the value read (so numbers are gap-free per register), the
// stock only on there being enough (so sales of one item never invalidate
// each other). When another sale at the register took the number first, the
// cancellation reports the register's current sequence and the sale is
// retried with the next one (no re-read) under backoff.Contention, like
// every other storage race; a register that stays too busy is UNAVAILABLE
// (retry with the same key). Stock that ran out is OUT_OF_STOCK with the
// level as it is now.
func (s *Service) save(ctx context.Context, sale Sale, loaded Loaded, idem idempotency.Request) (Order, error) {
	reg := *loaded.Register
	location := loaded.Snapshot.Location
	var saved Order
	stats := statsFrom(ctx)
	err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
		if sh := short(sale.Decrements); len(sh) > 0 && !sale.AllowNegativeStock {
			return false, outOfStock(sh)
		}
		seq := reg.Seq + 1
		sale.Order.Number = OrderNumber(location.Number, reg.Register.Number, seq)
		id, replayed, err := s.Store.SaveSale(ctx, sale, seq, idem)
		var stale *StaleError
		switch {
		case errors.As(err, &stale):
			stats.conflicts++
			if stale.RegisterMoved {
				stats.sequenceRetries++
				if err := checkRegister(stale.Register, location.ID); err != nil {
					return false, err
				}
				reg = *stale.Register
			}
			for i, d := range sale.Decrements {
				if l, ok := stale.Levels[d.VariantID]; ok {
					sale.Decrements[i].Read = l
				}
			}
			if sh := short(sale.Decrements); len(stale.Levels) > 0 && len(sh) > 0 {
				return false, outOfStock(sh)
			}
			return true, err
		case err != nil:
			return false, err
		case replayed:
			stats.replayed = true
			saved, err = s.Store.GetOrder(ctx, id)
			return false, err
		}
		stats.written = true
		saved = sale.Order
		return false, nil
	})
	return saved, err
}
