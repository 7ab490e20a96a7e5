package tax_test

import (
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/renkei-pos/renkei/shared/tax"
)

// FuzzCompute decodes arbitrary bytes into an order, mostly valid ones, and
// checks that Compute accepts exactly the valid inputs, is deterministic,
// never panics, and that every result keeps the invariants.
func FuzzCompute(f *testing.F) {
	// flags byte: bits 0-1 category, 2-4 discount kind (4 percent, 5 amount,
	// 6 both, 7 neither, else none), 5 large prices, 6 unknown category,
	// 7 raw values. Then price, quantity and discount value, 8 bytes each.
	f.Add(seedLine(0x01, 540, 1, 0), true, uint8(0), uint8(0), int64(0))
	f.Add(append(seedLine(0x00, 1000, 0, 0), append(seedLine(0x00, 1000, 0, 0), seedLine(0x00, 1000, 0, 0)...)...), true, uint8(0), uint8(5), int64(100))
	f.Add(append(seedLine(0x10, 1000, 0, 10), seedLine(0x01, 300, 1, 0)...), false, uint8(1), uint8(4), int64(10))
	f.Add(append(seedLine(0x16, 500, 0, 500), seedLine(0x02, 2000, 0, 0)...), true, uint8(2), uint8(4), int64(100))
	f.Add(seedLine(0x20, 1<<40, 3, 0), false, uint8(1), uint8(5), int64(1<<50))
	f.Add(seedLine(0x80, -1, 0, 0), true, uint8(3), uint8(0x86), int64(-1))
	f.Add([]byte{}, true, uint8(0), uint8(0), int64(0))

	f.Fuzz(func(t *testing.T, data []byte, inclusive bool, rounding, orderKind uint8, orderValue int64) {
		in := decodeInput(data, inclusive, rounding, orderKind, orderValue)
		res, err := tax.Compute(in)
		again, errAgain := tax.Compute(in)
		if !reflect.DeepEqual(res, again) || !reflect.DeepEqual(err, errAgain) {
			t.Fatalf("Compute is not deterministic:\n%+v, %v\n%+v, %v", res, err, again, errAgain)
		}
		valid := wantValid(in)
		if err != nil {
			var ie *tax.InputError
			if !errors.As(err, &ie) || len(ie.Field) == 0 || ie.Message == "" {
				t.Fatalf("Compute error %#v is not an *InputError with a field and a message", err)
			}
			if valid {
				t.Fatalf("Compute rejected a valid input %+v: %v", in, err)
			}
			return
		}
		if !valid {
			t.Fatalf("Compute accepted an invalid input %+v", in)
		}
		checkInvariants(t, in, res)
	})
}

// FuzzTaxOf checks TaxOf against exact rational arithmetic.
func FuzzTaxOf(f *testing.F) {
	f.Add(int64(105), 10, true, uint8(1))
	f.Add(int64(-1234), 8, false, uint8(2))
	f.Add(tax.MaxAmount, 100, false, uint8(0))
	f.Fuzz(func(t *testing.T, amount int64, rate int, inclusive bool, rounding uint8) {
		r := []tax.Rounding{tax.Floor, tax.HalfUp, tax.Ceiling, "ROUND"}[rounding%4]
		got, err := tax.TaxOf(amount, rate, inclusive, r)
		valid := r.Valid() && rate >= 0 && rate <= 100 && amount >= -tax.MaxAmount && amount <= tax.MaxAmount
		if (err == nil) != valid {
			t.Fatalf("TaxOf(%d, %d, %t, %q) = %d, %v; valid = %t", amount, rate, inclusive, r, got, err, valid)
		}
		if !valid {
			return
		}
		abs := max(amount, -amount)
		want := roundedTax(abs, rate, inclusive, r)
		if amount < 0 {
			want = -want
		}
		if got != want {
			t.Fatalf("TaxOf(%d, %d, %t, %q) = %d, want %d", amount, rate, inclusive, r, got, want)
		}
		if max(got, -got) > abs {
			t.Fatalf("TaxOf(%d, ...) = %d, larger than the amount", amount, got)
		}
	})
}

func seedLine(flags byte, price, quantityIndex, discount int64) []byte {
	b := []byte{flags}
	for _, v := range []int64{price, quantityIndex, discount} {
		for s := 56; s >= 0; s -= 8 {
			b = append(b, byte(uint64(v)>>s))
		}
	}
	return b
}

type byteReader struct{ b []byte }

func (r *byteReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) int64() int64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(r.byte())
	}
	return int64(v)
}

// pick returns v as is when raw, else v reduced into [offset, offset+bound).
func pick(v int64, raw bool, bound uint64, offset int64) int64 {
	if raw {
		return v
	}
	return int64(uint64(v)%bound) + offset
}

func decodeInput(data []byte, inclusive bool, rounding, orderKind uint8, orderValue int64) tax.Input {
	in := tax.Input{
		PricesIncludeTax: inclusive,
		Rounding:         []tax.Rounding{tax.Floor, tax.HalfUp, tax.Ceiling, tax.Floor}[rounding%4],
	}
	if rounding%4 == 3 && rounding&0x80 != 0 {
		in.Rounding = ""
	}
	r := &byteReader{data}
	for len(r.b) > 0 && len(in.Lines) < 32 {
		flags := r.byte()
		raw := flags&0x80 != 0
		l := tax.Line{Category: []tax.Category{tax.Standard, tax.Reduced, tax.Exempt, tax.Standard}[flags&3]}
		if flags&3 == 3 && flags&0x40 != 0 {
			l.Category = "BOGUS"
		}
		priceBound := uint64(100_000)
		if flags&0x20 != 0 {
			priceBound = uint64(tax.MaxAmount / 4)
		}
		l.UnitPrice = pick(r.int64(), raw, priceBound, 0)
		l.Quantity = pick(r.int64(), raw, 20, 1)
		gross := uint64(100_000) // any bound will do when the line is raw
		if !raw {
			gross = uint64(l.UnitPrice * l.Quantity)
		}
		l.Discount = decodeDiscount((flags>>2)&7, r.int64(), raw, gross)
		in.Lines = append(in.Lines, l)
	}
	subtotal, ok := subtotalOf(in.Lines)
	if !ok {
		subtotal = 100_000
	}
	in.OrderDiscount = decodeDiscount(orderKind&7, orderValue, orderKind&0x80 != 0, uint64(subtotal))
	return in
}

func decodeDiscount(kind uint8, v int64, raw bool, base uint64) *tax.Discount {
	switch kind {
	case 4:
		return tax.PercentOff(pick(v, raw, 101, 0))
	case 5:
		return tax.AmountOff(pick(v, raw, base+1, 0))
	case 6:
		return &tax.Discount{Percent: new(pick(v, raw, 101, 0)), Amount: new(pick(v, raw, base+1, 0))}
	case 7:
		return &tax.Discount{}
	}
	return nil
}

// discountOf is the documented value of d on base, and false if d is invalid.
func discountOf(d *tax.Discount, base int64) (int64, bool) {
	switch {
	case d == nil:
		return 0, true
	case (d.Percent == nil) == (d.Amount == nil):
		return 0, false
	case d.Percent != nil:
		p := *d.Percent
		return base * p / 100, p >= 0 && p <= 100
	}
	return *d.Amount, *d.Amount >= 0 && *d.Amount <= base
}

// subtotalOf is the sum of line nets, and false if a line is invalid or the
// order exceeds MaxAmount.
func subtotalOf(lines []tax.Line) (int64, bool) {
	limit := big.NewInt(tax.MaxAmount)
	gross := new(big.Int)
	var subtotal int64
	for _, l := range lines {
		if l.Quantity <= 0 || l.UnitPrice < 0 || !l.Category.Valid() {
			return 0, false
		}
		g := new(big.Int).Mul(big.NewInt(l.UnitPrice), big.NewInt(l.Quantity))
		if gross.Add(gross, g).Cmp(limit) > 0 {
			return 0, false
		}
		d, ok := discountOf(l.Discount, g.Int64())
		if !ok {
			return 0, false
		}
		subtotal += g.Int64() - d
	}
	return subtotal, true
}

// wantValid reports whether the documented rules accept in.
func wantValid(in tax.Input) bool {
	if !in.Rounding.Valid() || len(in.Lines) == 0 {
		return false
	}
	subtotal, ok := subtotalOf(in.Lines)
	if !ok {
		return false
	}
	_, ok = discountOf(in.OrderDiscount, subtotal)
	return ok
}

// roundedTax is the documented tax on amount ≥ 0, in exact arithmetic.
func roundedTax(amount int64, rate int, inclusive bool, r tax.Rounding) int64 {
	den := int64(100)
	if inclusive {
		den += int64(rate)
	}
	num := new(big.Int).Mul(big.NewInt(amount), big.NewInt(int64(rate)))
	q, rem := new(big.Int).QuoRem(num, big.NewInt(den), new(big.Int))
	switch {
	case rem.Sign() == 0:
	case r == tax.Ceiling, r == tax.HalfUp && 2*rem.Int64() >= den:
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// checkInvariants checks res against the rules for a valid in.
func checkInvariants(tb testing.TB, in tax.Input, res tax.Result) {
	tb.Helper()
	if len(res.Lines) != len(in.Lines) {
		tb.Fatalf("%d line results for %d lines", len(res.Lines), len(in.Lines))
	}
	var gross, subtotal, lineDiscounts, allocated, totals int64
	nets := make([]int64, len(in.Lines))
	taxable := map[tax.Category]int64{}
	for i, l := range in.Lines {
		lr := res.Lines[i]
		wantRate, _ := l.Category.RatePercent()
		if lr.Category != l.Category || lr.RatePercent != wantRate {
			tb.Errorf("line %d: category %s at %d%%, want %s at %d%%", i, lr.Category, lr.RatePercent, l.Category, wantRate)
		}
		if lr.Gross != l.UnitPrice*l.Quantity {
			tb.Errorf("line %d: Gross = %d, want %d × %d", i, lr.Gross, l.UnitPrice, l.Quantity)
		}
		if want, _ := discountOf(l.Discount, lr.Gross); lr.LineDiscount != want {
			tb.Errorf("line %d: LineDiscount = %d, want %d", i, lr.LineDiscount, want)
		}
		nets[i] = lr.Gross - lr.LineDiscount
		if lr.OrderDiscount < 0 || lr.OrderDiscount > nets[i] {
			tb.Errorf("line %d: order discount share %d outside [0, net %d]", i, lr.OrderDiscount, nets[i])
		}
		if lr.Total != nets[i]-lr.OrderDiscount || lr.Total < 0 {
			tb.Errorf("line %d: Total = %d, want %d − %d", i, lr.Total, nets[i], lr.OrderDiscount)
		}
		if lr.Discount() != lr.LineDiscount+lr.OrderDiscount {
			tb.Errorf("line %d: Discount() = %d", i, lr.Discount())
		}
		gross += lr.Gross
		subtotal += nets[i]
		lineDiscounts += lr.LineDiscount
		allocated += lr.OrderDiscount
		totals += lr.Total
		taxable[l.Category] += lr.Total
	}
	if res.Gross != gross || res.Subtotal != subtotal {
		tb.Errorf("Gross, Subtotal = %d, %d; want %d, %d", res.Gross, res.Subtotal, gross, subtotal)
	}
	if want, _ := discountOf(in.OrderDiscount, subtotal); res.OrderDiscount != want || allocated != want {
		tb.Errorf("OrderDiscount = %d, allocated %d; want %d", res.OrderDiscount, allocated, want)
	}
	if res.DiscountTotal != lineDiscounts+res.OrderDiscount || res.DiscountTotal > res.Gross {
		tb.Errorf("DiscountTotal = %d, want %d + %d, at most Gross %d", res.DiscountTotal, lineDiscounts, res.OrderDiscount, res.Gross)
	}
	checkAllocation(tb, res.OrderDiscount, nets, res.Lines)

	var taxTotal int64
	i := 0
	for _, c := range []tax.Category{tax.Standard, tax.Reduced, tax.Exempt} {
		base, present := taxable[c]
		if !present {
			continue
		}
		if i >= len(res.Rates) {
			tb.Fatalf("Rates = %+v, missing %s", res.Rates, c)
		}
		rr := res.Rates[i]
		i++
		rate, _ := c.RatePercent()
		want := roundedTax(base, rate, in.PricesIncludeTax, in.Rounding)
		if rr.Category != c || rr.RatePercent != rate || rr.Taxable != base || rr.Tax != want {
			tb.Errorf("rate %+v, want %s at %d%% on %d = %d", rr, c, rate, base, want)
		}
		if rr.Tax < 0 || rr.Tax > rr.Taxable {
			tb.Errorf("rate %+v: tax outside [0, taxable]", rr)
		}
		taxTotal += rr.Tax
	}
	if i != len(res.Rates) {
		tb.Errorf("Rates = %+v, want one per category present, highest rate first", res.Rates)
	}
	wantTotal := totals
	if !in.PricesIncludeTax {
		wantTotal += taxTotal
	}
	if res.TaxTotal != taxTotal || res.Total != wantTotal || res.Total != res.Subtotal-res.OrderDiscount+(wantTotal-totals) {
		tb.Errorf("TaxTotal, Total = %d, %d; want %d, %d", res.TaxTotal, res.Total, taxTotal, wantTotal)
	}
}

// checkAllocation checks the largest-remainder allocation of discount over
// nets: each share is the floor of the exact share or one more, and the lines
// given one more have larger remainders (lower index on a tie) than the lines
// with a remainder that were not.
func checkAllocation(tb testing.TB, discount int64, nets []int64, lines []tax.LineResult) {
	tb.Helper()
	var sum int64
	for _, n := range nets {
		sum += n
	}
	if sum == 0 {
		return
	}
	type share struct {
		rem   *big.Int
		extra bool
	}
	shares := make([]share, len(nets))
	for i, n := range nets {
		num := new(big.Int).Mul(big.NewInt(discount), big.NewInt(n))
		q, rem := new(big.Int).QuoRem(num, big.NewInt(sum), new(big.Int))
		got := lines[i].OrderDiscount
		switch {
		case got == q.Int64():
		case got == q.Int64()+1 && rem.Sign() > 0:
			shares[i].extra = true
		default:
			tb.Errorf("line %d: order discount share %d, want %d × %d / %d = %v rounded", i, got, discount, n, sum, q)
		}
		shares[i].rem = rem
	}
	for i, a := range shares {
		for j, b := range shares {
			if !a.extra || b.extra || b.rem.Sign() == 0 {
				continue
			}
			if c := a.rem.Cmp(b.rem); c < 0 || (c == 0 && i > j) {
				tb.Errorf("line %d got an extra unit (remainder %v) before line %d (remainder %v)", i, a.rem, j, b.rem)
			}
		}
	}
}
