package sales

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Limits of one checkout. An order is one item with its lines inside, and
// its write is one DynamoDB transaction (≤ 100 actions): the idempotency
// record, the order, its order.completed event, the location's order counter,
// and per distinct tracked variant a stock level update and its
// inventory.changed event; the batched read before it holds ≤ 100 keys
// (tenant, location, customer, idempotency record, order counter, and per
// variant its record and its stock level).
const (
	MaxLines            = 100
	MaxDistinctVariants = 47
	MaxPayments         = 10
	MaxQuantity         = 99_999
	maxIDLen            = 64
	maxReferenceLen     = 128
)

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
	PaymentMethodID string // CARD (not available yet)
	Reference       string // EXTERNAL
}

// CheckoutInput is a sale as the register sends it. Prices are never taken
// from the client: they come from the catalog.
type CheckoutInput struct {
	IdempotencyKey string
	LocationID     string
	Lines          []CheckoutLine
	OrderDiscount  *DiscountInput
	CustomerID     string
	Payments       []PaymentInput
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
// exactly-one rules. Everything that needs the catalog is checked by Price.
func (in CheckoutInput) Validate() error {
	var errs apperr.List
	if k := in.IdempotencyKey; len(k) < 1 || len(k) > 128 {
		errs.Add(apperr.Invalid, "idempotencyKey must be 1 to 128 characters", path("idempotencyKey")...)
	}
	if in.LocationID == "" || len(in.LocationID) > maxIDLen {
		errs.Add(apperr.NotFound, "location not found", path("locationId")...)
	}
	if len(in.CustomerID) > maxIDLen {
		errs.Add(apperr.NotFound, "customer not found", path("customerId")...)
	}
	switch n := len(in.Lines); {
	case n == 0:
		errs.Add(apperr.Invalid, "at least one line is required", path("lines")...)
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
	switch n := len(in.Payments); {
	case n == 0:
		errs.Add(apperr.Invalid, "at least one payment is required", path("payments")...)
	case n > MaxPayments:
		errs.Add(apperr.Invalid, fmt.Sprintf("at most %d payments", MaxPayments), path("payments")...)
	}
	for i, p := range in.Payments {
		validatePayment(&errs, p, i)
	}
	return errs.Err()
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
	if d.Amount != nil && d.Amount.Amount < 0 {
		errs.Add(apperr.Invalid, "amount must not be negative", append(at, "amount")...)
	}
}

func validatePayment(errs *apperr.List, p PaymentInput, i int) {
	if p.Amount.Amount <= 0 {
		errs.Add(apperr.Invalid, "payment amount must be positive", path("payments", i, "amount")...)
	}
	switch p.Method {
	case Cash:
		if p.Tendered != nil && p.Tendered.Amount < p.Amount.Amount {
			errs.Add(apperr.Invalid, "cash tendered must be at least the amount", path("payments", i, "tendered")...)
		}
	case External:
		if r := strings.TrimSpace(p.Reference); r == "" || utf8.RuneCountInString(r) > maxReferenceLen {
			errs.Add(apperr.Invalid, "an EXTERNAL payment needs a reference of 1 to 128 characters", path("payments", i, "reference")...)
		}
	case Card:
		errs.Add(apperr.Invalid, "card payments are not available yet", path("payments", i, "method")...)
	default:
		errs.Add(apperr.Invalid, "method must be CASH, CARD or EXTERNAL", path("payments", i, "method")...)
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

// RequestHash identifies the request for idempotency: the same input
// (whatever the key) hashes the same.
func (in CheckoutInput) RequestHash() string {
	c := in
	c.IdempotencyKey = ""
	b, _ := json.Marshal(c) // plain structs: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Snapshot is what a checkout reads before writing.
type Snapshot struct {
	Tenant   tenant.Tenant
	Location tenant.Location
	Variants map[string]catalog.Variant      // only the tenant's; missing ids are absent
	Levels   map[string]inventory.StockLevel // at the location, by variant id; absent: never stocked
	Customer *Customer
}

// StockDecrement is the stock a checkout takes of one tracked variant,
// computed from the level it read: the write is conditioned on that level's
// version, so the new on-hand it records (and announces in its
// inventory.changed event) is exact.
type StockDecrement struct {
	VariantID string
	SKU       string
	Quantity  int64
	LineIndex int                  // first line selling the variant, for error paths
	Read      inventory.StockLevel // the level the decrement starts from
}

// Level is the stock level after the decrement.
func (d StockDecrement) Level(at time.Time) inventory.StockLevel {
	l := d.Read
	l.OnHand -= d.Quantity
	l.Version++
	l.UpdatedAt = at
	return l
}

// Update is the decrement as a stock ledger change.
func (d StockDecrement) Update(at time.Time) inventory.Update {
	return inventory.Update{Level: d.Level(at), Delta: -d.Quantity, Reason: inventory.ReasonSale}
}

// short returns the decrements that would take stock below zero.
func short(decs []StockDecrement) []StockDecrement {
	var out []StockDecrement
	for _, d := range decs {
		if d.Read.OnHand < d.Quantity {
			out = append(out, d)
		}
	}
	return out
}

// Sale is a priced checkout ready to be written.
type Sale struct {
	Order      Order
	Decrements []StockDecrement
}

// Price builds the order from the catalog's prices and the tenant's tax
// settings, checks the tenders against the total and computes change.
func Price(in CheckoutInput, snap Snapshot, orderID string, now time.Time) (Sale, error) {
	t := snap.Tenant
	var errs apperr.List
	lines := make([]tax.Line, len(in.Lines))
	for i, l := range in.Lines {
		v, ok := snap.Variants[l.VariantID]
		if !ok {
			errs.Add(apperr.NotFound, "variant not found", path("lines", i, "variantId")...)
			continue
		}
		if v.Currency != t.Currency {
			errs.Add(apperr.Invalid, "the variant is priced in another currency", path("lines", i, "variantId")...)
		}
		d, derr := taxDiscount(l.Discount, t.Currency, path("lines", i, "discount"))
		if derr != nil {
			errs = append(errs, derr)
		}
		lines[i] = tax.Line{UnitPrice: v.Price, Quantity: l.Quantity, Category: v.TaxCategory, Discount: d}
	}
	od, derr := taxDiscount(in.OrderDiscount, t.Currency, path("orderDiscount"))
	if derr != nil {
		errs = append(errs, derr)
	}
	for i, p := range in.Payments {
		if p.Amount.Currency != t.Currency || (p.Tendered != nil && p.Tendered.Currency != t.Currency) {
			errs.Add(apperr.Invalid, "payments must be in the tenant's currency "+t.Currency, path("payments", i, "amount", "currency")...)
		}
	}
	if err := errs.Err(); err != nil {
		return Sale{}, err
	}
	res, err := tax.Compute(tax.Input{Lines: lines, OrderDiscount: od, PricesIncludeTax: t.PricesIncludeTax, Rounding: tax.Rounding(t.TaxRounding)})
	var ie *tax.InputError
	if errors.As(err, &ie) {
		return Sale{}, apperr.New(apperr.Invalid, ie.Message, append([]string{"input"}, ie.Field...)...)
	}
	if err != nil {
		return Sale{}, fmt.Errorf("price order: %w", err)
	}
	payments, err := tender(in.Payments, res.Total, now)
	if err != nil {
		return Sale{}, err
	}
	o := Order{
		ID: orderID, LocationID: snap.Location.ID, Status: StatusCompleted, Source: "POS",
		Currency: t.Currency, PricesIncludeTax: t.PricesIncludeTax,
		Subtotal: res.Subtotal, OrderDiscount: res.OrderDiscount, DiscountTotal: res.DiscountTotal, TaxTotal: res.TaxTotal, Total: res.Total,
		Payments: payments, CreatedAt: now, BusinessDate: businessDate(now, snap.Location.Timezone),
	}
	if snap.Customer != nil {
		o.CustomerID = snap.Customer.ID
	}
	for _, r := range res.Rates {
		o.Taxes = append(o.Taxes, TaxLine{Category: r.Category, RatePercent: r.RatePercent, Taxable: r.Taxable, Tax: r.Tax})
	}
	qty := map[string]int64{}
	var decs []StockDecrement
	for i, l := range in.Lines {
		v, lr := snap.Variants[l.VariantID], res.Lines[i]
		o.Lines = append(o.Lines, Line{
			ID: fmt.Sprintf("%s-%d", orderID, i+1), VariantID: v.ID, Name: lineName(v), SKU: v.SKU, Quantity: l.Quantity,
			UnitPrice: v.Price, Discount: lr.Discount(), Total: lr.Total, TaxCategory: lr.Category, TaxRatePercent: lr.RatePercent,
		})
		if !v.TrackStock {
			continue
		}
		if _, seen := qty[v.ID]; !seen {
			read, ok := snap.Levels[v.ID]
			if !ok {
				read = inventory.StockLevel{LocationID: snap.Location.ID, VariantID: v.ID}
			}
			decs = append(decs, StockDecrement{VariantID: v.ID, SKU: v.SKU, LineIndex: i, Read: read})
		}
		qty[v.ID] += l.Quantity
	}
	for i := range decs {
		decs[i].Quantity = qty[decs[i].VariantID]
	}
	return Sale{Order: o, Decrements: decs}, nil
}

func lineName(v catalog.Variant) string {
	if v.Name == "" || v.Name == v.ItemName || strings.EqualFold(v.Name, "default") {
		return v.ItemName
	}
	return v.ItemName + " " + v.Name
}

func taxDiscount(d *DiscountInput, currency string, at []string) (*tax.Discount, *apperr.Error) {
	if d == nil {
		return nil, nil
	}
	if d.Percent != nil {
		return tax.PercentOff(*d.Percent), nil
	}
	if d.Amount.Currency != currency {
		return nil, apperr.New(apperr.Invalid, "discount must be in the tenant's currency "+currency, append(at, "amount", "currency")...)
	}
	return tax.AmountOff(d.Amount.Amount), nil
}

// tender checks that the payments cover the total exactly (cash may be
// over-tendered: the excess is change) and builds them.
func tender(in []PaymentInput, total int64, now time.Time) ([]Payment, error) {
	var sum int64
	out := make([]Payment, len(in))
	for i, p := range in {
		sum += p.Amount.Amount
		pay := Payment{ID: ids.NewAt("pay", now), Method: p.Method, Status: PaymentSucceeded, Amount: p.Amount.Amount, Reference: strings.TrimSpace(p.Reference)}
		if p.Method == Cash {
			tendered := p.Amount.Amount
			if p.Tendered != nil {
				tendered = p.Tendered.Amount
			}
			change := tendered - p.Amount.Amount
			pay.Tendered, pay.Change = &tendered, &change
		}
		out[i] = pay
	}
	if sum != total {
		return nil, apperr.Newf(apperr.Invalid, path("payments"), "payments add up to %d but the total is %d", sum, total)
	}
	return out, nil
}

// businessDate is the sale's date in the location's timezone.
func businessDate(t time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02")
}
