package sales

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The daily close: a register's drawer (or a whole location) for one
// business date in the location's time zone, computed from the orders and
// refunds themselves — never from aggregates that may trail them — and
// stored as numbered revisions: a close is never changed, a late sale for a
// closed date makes the next revision.

// OpCloseRegister scopes closeRegister idempotency keys.
const OpCloseRegister = "closeRegister"

// CloseInput is a close as the back office sends it. RegisterID "" closes
// the whole location.
type CloseInput struct {
	IdempotencyKey string
	LocationID     string
	RegisterID     string
	BusinessDate   string // YYYY-MM-DD
	CountedCash    Money
}

// PaymentTotal is the money taken by one method, less what went back by it.
type PaymentTotal struct {
	Method PaymentMethod
	Amount int64
}

// CloseFigures are a business date's totals. Amounts are as charged (tax
// included when prices include tax): Gross is the lines before any
// discount, Net = Gross − Discounts − Refunds; Taxes and Payments are the
// sales' less the refunds'; ExpectedCash is cash taken less cash refunded.
// Gift card loads are no sale: they are GiftCardLoads, apart from Gross and
// Net, though the payments that paid for them are in Payments (so Payments
// add up to Net + GiftCardLoads, tax added when prices exclude it);
// redemptions are the GIFT_CARD payment method, and refunds paid back onto
// a gift card take from it.
type CloseFigures struct {
	OrderCount int
	Gross      int64
	Discounts  int64
	Refunds    int64
	Net        int64
	Taxes      []TaxLine
	Payments   []PaymentTotal
	// GiftCardLoads is what was loaded onto gift cards: a liability taken
	// on, paid for by Payments but not revenue (not in Gross, Net, Taxes).
	GiftCardLoads int64
	ExpectedCash  int64
}

// RegisterClose is one revision of a close.
type RegisterClose struct {
	ID           string
	LocationID   string
	RegisterID   string // "" for the whole location
	BusinessDate string
	Revision     int // 1 for the first close of the date, +1 per late change
	Currency     string
	CloseFigures
	CountedCash int64
	Difference  int64 // CountedCash − ExpectedCash
	ClosedAt    time.Time
}

// CloseKey names what a close covers.
type CloseKey struct {
	LocationID   string
	RegisterID   string // "" for the whole location
	BusinessDate string
}

// Key returns what c covers.
func (c RegisterClose) Key() CloseKey {
	return CloseKey{LocationID: c.LocationID, RegisterID: c.RegisterID, BusinessDate: c.BusinessDate}
}

// CloseScope is what a close reads first: the tenant, the location and
// register (nil when not found) and, when the request's key was used
// before, the close it made (Replayed) or IDEMPOTENCY_KEY_REUSED
// (ReplayErr).
type CloseScope struct {
	Tenant    tenant.Tenant
	Location  *tenant.Location
	Register  *tenant.Register
	Replayed  *RegisterClose
	ReplayErr error
}

// CloseStore persists closes. Every method acts on the tenant in ctx.
type CloseStore interface {
	CloseLister // close_list.go

	// LoadCloseScope reads the scope of a close (registerID "" for none).
	LoadCloseScope(ctx context.Context, locationID, registerID string, req idempotency.Request) (CloseScope, error)
	// DayActivity returns the location's orders created in [from, to) and
	// its refunds made in [from, to), every one of them.
	DayActivity(ctx context.Context, locationID string, from, to time.Time) ([]Order, []Refund, error)
	// LatestCloses returns the newest revision of each close of the
	// location's date (the location's and its registers').
	LatestCloses(ctx context.Context, locationID, date string) ([]RegisterClose, error)
	// SaveClose writes c, its register.closed event and (when req has a
	// key) req's record in one transaction; c's revision must not exist
	// yet. A record of req already there answers with its close (replayed);
	// a revision written meanwhile is CONFLICT.
	SaveClose(ctx context.Context, c RegisterClose, req *idempotency.Request) (stored RegisterClose, replayed bool, err error)
}

// Validate checks the input's shape.
func (in CloseInput) Validate() error {
	var errs apperr.List
	if err := idempotency.ValidateKey(in.IdempotencyKey); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if in.LocationID == "" || len(in.LocationID) > maxIDLen {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	if lid, _, ok := tenant.ParseRegisterID(in.RegisterID); in.RegisterID != "" && (!ok || lid != in.LocationID) {
		errs.Add(apperr.NotFound, "register not found", "input", "registerId")
	}
	if _, err := time.Parse(time.DateOnly, in.BusinessDate); err != nil || len(in.BusinessDate) != len(time.DateOnly) {
		errs.Add(apperr.Invalid, "businessDate must be a date YYYY-MM-DD", "input", "businessDate")
	}
	validAmount(&errs, in.CountedCash.Amount, 0, "counted cash", []string{"input", "countedCash", "amount"})
	return errs.Err()
}

// Request is the close as an idempotent request.
func (in CloseInput) Request() idempotency.Request {
	return idempotency.New(OpCloseRegister, in.IdempotencyKey, idempotency.Fields{
		"locationId": in.LocationID, "registerId": in.RegisterID, "businessDate": in.BusinessDate, "countedCash": moneyFields(&in.CountedCash),
	})
}

// DayBounds returns the UTC instants a business date of zone starts and ends.
func DayBounds(date string, zone *time.Location) (from, to time.Time, err error) {
	d, err := time.ParseInLocation(time.DateOnly, date, zone)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return d.UTC(), d.AddDate(0, 0, 1).UTC(), nil
}

// counts reports whether an order's sale counts in a close: completed,
// whatever was refunded of it later (refunds count on their own date).
func counts(o Order) bool {
	switch o.Status {
	case StatusCompleted, StatusPartiallyRefunded, StatusRefunded:
		return true
	}
	return false
}

// captured reports whether a payment's money was taken (what was given
// back later counts with its refund, on the refund's date).
func captured(p Payment) bool {
	switch p.Status {
	case PaymentSucceeded, PaymentPartiallyRefunded, PaymentRefunded:
		return true
	}
	return false
}

// ComputeClose totals the orders and refunds of one close: those of
// registerID when set. Every amount is at most tax.MaxAmount and a day
// holds far fewer than 2^63 / tax.MaxAmount of them, but sums are checked
// anyway: a close that cannot be added up is an error, not a wrong figure.
func ComputeClose(orders []Order, refunds []Refund, registerID string) (CloseFigures, error) {
	var f CloseFigures
	var sum adder
	taxes := map[tax.Category]*TaxLine{}
	pays := map[PaymentMethod]int64{}
	addTax := func(t TaxLine, sign int64) {
		row, ok := taxes[t.Category]
		if !ok {
			row = &TaxLine{Category: t.Category, RatePercent: t.RatePercent}
			taxes[t.Category] = row
		}
		row.Taxable = sum.add(row.Taxable, sign*t.Taxable)
		row.Tax = sum.add(row.Tax, sign*t.Tax)
	}
	for _, o := range orders {
		if !counts(o) || (registerID != "" && o.RegisterID != registerID) {
			continue
		}
		if len(o.Lines) > 0 { // a sale of gift card loads only sells nothing
			f.OrderCount++
		}
		f.GiftCardLoads = sum.add(f.GiftCardLoads, o.GiftCardLoadTotal)
		for _, l := range o.Lines {
			f.Gross = sum.add(f.Gross, sum.mul(l.UnitPrice, l.Quantity))
		}
		f.Discounts = sum.add(f.Discounts, o.DiscountTotal)
		for _, t := range o.Taxes {
			addTax(t, 1)
		}
		for _, p := range o.Payments {
			if captured(p) {
				pays[p.Method] = sum.add(pays[p.Method], p.Amount)
			}
		}
	}
	for _, r := range refunds {
		if registerID != "" && r.RegisterID != registerID {
			continue
		}
		f.Refunds = sum.add(f.Refunds, r.Amount)
		for _, t := range r.Taxes {
			addTax(t, -1)
		}
		for _, t := range r.Tenders {
			pays[t.Method] = sum.add(pays[t.Method], -t.Amount)
		}
	}
	f.Net = sum.add(f.Gross, -sum.add(f.Discounts, f.Refunds))
	for _, t := range taxes {
		f.Taxes = append(f.Taxes, *t)
	}
	sort.Slice(f.Taxes, func(i, j int) bool { return f.Taxes[i].RatePercent > f.Taxes[j].RatePercent })
	for _, m := range []PaymentMethod{Cash, Card, External, GiftCard} {
		if v, ok := pays[m]; ok {
			f.Payments = append(f.Payments, PaymentTotal{Method: m, Amount: v})
		}
	}
	f.ExpectedCash = pays[Cash]
	if sum.overflow {
		return CloseFigures{}, fmt.Errorf("close figures overflow")
	}
	return f, nil
}

// adder adds and multiplies int64s, remembering an overflow.
type adder struct{ overflow bool }

func (a *adder) add(x, y int64) int64 {
	r := x + y
	if (y > 0 && r < x) || (y < 0 && r > x) {
		a.overflow = true
	}
	return r
}

func (a *adder) mul(x, y int64) int64 {
	if x != 0 && y != 0 {
		r := x * y
		if r/y != x {
			a.overflow = true
		}
		return r
	}
	return 0
}

// sameFigures reports whether a close would say nothing new.
func sameFigures(a, b RegisterClose) bool {
	if a.CountedCash != b.CountedCash || a.OrderCount != b.OrderCount || a.Gross != b.Gross || a.Discounts != b.Discounts ||
		a.Refunds != b.Refunds || a.Net != b.Net || a.GiftCardLoads != b.GiftCardLoads || a.ExpectedCash != b.ExpectedCash ||
		len(a.Taxes) != len(b.Taxes) || len(a.Payments) != len(b.Payments) {
		return false
	}
	for i := range a.Taxes {
		if a.Taxes[i] != b.Taxes[i] {
			return false
		}
	}
	for i := range a.Payments {
		if a.Payments[i] != b.Payments[i] {
			return false
		}
	}
	return true
}
