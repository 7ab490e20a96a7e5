package sales

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Snapshot is what a checkout reads before writing.
type Snapshot struct {
	Tenant   tenant.Tenant
	Location tenant.Location
	Variants map[string]catalog.Variant      // only the tenant's; missing ids are absent
	Levels   map[string]inventory.StockLevel // at the location, by variant id; absent: never stocked
	Customer *Customer
}

// StockDecrement is the stock a checkout takes of one tracked variant. The
// write subtracts Quantity from the level as it is then (a commutative
// inventory.Take), so sales of one item never invalidate each other; Read is
// the level last seen, for refusing a sale that is short before writing and
// for saying how much is left when it is refused.
type StockDecrement struct {
	VariantID string
	SKU       string
	Quantity  int64
	LineIndex int                  // first line selling the variant, for error paths
	Read      inventory.StockLevel // the level as last read
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
	// AllowNegativeStock is the tenant's setting when the sale was priced: a
	// sale may then take a level below zero.
	AllowNegativeStock bool
	// CardAccountID is the connected account of a card sale's intent, kept
	// with its pending index entry (so expiry can cancel the intent).
	CardAccountID string
	// GiftCardValidityMonths is the tenant's gift card validity when the
	// sale was priced: a load that activates a card sets its expiry from it
	// (0: the default).
	GiftCardValidityMonths int
}

// Takes are the sale's stock decrements as ledger changes, referencing the
// order; the store refuses the sale when one would take a level below zero
// and negative stock is not allowed.
func (s Sale) Takes() []inventory.Take {
	out := make([]inventory.Take, len(s.Decrements))
	for i, d := range s.Decrements {
		out[i] = inventory.Take{LocationID: s.Order.LocationID, VariantID: d.VariantID, Quantity: d.Quantity, AllowNegative: s.AllowNegativeStock,
			Reason: inventory.ReasonSale, Reference: s.Order.ID, At: s.Order.CreatedAt}
	}
	return out
}

// Price builds the order from the catalog's prices and the tenant's tax
// settings, checks the tenders against the total and computes change. The
// sale is dated in the location's time zone; a location whose stored zone
// does not resolve refuses the sale rather than date it in UTC.
func Price(in CheckoutInput, snap Snapshot, orderID string, now time.Time) (Sale, error) {
	t := snap.Tenant
	var errs apperr.List
	zone, err := snap.Location.Zone()
	if err != nil {
		errs = append(errs, apperr.Newf(apperr.Invalid, path("locationId"),
			"the location's time zone %q is not a known IANA zone; sales there are refused until it is corrected", snap.Location.Timezone))
	}
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
	for i, l := range in.GiftCardLoads {
		if l.Amount.Currency != t.Currency {
			errs.Add(apperr.Invalid, "gift card loads must be in the tenant's currency "+t.Currency, path("giftCardLoads", i, "amount", "currency")...)
		}
	}
	if len(in.Lines) == 0 && in.OrderDiscount != nil { // a sale of gift card loads only: nothing to discount
		errs.Add(apperr.Invalid, "a sale of gift card loads only takes no discount", path("orderDiscount")...)
	}
	if err := errs.Err(); err != nil {
		return Sale{}, err
	}
	var res tax.Result
	if len(in.Lines) > 0 {
		res, err = tax.Compute(tax.Input{Lines: lines, OrderDiscount: od, PricesIncludeTax: t.PricesIncludeTax, Rounding: tax.Rounding(t.TaxRounding)})
	}
	var ie *tax.InputError
	if errors.As(err, &ie) {
		return Sale{}, apperr.New(apperr.Invalid, ie.Message, append([]string{"input"}, ie.Field...)...)
	}
	if err != nil {
		return Sale{}, fmt.Errorf("price order: %w", err)
	}
	if res.Total > tax.MaxAmount { // prices exclusive of tax add up to 1.1 × the engine's bound
		return Sale{}, apperr.Newf(apperr.Invalid, path("lines"), "the order total must not exceed %d", tax.MaxAmount)
	}
	loads, loadTotal := giftCardLoads(in.GiftCardLoads, orderID)
	if loadTotal > tax.MaxAmount-res.Total { // each load ≤ tax.MaxAmount and at most MaxGiftCardLoads: no overflow
		return Sale{}, apperr.Newf(apperr.Invalid, path("giftCardLoads"), "the order total with its gift card loads must not exceed %d", tax.MaxAmount)
	}
	payments, err := tender(in.Payments, res.Total+loadTotal, now)
	if err != nil {
		return Sale{}, err
	}
	o := Order{
		ID: orderID, LocationID: snap.Location.ID, Status: StatusCompleted, Source: "POS",
		Currency: t.Currency, PricesIncludeTax: t.PricesIncludeTax, TaxRounding: tax.Rounding(t.TaxRounding),
		Subtotal: res.Subtotal, OrderDiscount: res.OrderDiscount, DiscountTotal: res.DiscountTotal, TaxTotal: res.TaxTotal, Total: res.Total,
		Payments: payments, GiftCardLoads: loads, GiftCardLoadTotal: loadTotal, CreatedAt: now, BusinessDate: now.In(zone).Format("2006-01-02"),
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
	return Sale{Order: o, Decrements: decs, AllowNegativeStock: t.AllowNegativeStock, GiftCardValidityMonths: t.GiftCardValidityMonths}, nil
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
// over-tendered: the excess is change) and builds them. A total of 0 takes
// no payments: every payment is positive, so any would overpay. Amounts are
// each at most tax.MaxAmount (Validate), and their running sum is checked
// against it too, so it cannot overflow whatever the count.
func tender(in []PaymentInput, total int64, now time.Time) ([]Payment, error) {
	var sum int64
	out := make([]Payment, len(in))
	for i, p := range in {
		if p.Amount.Amount > tax.MaxAmount-sum {
			return nil, apperr.Newf(apperr.Invalid, path("payments"), "payments add up to more than %d, but the total is %d", tax.MaxAmount, total)
		}
		sum += p.Amount.Amount
		pay := Payment{ID: ids.NewAt("pay", now), Method: p.Method, Status: PaymentSucceeded, Amount: p.Amount.Amount, Reference: strings.TrimSpace(p.Reference),
			GiftCardNumber: p.GiftCardNumber}
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
	switch {
	case total == 0 && len(in) > 0:
		return nil, apperr.New(apperr.Invalid, "the total is 0: a sale with nothing to pay takes no payments", path("payments")...)
	case sum != total:
		return nil, apperr.Newf(apperr.Invalid, path("payments"), "payments add up to %d but the total is %d", sum, total)
	}
	return out, nil
}
