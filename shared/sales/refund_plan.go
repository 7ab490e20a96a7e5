package sales

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tax"
)

// RefundContext is what a refund is planned with besides the order and the
// input: who refunds, when, and the tenant's tax rounding.
type RefundContext struct {
	RefundID   string
	RegisterID string
	StaffID    string
	APIKeyID   string
	Rounding   tax.Rounding
	Now        time.Time
	Zone       *time.Location // the location's, for the business date
	// Tracked tells, by variant id, whether the variant tracks stock (only
	// read when the input asks to restock).
	Tracked map[string]bool
}

// RefundPlan is a refund and the order as it will be once written.
type RefundPlan struct {
	Refund Refund
	Order  Order
	// Read is the number of refunds the order had when it was read: the
	// write is conditioned on it, so two refunds of one order cannot both
	// spend the same units.
	Read int
	// Claim names the request (its hash): the write is refused while
	// another request holds a live claim on the order (ClaimCardRefund).
	Claim string
}

// lineShareUpTo is the part of a line's total that its first n units carry:
// ⌊total × n / quantity⌋. A refund of units r+1 … r+q of a line returns
// lineShareUpTo(r+q) − lineShareUpTo(r), so however a line's units are
// split over refunds, their amounts add up to the line's total exactly, and
// each amount depends only on which units are refunded. The product fits in
// int64: total ≤ tax.MaxAmount (10^13) and n ≤ MaxQuantity (< 10^5).
func lineShareUpTo(l Line, n int64) int64 {
	if l.Quantity == 0 {
		return 0
	}
	return l.Total * n / l.Quantity
}

// PlanRefund prices a refund of an order. It refuses, with INVALID and
// nothing planned, an order that is not paid (PENDING_PAYMENT, CANCELED) or
// already wholly refunded, one that has MaxRefunds refunds, an unknown line
// and a quantity over what is left to refund (quantity − refundedQuantity).
//
// Amounts, so that refunding every unit of an order, in any number of
// refunds, returns exactly the order's total and, per rate, exactly its tax:
//
//   - a line's amount is its share of the line total (after the line's own
//     discount and its allocated part of the order discount) for the units
//     refunded (lineShareUpTo);
//   - tax is computed once per rate on the refund's lines at that rate (the
//     qualified-invoice rule of the sale, with tax.TaxOf and the tenant's
//     rounding), capped at what is left of the order's tax at that rate;
//     the refund that returns the last units of a rate takes exactly what
//     is left (the sale's tax, computed on the whole base, may differ from
//     the sum of its parts' taxes by a rounding unit or two);
//   - the refund's amount is its lines' amounts, plus its tax when prices
//     exclude tax;
//   - it goes back through the order's payments in their order (GIFT_CARD
//     payments first), each up to what is left of it, so the tenders of all
//     refunds sum to each payment;
//     a GIFT_CARD payment's part goes back onto the card it spent, and with
//     in.ToGiftCardNumber every part goes onto that card instead (still
//     counted against the payment it refunds).
func PlanRefund(o Order, in RefundInput, rc RefundContext) (RefundPlan, error) {
	switch o.Status {
	case StatusCompleted, StatusPartiallyRefunded:
	case StatusRefunded:
		return RefundPlan{}, apperr.New(apperr.Invalid, "the order is already refunded in full", path("orderId")...)
	default:
		return RefundPlan{}, apperr.Newf(apperr.Invalid, path("orderId"), "an order that is %s cannot be refunded", o.Status)
	}
	if len(o.Refunds) >= MaxRefunds {
		return RefundPlan{}, apperr.Newf(apperr.Invalid, path("orderId"), "an order takes at most %d refunds", MaxRefunds)
	}
	next := cloneOrder(o)
	r := Refund{
		ID: rc.RefundID, OrderID: o.ID, OrderNumber: o.Number, LocationID: o.LocationID, RegisterID: rc.RegisterID,
		StaffID: rc.StaffID, APIKeyID: rc.APIKeyID, Reason: strings.TrimSpace(in.Reason), Restock: in.Restock,
		Currency: o.Currency, PricesIncludeTax: o.PricesIncludeTax, CreatedAt: rc.Now, BusinessDate: rc.Now.In(rc.Zone).Format("2006-01-02"),
	}
	var errs apperr.List
	for i, li := range in.Lines {
		at := slices.IndexFunc(next.Lines, func(l Line) bool { return l.ID == li.LineID })
		if at < 0 {
			errs.Add(apperr.Invalid, "no such line in the order", path("lines", i, "lineId")...)
			continue
		}
		l := &next.Lines[at]
		if left := l.Quantity - l.RefundedQuantity; li.Quantity > left {
			errs = append(errs, apperr.Newf(apperr.Invalid, path("lines", i, "quantity"),
				"only %d of %s can still be refunded (%d sold, %d refunded)", left, l.SKU, l.Quantity, l.RefundedQuantity))
			continue
		}
		amount := lineShareUpTo(*l, l.RefundedQuantity+li.Quantity) - lineShareUpTo(*l, l.RefundedQuantity)
		l.RefundedQuantity += li.Quantity
		r.Lines = append(r.Lines, RefundLine{LineID: l.ID, VariantID: l.VariantID, SKU: l.SKU, Name: l.Name, Quantity: li.Quantity, Amount: amount,
			TaxCategory: l.TaxCategory, TaxRatePercent: l.TaxRatePercent, Restocked: in.Restock && rc.Tracked[l.VariantID]})
	}
	if err := errs.Err(); err != nil {
		return RefundPlan{}, err
	}
	var lineSum int64
	for _, l := range r.Lines {
		lineSum += l.Amount
	}
	if err := planTaxes(&r, o, &next, rc.Rounding); err != nil {
		return RefundPlan{}, err
	}
	r.Amount = lineSum
	if !o.PricesIncludeTax {
		r.Amount += r.TaxTotal
	}
	if err := planTenders(&r, &next, in.ToGiftCardNumber); err != nil {
		return RefundPlan{}, err
	}
	next.RefundedTotal += r.Amount
	next.Status = StatusRefunded
	for _, l := range next.Lines {
		if l.RefundedQuantity < l.Quantity {
			next.Status = StatusPartiallyRefunded
		}
	}
	p := RefundPlan{Refund: r, Order: next, Read: len(o.Refunds)}
	p.Order.Refunds = append(p.Order.Refunds, r.Summary())
	return p, nil
}

// planTaxes computes the refund's tax once per rate and adds it to the
// order's refunded taxes (next.RefundedTaxes).
func planTaxes(r *Refund, o Order, next *Order, rounding tax.Rounding) error {
	for _, sold := range o.Taxes {
		var base int64
		in := false
		for _, l := range r.Lines {
			if l.TaxCategory == sold.Category {
				base, in = base+l.Amount, true
			}
		}
		if !in {
			continue
		}
		done := true // every unit at this rate is refunded once this refund is written
		for _, l := range next.Lines {
			if l.TaxCategory == sold.Category && l.RefundedQuantity < l.Quantity {
				done = false
			}
		}
		at := slices.IndexFunc(next.RefundedTaxes, func(t TaxLine) bool { return t.Category == sold.Category })
		if at < 0 {
			next.RefundedTaxes = append(next.RefundedTaxes, TaxLine{Category: sold.Category, RatePercent: sold.RatePercent})
			at = len(next.RefundedTaxes) - 1
		}
		prev := &next.RefundedTaxes[at]
		left := sold.Tax - prev.Tax
		t := left
		if !done {
			var err error
			if t, err = tax.TaxOf(base, sold.RatePercent, o.PricesIncludeTax, rounding); err != nil {
				return fmt.Errorf("refund tax: %w", err)
			}
			t = min(t, left)
		}
		prev.Taxable += base
		prev.Tax += t
		r.Taxes = append(r.Taxes, TaxLine{Category: sold.Category, RatePercent: sold.RatePercent, Taxable: base, Tax: t})
		r.TaxTotal += t
	}
	for _, l := range r.Lines {
		if !slices.ContainsFunc(r.Taxes, func(t TaxLine) bool { return t.Category == l.TaxCategory }) {
			return fmt.Errorf("refund tax: order %s has no tax row for %s", o.ID, l.TaxCategory)
		}
	}
	return nil
}

// planTenders sends the refund back through the order's payments, gift
// card payments first and then the others in order, each up to what is
// left of it: by the payment's method, or onto the gift card toCard when
// set.
func planTenders(r *Refund, next *Order, toCard string) error {
	left := r.Amount
	// Gift card payments first: a refund never turns a card's balance into
	// cash (払戻し) because the card happened to be tendered after cash.
	var order []int
	for pass := range 2 {
		for i, p := range next.Payments {
			if (p.Method == GiftCard) == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		p := &next.Payments[i]
		take := min(left, p.Amount-p.Refunded)
		if take <= 0 {
			continue
		}
		ref := ""
		if p.Method == External {
			ref = p.Reference
		}
		t := RefundTender{PaymentID: p.ID, Method: p.Method, Amount: take, Reference: ref}
		switch {
		case toCard != "":
			t.Method, t.Reference, t.GiftCardNumber = GiftCard, "", toCard
		case p.Method == GiftCard:
			t.GiftCardNumber = p.GiftCardNumber
		}
		r.Tenders = append(r.Tenders, t)
		p.Refunded += take
		p.Status = PaymentPartiallyRefunded
		if p.Refunded == p.Amount {
			p.Status = PaymentRefunded
		}
		left -= take
	}
	if left != 0 {
		return fmt.Errorf("refund of order %s: %d left over after every payment", r.OrderID, left)
	}
	return nil
}

// cloneOrder copies o deeply enough for a plan to change its lines,
// payments, refunded taxes and refunds.
func cloneOrder(o Order) Order {
	o.GiftCardLoads = slices.Clone(o.GiftCardLoads)
	o.Lines = slices.Clone(o.Lines)
	o.Payments = slices.Clone(o.Payments)
	o.RefundedTaxes = slices.Clone(o.RefundedTaxes)
	o.Refunds = slices.Clone(o.Refunds)
	return o
}
