package tax_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/tax"
)

func line(unitPrice, quantity int64, c tax.Category, d *tax.Discount) tax.Line {
	return tax.Line{UnitPrice: unitPrice, Quantity: quantity, Category: c, Discount: d}
}

// priced is an expected LineResult; total is written out rather than derived
// so each example states its own arithmetic.
func priced(c tax.Category, gross, lineDiscount, orderDiscount, total int64) tax.LineResult {
	rate := map[tax.Category]int{tax.Standard: 10, tax.Reduced: 8, tax.Exempt: 0}[c]
	return tax.LineResult{Category: c, RatePercent: rate, Gross: gross, LineDiscount: lineDiscount, OrderDiscount: orderDiscount, Total: total}
}

func rate(c tax.Category, taxable, t int64) tax.RateResult {
	r, _ := c.RatePercent()
	return tax.RateResult{Category: c, RatePercent: r, Taxable: taxable, Tax: t}
}

func TestCompute_Examples(t *testing.T) {
	tests := []struct {
		name string
		in   tax.Input
		want tax.Result
	}{
		{
			// reduced:  540 × 2 = 1080; tax 1080 × 8 / 108 = 80 exactly
			// standard: 1100;           tax 1100 × 10 / 110 = 100 exactly
			// total = 1080 + 1100 = 2180, tax 180 contained in it
			name: "inclusive basket with both rates",
			in: tax.Input{
				Lines:            []tax.Line{line(540, 2, tax.Reduced, nil), line(1100, 1, tax.Standard, nil)},
				PricesIncludeTax: true, Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Reduced, 1080, 0, 0, 1080), priced(tax.Standard, 1100, 0, 0, 1100)},
				Gross: 2180, Subtotal: 2180, TaxTotal: 180, Total: 2180,
				Rates: []tax.RateResult{rate(tax.Standard, 1100, 100), rate(tax.Reduced, 1080, 80)},
			},
		},
		{
			// reduced:  500 × 3 = 1500; tax 1500 × 8 / 100 = 120
			// standard: 1000;           tax 1000 × 10 / 100 = 100
			// total = 1500 + 1000 + 120 + 100 = 2720
			name: "exclusive basket with both rates",
			in: tax.Input{
				Lines:    []tax.Line{line(500, 3, tax.Reduced, nil), line(1000, 1, tax.Standard, nil)},
				Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Reduced, 1500, 0, 0, 1500), priced(tax.Standard, 1000, 0, 0, 1000)},
				Gross: 2500, Subtotal: 2500, TaxTotal: 220, Total: 2720,
				Rates: []tax.RateResult{rate(tax.Standard, 1000, 100), rate(tax.Reduced, 1500, 120)},
			},
		},
		{
			// Tax once per rate per order, not per line:
			// per line: 105 × 10 / 110 = 9.54 → 9, three times = 27
			// per order: 315 × 10 / 110 = 28.63 → 28
			name: "tax once per rate, not per line",
			in: tax.Input{
				Lines: []tax.Line{
					line(105, 1, tax.Standard, nil), line(105, 1, tax.Standard, nil), line(105, 1, tax.Standard, nil),
				},
				PricesIncludeTax: true, Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{
					priced(tax.Standard, 105, 0, 0, 105), priced(tax.Standard, 105, 0, 0, 105), priced(tax.Standard, 105, 0, 0, 105),
				},
				Gross: 315, Subtotal: 315, TaxTotal: 28, Total: 315,
				Rates: []tax.RateResult{rate(tax.Standard, 315, 28)},
			},
		},
		{
			// ¥100 over nets 1000, 1000, 1000 (sum 3000):
			// each 100 × 1000 / 3000 = 33 remainder 1000; 100 − 99 = 1 left
			// equal remainders: the lowest index gets it → 34, 33, 33
			// totals 966 + 967 + 967 = 2900; tax 2900 × 10 / 110 = 263.63 → 263
			name: "order amount discount with a remainder",
			in: tax.Input{
				Lines: []tax.Line{
					line(1000, 1, tax.Standard, nil), line(1000, 1, tax.Standard, nil), line(1000, 1, tax.Standard, nil),
				},
				OrderDiscount:    tax.AmountOff(100),
				PricesIncludeTax: true, Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{
					priced(tax.Standard, 1000, 0, 34, 966), priced(tax.Standard, 1000, 0, 33, 967), priced(tax.Standard, 1000, 0, 33, 967),
				},
				Gross: 3000, Subtotal: 3000, OrderDiscount: 100, DiscountTotal: 100, TaxTotal: 263, Total: 2900,
				Rates: []tax.RateResult{rate(tax.Standard, 2900, 263)},
			},
		},
		{
			// subtotal 1000 + 555 = 1555; 10% = 155.5 → floor 155
			// line 0: 155 × 1000 / 1555 = 99 remainder 1055
			// line 1: 155 × 555 / 1555 = 55 remainder 500
			// 155 − 154 = 1 left → line 0 (larger remainder): 100, 55
			// totals 900, 500
			// standard 900 × 10 / 110 = 81.81 → 81; reduced 500 × 8 / 108 = 37.03 → 37
			name: "order percent discount over mixed rates",
			in: tax.Input{
				Lines:            []tax.Line{line(1000, 1, tax.Standard, nil), line(555, 1, tax.Reduced, nil)},
				OrderDiscount:    tax.PercentOff(10),
				PricesIncludeTax: true, Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Standard, 1000, 0, 100, 900), priced(tax.Reduced, 555, 0, 55, 500)},
				Gross: 1555, Subtotal: 1555, OrderDiscount: 155, DiscountTotal: 155, TaxTotal: 118, Total: 1400,
				Rates: []tax.RateResult{rate(tax.Standard, 900, 81), rate(tax.Reduced, 500, 37)},
			},
		},
		{
			// line 0: 1000, 10% off = 100 → net 900; line 1: 300 × 2 = 600
			// subtotal 1500; ¥150 off: 150 × 900 / 1500 = 90, 150 × 600 / 1500 = 60
			// totals 810, 540
			// standard 810 × 10 / 100 = 81; reduced 540 × 8 / 100 = 43.2 → 43
			// total 810 + 540 + 81 + 43 = 1474
			name: "line and order discounts, exclusive, mixed rates",
			in: tax.Input{
				Lines:         []tax.Line{line(1000, 1, tax.Standard, tax.PercentOff(10)), line(300, 2, tax.Reduced, nil)},
				OrderDiscount: tax.AmountOff(150),
				Rounding:      tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Standard, 1000, 100, 90, 810), priced(tax.Reduced, 600, 0, 60, 540)},
				Gross: 1600, Subtotal: 1500, OrderDiscount: 150, DiscountTotal: 250, TaxTotal: 124, Total: 1474,
				Rates: []tax.RateResult{rate(tax.Standard, 810, 81), rate(tax.Reduced, 540, 43)},
			},
		},
		{
			// 333 × 3 = 999; 15% = 149.85 → 149 (percent discounts are floored)
			// net 850; tax 850 × 10 / 100 = 85; total 935
			name: "percent line discount is floored",
			in: tax.Input{
				Lines:    []tax.Line{line(333, 3, tax.Standard, tax.PercentOff(15))},
				Rounding: tax.HalfUp,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Standard, 999, 149, 0, 850)},
				Gross: 999, Subtotal: 850, DiscountTotal: 149, TaxTotal: 85, Total: 935,
				Rates: []tax.RateResult{rate(tax.Standard, 850, 85)},
			},
		},
		{
			// line 0: 500 − 500 = 0; standard base 0 + 1100 = 1100 → 100
			// exempt 2000 → tax 0, still listed as a rate present
			// total 0 + 2000 + 1100 = 3100
			name: "line discount equal to the line, and an exempt line",
			in: tax.Input{
				Lines: []tax.Line{
					line(500, 1, tax.Standard, tax.AmountOff(500)), line(2000, 1, tax.Exempt, nil), line(1100, 1, tax.Standard, nil),
				},
				PricesIncludeTax: true, Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{
					priced(tax.Standard, 500, 500, 0, 0), priced(tax.Exempt, 2000, 0, 0, 2000), priced(tax.Standard, 1100, 0, 0, 1100),
				},
				Gross: 3600, Subtotal: 3100, DiscountTotal: 500, TaxTotal: 100, Total: 3100,
				Rates: []tax.RateResult{rate(tax.Standard, 1100, 100), rate(tax.Exempt, 2000, 0)},
			},
		},
		{
			// line 0 is fully discounted (net 0) and gets no share
			// ¥101 over nets 0, 500, 500 (sum 1000):
			// lines 1 and 2: 101 × 500 / 1000 = 50 remainder 500; 1 left
			// equal remainders → line 1 first: 0, 51, 50; totals 0, 449, 450
			// reduced 899 × 8 / 108 = 66.59 → 66; standard 0 → 0
			name: "order discount skips a fully discounted line",
			in: tax.Input{
				Lines: []tax.Line{
					line(1000, 1, tax.Standard, tax.PercentOff(100)), line(500, 1, tax.Reduced, nil), line(500, 1, tax.Reduced, nil),
				},
				OrderDiscount:    tax.AmountOff(101),
				PricesIncludeTax: true, Rounding: tax.Floor,
			},
			want: tax.Result{
				Lines: []tax.LineResult{
					priced(tax.Standard, 1000, 1000, 0, 0), priced(tax.Reduced, 500, 0, 51, 449), priced(tax.Reduced, 500, 0, 50, 450),
				},
				Gross: 2000, Subtotal: 1000, OrderDiscount: 101, DiscountTotal: 1101, TaxTotal: 66, Total: 899,
				Rates: []tax.RateResult{rate(tax.Standard, 0, 0), rate(tax.Reduced, 899, 66)},
			},
		},
		{
			// 100% off: allocations equal the nets (800, 300), every total 0
			// tax 0 on both rates; rates listed STANDARD first whatever the line order
			name: "zero total",
			in: tax.Input{
				Lines:         []tax.Line{line(800, 1, tax.Reduced, nil), line(300, 1, tax.Standard, nil)},
				OrderDiscount: tax.PercentOff(100),
				Rounding:      tax.Ceiling,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Reduced, 800, 0, 800, 0), priced(tax.Standard, 300, 0, 300, 0)},
				Gross: 1100, Subtotal: 1100, OrderDiscount: 1100, DiscountTotal: 1100, TaxTotal: 0, Total: 0,
				Rates: []tax.RateResult{rate(tax.Standard, 0, 0), rate(tax.Reduced, 0, 0)},
			},
		},
		{
			// free item: 0 × 5 = 0, no tax
			name: "zero price",
			in: tax.Input{
				Lines:    []tax.Line{line(0, 5, tax.Reduced, nil)},
				Rounding: tax.Ceiling,
			},
			want: tax.Result{
				Lines: []tax.LineResult{priced(tax.Reduced, 0, 0, 0, 0)},
				Rates: []tax.RateResult{rate(tax.Reduced, 0, 0)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tax.Compute(tt.in)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compute:\n got %+v\nwant %+v", got, tt.want)
			}
			checkInvariants(t, tt.in, got)
		})
	}
}

func TestCompute_Rounding(t *testing.T) {
	tests := []struct {
		name      string
		amount    int64
		category  tax.Category
		inclusive bool
		want      map[tax.Rounding]int64
	}{
		// 1000 × 8 / 108 = 74.07
		{"inclusive 1000 reduced", 1000, tax.Reduced, true, map[tax.Rounding]int64{tax.Floor: 74, tax.HalfUp: 74, tax.Ceiling: 75}},
		// 105 × 10 / 110 = 9.545
		{"inclusive 105 standard", 105, tax.Standard, true, map[tax.Rounding]int64{tax.Floor: 9, tax.HalfUp: 10, tax.Ceiling: 10}},
		// 105 × 10 / 100 = 10.5 exactly: half rounds up
		{"exclusive 105 standard", 105, tax.Standard, false, map[tax.Rounding]int64{tax.Floor: 10, tax.HalfUp: 11, tax.Ceiling: 11}},
		// 1234 × 8 / 100 = 98.72
		{"exclusive 1234 reduced", 1234, tax.Reduced, false, map[tax.Rounding]int64{tax.Floor: 98, tax.HalfUp: 99, tax.Ceiling: 99}},
		// 1000 × 10 / 100 = 100 exactly: every mode agrees
		{"exclusive 1000 standard", 1000, tax.Standard, false, map[tax.Rounding]int64{tax.Floor: 100, tax.HalfUp: 100, tax.Ceiling: 100}},
		// 1 × 10 / 110 = 0.09
		{"inclusive 1 standard", 1, tax.Standard, true, map[tax.Rounding]int64{tax.Floor: 0, tax.HalfUp: 0, tax.Ceiling: 1}},
		// exempt is 0 whatever the mode
		{"inclusive 999 exempt", 999, tax.Exempt, true, map[tax.Rounding]int64{tax.Floor: 0, tax.HalfUp: 0, tax.Ceiling: 0}},
	}
	for _, tt := range tests {
		for _, r := range []tax.Rounding{tax.Floor, tax.HalfUp, tax.Ceiling} {
			t.Run(tt.name+"/"+string(r), func(t *testing.T) {
				in := tax.Input{Lines: []tax.Line{line(tt.amount, 1, tt.category, nil)}, PricesIncludeTax: tt.inclusive, Rounding: r}
				got, err := tax.Compute(in)
				if err != nil {
					t.Fatalf("Compute: %v", err)
				}
				if got.TaxTotal != tt.want[r] {
					t.Errorf("TaxTotal = %d, want %d", got.TaxTotal, tt.want[r])
				}
				wantTotal := tt.amount
				if !tt.inclusive {
					wantTotal += tt.want[r]
				}
				if got.Total != wantTotal {
					t.Errorf("Total = %d, want %d", got.Total, wantTotal)
				}
				rate, _ := tt.category.RatePercent()
				single, err := tax.TaxOf(tt.amount, rate, tt.inclusive, r)
				if err != nil || single != tt.want[r] {
					t.Errorf("TaxOf = %d, %v; want %d", single, err, tt.want[r])
				}
			})
		}
	}
}

func TestCompute_LargeAmounts(t *testing.T) {
	// Allocation multiplies the discount by a net: up to 10^26 here, past int64.
	max := tax.MaxAmount
	in := tax.Input{
		Lines: []tax.Line{
			line(max-7, 1, tax.Standard, nil), line(3, 1, tax.Reduced, nil), line(1, 4, tax.Exempt, nil),
		},
		OrderDiscount: tax.AmountOff(max - 1),
		Rounding:      tax.HalfUp,
	}
	got, err := tax.Compute(in)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	checkInvariants(t, in, got)
	if got.Subtotal != max || got.OrderDiscount != max-1 {
		t.Errorf("Subtotal, OrderDiscount = %d, %d; want %d, %d", got.Subtotal, got.OrderDiscount, max, max-1)
	}
}

func TestCompute_InvalidInput(t *testing.T) {
	ok := func(lines ...tax.Line) tax.Input {
		return tax.Input{Lines: lines, PricesIncludeTax: true, Rounding: tax.Floor}
	}
	std := line(1000, 1, tax.Standard, nil)
	withOrder := func(d *tax.Discount, lines ...tax.Line) tax.Input {
		in := ok(lines...)
		in.OrderDiscount = d
		return in
	}
	both := &tax.Discount{Percent: new(int64(10)), Amount: new(int64(10))}
	tests := []struct {
		name string
		in   tax.Input
		want []string
	}{
		{"no rounding", tax.Input{Lines: []tax.Line{std}}, []string{"taxRounding"}},
		{"unknown rounding", tax.Input{Lines: []tax.Line{std}, Rounding: "BANKERS"}, []string{"taxRounding"}},
		{"no lines", ok(), []string{"lines"}},
		{"zero quantity", ok(std, line(100, 0, tax.Standard, nil)), []string{"lines", "1", "quantity"}},
		{"negative quantity", ok(line(100, -2, tax.Standard, nil)), []string{"lines", "0", "quantity"}},
		{"negative price", ok(line(-1, 1, tax.Standard, nil)), []string{"lines", "0", "unitPrice"}},
		{"price over the maximum", ok(line(tax.MaxAmount+1, 1, tax.Standard, nil)), []string{"lines", "0", "unitPrice"}},
		{"line over the maximum", ok(line(1_000_000, 1<<62, tax.Standard, nil)), []string{"lines", "0", "quantity"}},
		{"order over the maximum", ok(line(tax.MaxAmount, 1, tax.Standard, nil), line(1, 1, tax.Exempt, nil)), []string{"lines"}},
		{"unknown category", ok(std, std, line(100, 1, "LUXURY", nil)), []string{"lines", "2", "taxCategory"}},
		{"empty category", ok(line(100, 1, "", nil)), []string{"lines", "0", "taxCategory"}},
		{"both percent and amount", ok(std, std, line(100, 1, tax.Standard, both)), []string{"lines", "2", "discount"}},
		{"neither percent nor amount", ok(line(100, 1, tax.Standard, &tax.Discount{})), []string{"lines", "0", "discount"}},
		{"percent over 100", ok(line(100, 1, tax.Standard, tax.PercentOff(101))), []string{"lines", "0", "discount", "percent"}},
		{"negative percent", ok(line(100, 1, tax.Standard, tax.PercentOff(-1))), []string{"lines", "0", "discount", "percent"}},
		{"negative amount", ok(line(100, 1, tax.Standard, tax.AmountOff(-1))), []string{"lines", "0", "discount", "amount"}},
		{"amount over the line", ok(line(100, 2, tax.Standard, tax.AmountOff(201))), []string{"lines", "0", "discount", "amount"}},
		// subtotal after the line discount is 900, so 901 is too much
		{"order amount over the subtotal", withOrder(tax.AmountOff(901), line(1000, 1, tax.Standard, tax.PercentOff(10))), []string{"orderDiscount", "amount"}},
		{"order negative amount", withOrder(tax.AmountOff(-5), std), []string{"orderDiscount", "amount"}},
		{"order percent over 100", withOrder(tax.PercentOff(150), std), []string{"orderDiscount", "percent"}},
		{"order both", withOrder(both, std), []string{"orderDiscount"}},
		{"order neither", withOrder(&tax.Discount{}, std), []string{"orderDiscount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tax.Compute(tt.in)
			var ie *tax.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Compute = %+v, %v; want an *InputError", got, err)
			}
			if !slices.Equal(ie.Field, tt.want) {
				t.Errorf("Field = %q, want %q", ie.Field, tt.want)
			}
			if ie.Message == "" || !strings.Contains(err.Error(), strings.Join(tt.want, ".")) {
				t.Errorf("Error() = %q, want a message naming %s", err, strings.Join(tt.want, "."))
			}
			if !reflect.DeepEqual(got, tax.Result{}) {
				t.Errorf("Compute returned %+v with its error, want the zero Result", got)
			}
		})
	}
	t.Run("order amount equal to the subtotal is allowed", func(t *testing.T) {
		if _, err := tax.Compute(withOrder(tax.AmountOff(900), line(1000, 1, tax.Standard, tax.PercentOff(10)))); err != nil {
			t.Errorf("Compute: %v", err)
		}
	})
}
