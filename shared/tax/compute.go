package tax

import "strconv"

// Line is one line of an order, priced in the tenant's basis (tax-inclusive
// or tax-exclusive).
type Line struct {
	UnitPrice int64 // minor units, 0 to MaxAmount
	Quantity  int64 // at least 1
	Category  Category
	Discount  *Discount // optional
}

// Input is an order to price, with the tenant's tax settings.
type Input struct {
	Lines            []Line    // at least one
	OrderDiscount    *Discount // optional; allocated to the lines before tax
	PricesIncludeTax bool      // the tenant's pricesIncludeTax (総額表示 when true)
	Rounding         Rounding  // the tenant's taxRounding
}

// LineResult is one line priced: Total = Gross − LineDiscount − OrderDiscount.
type LineResult struct {
	Category      Category
	RatePercent   int
	Gross         int64 // unit price × quantity
	LineDiscount  int64 // the line's own discount
	OrderDiscount int64 // this line's share of the order discount
	Total         int64
}

// Discount is everything taken off the line: GraphQL OrderLine.discount.
func (l LineResult) Discount() int64 { return l.LineDiscount + l.OrderDiscount }

// RateResult is the tax of one category in an order: GraphQL TaxLine.
type RateResult struct {
	Category    Category
	RatePercent int
	Taxable     int64 // sum of the category's line totals; includes Tax when prices include tax
	Tax         int64 // computed once on Taxable
}

// Result is a priced order. Amounts are in the tenant's price basis, so
// Subtotal and line totals include tax when prices do.
type Result struct {
	Lines         []LineResult // in input order
	Gross         int64        // sum of line gross amounts, before any discount
	Subtotal      int64        // after line discounts, before the order discount
	OrderDiscount int64        // the order discount's amount
	DiscountTotal int64        // line discounts plus the order discount
	TaxTotal      int64        // sum of Rates' tax
	Total         int64        // what the customer pays
	Rates         []RateResult // one per category present: STANDARD, REDUCED, EXEMPT
}

// Compute prices an order: discounts, line totals, and tax once per rate, in
// the order the package documentation gives. It returns an *InputError for
// any input it cannot price, and never panics.
func Compute(in Input) (Result, error) {
	if !in.Rounding.Valid() {
		return Result{}, invalid([]string{"taxRounding"}, "unknown tax rounding %q", in.Rounding)
	}
	if len(in.Lines) == 0 {
		return Result{}, invalid([]string{"lines"}, "an order needs at least one line")
	}
	res := Result{Lines: make([]LineResult, len(in.Lines))}
	nets := make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		lr, err := priceLine(i, l)
		if err != nil {
			return Result{}, err
		}
		if lr.Gross > MaxAmount-res.Gross {
			return Result{}, invalid([]string{"lines"}, "the order amount must not exceed %d", MaxAmount)
		}
		res.Lines[i] = lr
		nets[i] = lr.Gross - lr.LineDiscount
		res.Gross += lr.Gross
		res.Subtotal += nets[i]
		res.DiscountTotal += lr.LineDiscount
	}

	od, err := in.OrderDiscount.amountOf(res.Subtotal, "the order subtotal", []string{"orderDiscount"})
	if err != nil {
		return Result{}, err
	}
	res.OrderDiscount = od
	res.DiscountTotal += od
	var taxable [len(categories)]int64
	var present [len(categories)]bool
	for i, share := range allocate(od, nets) {
		lr := &res.Lines[i]
		lr.OrderDiscount = share
		lr.Total = nets[i] - share
		k := lr.Category.index()
		taxable[k] += lr.Total
		present[k] = true
	}

	for k, c := range categories {
		if !present[k] {
			continue
		}
		rate, _ := c.RatePercent()
		t := taxOf(taxable[k], rate, in.PricesIncludeTax, in.Rounding)
		res.Rates = append(res.Rates, RateResult{Category: c, RatePercent: rate, Taxable: taxable[k], Tax: t})
		res.TaxTotal += t
	}
	res.Total = res.Subtotal - od
	if !in.PricesIncludeTax {
		res.Total += res.TaxTotal
	}
	return res, nil
}

// priceLine validates line i and returns its gross and line discount.
func priceLine(i int, l Line) (LineResult, error) {
	at := func(field ...string) []string {
		return append([]string{"lines", strconv.Itoa(i)}, field...)
	}
	if l.Quantity <= 0 {
		return LineResult{}, invalid(at("quantity"), "quantity must be at least 1")
	}
	if l.UnitPrice < 0 {
		return LineResult{}, invalid(at("unitPrice"), "unit price must not be negative")
	}
	if l.UnitPrice > MaxAmount {
		return LineResult{}, invalid(at("unitPrice"), "unit price must not exceed %d", MaxAmount)
	}
	if l.UnitPrice > 0 && l.Quantity > MaxAmount/l.UnitPrice {
		return LineResult{}, invalid(at("quantity"), "the line amount must not exceed %d", MaxAmount)
	}
	rate, ok := l.Category.RatePercent()
	if !ok {
		return LineResult{}, invalid(at("taxCategory"), "unknown tax category %q", l.Category)
	}
	gross := l.UnitPrice * l.Quantity
	d, err := l.Discount.amountOf(gross, "the line amount", at("discount"))
	if err != nil {
		return LineResult{}, err
	}
	return LineResult{Category: l.Category, RatePercent: rate, Gross: gross, LineDiscount: d}, nil
}
