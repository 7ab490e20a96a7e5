package reports

import (
	"time"

	"github.com/renkei-pos/renkei/shared/tax"
)

// Movement is one event that changes the sales figures: a completed order,
// or a refund of some of an order's lines. Amounts are minor units, in the
// tenant's price basis, as in the order.
type Movement struct {
	EventID    string // the stream event's id: a movement is counted once
	TenantID   string
	LocationID string
	StaffKey   string // the user who sold or refunded, or the API key
	// RegisterID is the register that took the sale, or whose drawer a
	// refund's money went out of; empty for orders taken before registers.
	RegisterID string
	At         time.Time
	Refund     bool
	Lines      []MovementLine
	Taxes      []RateTax // per rate, computed once per order (or refund)
	Payments   []MethodAmount
	// GiftCardLoads is what a sale loaded onto gift cards: paid for by
	// Payments, but no sale (GiftCardLoads figure, apart from the sales').
	GiftCardLoads int64
}

// MovementLine is one sold (or refunded) line.
type MovementLine struct {
	SKU         string
	Quantity    int64
	Gross       int64 // unit price × quantity (a refund: the amount refunded)
	Discount    int64 // line discount and its share of the order discount (0 in a refund)
	Total       int64 // Gross − Discount: what the rate's tax is allocated by
	TaxCategory tax.Category
}

// RateTax is the tax of one rate.
type RateTax struct {
	Category tax.Category
	Tax      int64
}

// MethodAmount is what was paid (or paid back) by one method.
type MethodAmount struct {
	Method string
	Amount int64
}

// Figures are the sums a SalesRow shows, kept per aggregate item.
// GiftCardLoads are gift card loads sold: a liability taken on, not in the
// sales figures (Net).
type Figures struct {
	Orders, Quantity, Gross, Discounts, Refunds, Tax, GiftCardLoads int64
}

// Add returns f + g.
func (f Figures) Add(g Figures) Figures {
	return Figures{f.Orders + g.Orders, f.Quantity + g.Quantity, f.Gross + g.Gross, f.Discounts + g.Discounts, f.Refunds + g.Refunds, f.Tax + g.Tax,
		f.GiftCardLoads + g.GiftCardLoads}
}

// Times returns f with every figure multiplied by k (−1: a bucket's part
// taken away).
func (f Figures) Times(k int64) Figures {
	return Figures{k * f.Orders, k * f.Quantity, k * f.Gross, k * f.Discounts, k * f.Refunds, k * f.Tax, k * f.GiftCardLoads}
}

// Net is gross sales less discounts and refunds.
func (f Figures) Net() int64 { return f.Gross - f.Discounts - f.Refunds }

// Grouping is how a summary's rows are keyed.
type Grouping string

// The groupings of the contract.
const (
	ByDay           Grouping = "DAY"
	ByHour          Grouping = "HOUR"
	ByLocation      Grouping = "LOCATION"
	ByItem          Grouping = "ITEM"
	ByPaymentMethod Grouping = "PAYMENT_METHOD"
	ByTaxCategory   Grouping = "TAX_CATEGORY"
	ByStaff         Grouping = "STAFF"
	ByRegister      Grouping = "REGISTER" // a renkei addition
)

// Valid reports whether g is a known grouping.
func (g Grouping) Valid() bool {
	switch g {
	case ByDay, ByHour, ByLocation, ByItem, ByPaymentMethod, ByTaxCategory, ByStaff, ByRegister:
		return true
	}
	return false
}

// dimension is what an aggregate item is keyed by besides its time bucket:
// DAY, HOUR and LOCATION all read the location's totals.
type dimension string

const (
	dimTotal    dimension = "T"
	dimItem     dimension = "I"
	dimTax      dimension = "X"
	dimPayment  dimension = "P"
	dimStaff    dimension = "S"
	dimRegister dimension = "R"
)

func (g Grouping) dimension() dimension {
	switch g {
	case ByItem:
		return dimItem
	case ByTaxCategory:
		return dimTax
	case ByPaymentMethod:
		return dimPayment
	case ByStaff:
		return dimStaff
	case ByRegister:
		return dimRegister
	}
	return dimTotal
}

// Contribution is what one movement adds to one dimension's key.
type Contribution struct {
	dim     dimension
	Key     string
	Figures Figures
}

// Contributions returns what m adds to each dimension and key: the
// location's totals, each SKU, tax category, payment method, the staff
// member and the register. Within one dimension the contributions sum to the totals: a rate's
// tax is allocated to its lines by their totals, and an order paid by
// several methods is split among them in proportion to the amounts paid
// (largest remainder, so every yen lands once). orderCount counts the order
// once under every key it touches; a refund counts no order.
func Contributions(m Movement) []Contribution {
	var total Figures
	lineTax := lineTaxes(m)
	items := map[string]Figures{}
	cats := map[tax.Category]Figures{}
	var skus []string
	var catOrder []tax.Category
	orders := int64(1)
	if m.Refund || len(m.Lines) == 0 { // a sale of gift card loads only sells nothing
		orders = 0
	}
	for i, l := range m.Lines {
		f := lineFigures(m.Refund, l, lineTax[i])
		total = total.Add(f)
		if _, ok := items[l.SKU]; !ok {
			skus = append(skus, l.SKU)
		}
		items[l.SKU] = items[l.SKU].Add(f)
		if _, ok := cats[l.TaxCategory]; !ok {
			catOrder = append(catOrder, l.TaxCategory)
		}
		cats[l.TaxCategory] = cats[l.TaxCategory].Add(f)
	}
	// The rates' tax is the order's tax even when (by rounding) it differs
	// from the sum allocated to lines: allocation makes them equal.
	total.Orders = orders
	total.GiftCardLoads = m.GiftCardLoads
	out := []Contribution{{dim: dimTotal, Figures: total}}
	for _, sku := range skus {
		f := items[sku]
		f.Orders = orders
		out = append(out, Contribution{dim: dimItem, Key: sku, Figures: f})
	}
	for _, c := range catOrder {
		f := cats[c]
		f.Orders = orders
		out = append(out, Contribution{dim: dimTax, Key: string(c), Figures: f})
	}
	out = append(out, paymentContributions(m, total)...)
	staff := total
	out = append(out, Contribution{dim: dimStaff, Key: m.StaffKey, Figures: staff})
	out = append(out, Contribution{dim: dimRegister, Key: m.RegisterID, Figures: total})
	return out
}

// lineFigures is one line's figures with its share of tax.
func lineFigures(refund bool, l MovementLine, lineTax int64) Figures {
	if refund {
		return Figures{Refunds: l.Gross, Tax: -lineTax}
	}
	return Figures{Quantity: l.Quantity, Gross: l.Gross, Discounts: l.Discount, Tax: lineTax}
}

// lineTaxes allocates each rate's tax to the rate's lines by their totals.
func lineTaxes(m Movement) []int64 {
	out := make([]int64, len(m.Lines))
	for _, rt := range m.Taxes {
		var idx []int
		var weights []int64
		for i, l := range m.Lines {
			if l.TaxCategory == rt.Category {
				idx = append(idx, i)
				weights = append(weights, max(l.Total, 0))
			}
		}
		if len(idx) == 0 {
			continue
		}
		shares := tax.Allocate(rt.Tax, weights)
		if sum(weights) == 0 { // nothing to weigh by: the first line carries it
			shares[0] = rt.Tax
		}
		for k, i := range idx {
			out[i] += shares[k]
		}
	}
	return out
}

// paymentContributions splits the movement's totals among its payment
// methods in proportion to the amounts paid. A movement without payments
// (an order of total 0) has no payment row.
func paymentContributions(m Movement, total Figures) []Contribution {
	var methods []string
	amounts := map[string]int64{}
	for _, p := range m.Payments {
		if _, ok := amounts[p.Method]; !ok {
			methods = append(methods, p.Method)
		}
		amounts[p.Method] += max(p.Amount, 0)
	}
	if len(methods) == 0 {
		return nil
	}
	out := make([]Contribution, len(methods))
	if len(methods) == 1 {
		return []Contribution{{dim: dimPayment, Key: methods[0], Figures: total}}
	}
	weights := make([]int64, len(methods))
	for i, meth := range methods {
		weights[i] = amounts[meth]
	}
	if sum(weights) == 0 {
		weights[0] = 1
	}
	split := func(v int64) []int64 {
		if v < 0 {
			s := tax.Allocate(-v, weights)
			for i := range s {
				s[i] = -s[i]
			}
			return s
		}
		return tax.Allocate(v, weights)
	}
	q, g, d, r, tx, l := split(total.Quantity), split(total.Gross), split(total.Discounts), split(total.Refunds), split(total.Tax), split(total.GiftCardLoads)
	for i, meth := range methods {
		out[i] = Contribution{dim: dimPayment, Key: meth, Figures: Figures{Orders: total.Orders, Quantity: q[i], Gross: g[i], Discounts: d[i], Refunds: r[i], Tax: tx[i],
			GiftCardLoads: l[i]}}
	}
	return out
}

func sum(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}
