package sales

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

var refundNow = time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC) // 00:30 on the 28th in Tokyo

func tokyo(tb testing.TB) *time.Location {
	tb.Helper()
	z, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

func refundCtx(tb testing.TB, n int, rounding tax.Rounding) RefundContext {
	return RefundContext{RefundID: fmt.Sprintf("rfd_%d", n), RegisterID: "reg_1", Rounding: rounding, Now: refundNow, Zone: tokyo(tb),
		Tracked: map[string]bool{"onigiri": true, "mug": true}}
}

// soldOrder prices the basket 3 onigiri (reduced, 540) + 1 mug (standard,
// 1100) + 1 bag (standard, 105, untracked) with a 10 % order discount,
// paid 1000 by card and the rest in cash.
func soldOrder(tb testing.TB, inclusive bool) Order {
	tb.Helper()
	in := CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", OrderDiscount: &DiscountInput{Percent: i64(10)},
		Lines: []CheckoutLine{{VariantID: "onigiri", Quantity: 3}, {VariantID: "mug", Quantity: 1}, {VariantID: "bag", Quantity: 1}}}
	snap := snapshot(inclusive, tenant.RoundFloor)
	total := totalOf(tb, in, snap)
	in.Payments = []PaymentInput{{Method: External, Amount: Money{1000, "JPY"}, Reference: "QR-77"}, cash(total-1000, total-1000)}
	sale, err := Price(in, snap, "ord_1", refundNow)
	if err != nil {
		tb.Fatal(err)
	}
	return sale.Order
}

// totalOf learns the total of in (whose payments it ignores) from the
// answer to a payment of 1.
func totalOf(tb testing.TB, in CheckoutInput, snap Snapshot) int64 {
	tb.Helper()
	in.Payments = []PaymentInput{cash(1, 1)}
	_, err := Price(in, snap, "ord_x", refundNow)
	if err == nil {
		return 1
	}
	var total int64
	msg := err.Error()
	if strings.Contains(msg, "the total is 0:") {
		return 0
	}
	at := strings.Index(msg, "but the total is")
	if at < 0 {
		tb.Fatalf("total from %v", err)
	}
	if _, serr := fmt.Sscanf(msg[at:], "but the total is %d", &total); serr != nil {
		tb.Fatalf("total from %v: %v", err, serr)
	}
	return total
}

func refundOf(lines ...RefundLineInput) RefundInput {
	return RefundInput{IdempotencyKey: "r1", OrderID: "ord_1", Lines: lines}
}

func TestPlanRefund_Amounts(t *testing.T) {
	// Inclusive: onigiri 1620, mug 1100, bag 105 → subtotal 2825; 10 % off
	// = 282 allocated 162 / 110 / 10 (largest remainder) → lines 1458, 990,
	// 95; total 2543; tax reduced floor(1458×8/108) = 108, standard
	// floor(1085×10/110) = 98.
	o := soldOrder(t, true)
	if o.Total != 2543 || o.Lines[0].Total != 1458 || o.Taxes[0].Tax != 98 || o.Taxes[1].Tax != 108 {
		t.Fatalf("the sale is not the one this test assumes: total %d, lines %+v, taxes %+v", o.Total, o.Lines, o.Taxes)
	}
	steps := []struct {
		lines   []RefundLineInput
		amount  int64
		taxes   string // category:taxable:tax
		tenders string // method:amount
		status  OrderStatus
	}{
		// 1 of 3 onigiri: ⌊1458/3⌋ = 486; tax ⌊486×8/108⌋ = 36; the first payment (QR) first.
		{[]RefundLineInput{{"ord_1-1", 1}}, 486, "REDUCED:486:36", "EXTERNAL:486", StatusPartiallyRefunded},
		// the mug and 1 onigiri: 990 + (972−486) = 1476; standard ⌊990×10/110⌋ = 90, reduced 36.
		{[]RefundLineInput{{"ord_1-2", 1}, {"ord_1-1", 1}}, 1476, "STANDARD:990:90 REDUCED:486:36", "EXTERNAL:514 CASH:962", StatusPartiallyRefunded},
		// the last onigiri and the bag: the rates are done, so they take what is left of the tax.
		{[]RefundLineInput{{"ord_1-1", 1}, {"ord_1-3", 1}}, 486 + 95, "STANDARD:95:8 REDUCED:486:36", "CASH:581", StatusRefunded},
	}
	var sum int64
	for i, st := range steps {
		p, err := PlanRefund(o, refundOf(st.lines...), refundCtx(t, i, tax.Floor))
		if err != nil {
			t.Fatalf("refund %d: %v", i, err)
		}
		r := p.Refund
		var taxes, tenders []string
		for _, x := range r.Taxes {
			taxes = append(taxes, fmt.Sprintf("%s:%d:%d", x.Category, x.Taxable, x.Tax))
		}
		for _, x := range r.Tenders {
			tenders = append(tenders, fmt.Sprintf("%s:%d", x.Method, x.Amount))
		}
		if r.Amount != st.amount || strings.Join(taxes, " ") != st.taxes || strings.Join(tenders, " ") != st.tenders || p.Order.Status != st.status {
			t.Errorf("refund %d: amount %d taxes %v tenders %v status %s; want %d %s %s %s", i, r.Amount, taxes, tenders, p.Order.Status, st.amount, st.taxes, st.tenders, st.status)
		}
		if r.BusinessDate != "2026-11-28" || r.RegisterID != "reg_1" || p.Read != i {
			t.Errorf("refund %d: business date %s, register %s, read %d", i, r.BusinessDate, r.RegisterID, p.Read)
		}
		sum += r.Amount
		o = p.Order
	}
	if sum != 2543 || o.RefundedTotal != 2543 || len(o.Refunds) != 3 {
		t.Fatalf("refunded %d (order says %d, %d refunds), want the total 2543", sum, o.RefundedTotal, len(o.Refunds))
	}
	for _, p := range o.Payments {
		if p.Refunded != p.Amount || p.Status != PaymentRefunded {
			t.Errorf("payment %+v not wholly refunded", p)
		}
	}
}

func TestPlanRefund_Restock(t *testing.T) {
	o := soldOrder(t, true)
	in := refundOf(RefundLineInput{"ord_1-1", 2}, RefundLineInput{"ord_1-3", 1})
	in.Restock = true
	p, err := PlanRefund(o, in, refundCtx(t, 0, tax.Floor))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Refund.Lines[0].Restocked || p.Refund.Lines[1].Restocked {
		t.Fatalf("the onigiri tracks stock and the bag does not: %+v", p.Refund.Lines)
	}
	in.Restock = false
	if p, _ = PlanRefund(o, in, refundCtx(t, 0, tax.Floor)); p.Refund.Lines[0].Restocked {
		t.Fatal("restocked without restock")
	}
}

func TestPlanRefund_Refused(t *testing.T) {
	o := soldOrder(t, true)
	with := func(f func(*Order)) Order {
		c := cloneOrder(o)
		f(&c)
		return c
	}
	tests := []struct {
		name  string
		order Order
		in    RefundInput
		field string
	}{
		{"more than sold", o, refundOf(RefundLineInput{"ord_1-1", 4}), "input.lines.0.quantity"},
		{"more than left", with(func(o *Order) { o.Lines[0].RefundedQuantity = 2; o.Status = StatusPartiallyRefunded }), refundOf(RefundLineInput{"ord_1-1", 2}), "input.lines.0.quantity"},
		{"unknown line", o, refundOf(RefundLineInput{"ord_1-1", 1}, RefundLineInput{"ord_2-1", 1}), "input.lines.1.lineId"},
		{"pending payment", with(func(o *Order) { o.Status = StatusPendingPayment }), refundOf(RefundLineInput{"ord_1-1", 1}), "input.orderId"},
		{"canceled", with(func(o *Order) { o.Status = StatusCanceled }), refundOf(RefundLineInput{"ord_1-1", 1}), "input.orderId"},
		{"refunded", with(func(o *Order) { o.Status = StatusRefunded }), refundOf(RefundLineInput{"ord_1-1", 1}), "input.orderId"},
		{"100 refunds", with(func(o *Order) { o.Refunds = make([]RefundSummary, MaxRefunds) }), refundOf(RefundLineInput{"ord_1-1", 1}), "input.orderId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PlanRefund(tt.order, tt.in, refundCtx(t, 0, tax.Floor))
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("got %v, want INVALID at %s", err, tt.field)
			}
		})
	}
}

func TestRefundInput_Validate(t *testing.T) {
	ok := RefundInput{IdempotencyKey: "r1", OrderID: "ord_1", Lines: []RefundLineInput{{"ord_1-1", 1}}}
	tests := []struct {
		name  string
		edit  func(*RefundInput)
		code  apperr.Code
		field string
	}{
		{"valid", func(*RefundInput) {}, "", ""},
		{"no key", func(in *RefundInput) { in.IdempotencyKey = "" }, apperr.Invalid, "input.idempotencyKey"},
		{"no order", func(in *RefundInput) { in.OrderID = "" }, apperr.NotFound, "input.orderId"},
		{"no lines", func(in *RefundInput) { in.Lines = nil }, apperr.Invalid, "input.lines"},
		{"too many lines", func(in *RefundInput) { in.Lines = make([]RefundLineInput, MaxLines+1) }, apperr.Invalid, "input.lines"},
		{"zero", func(in *RefundInput) { in.Lines[0].Quantity = 0 }, apperr.Invalid, "input.lines.0.quantity"},
		{"negative", func(in *RefundInput) { in.Lines[0].Quantity = -1 }, apperr.Invalid, "input.lines.0.quantity"},
		{"repeated line", func(in *RefundInput) { in.Lines = append(in.Lines, in.Lines[0]) }, apperr.Invalid, "input.lines.1.lineId"},
		{"empty line id", func(in *RefundInput) { in.Lines[0].LineID = "" }, apperr.Invalid, "input.lines.0.lineId"},
		{"control character in the reason", func(in *RefundInput) { in.Reason = "broken\x1b" }, apperr.Invalid, "input.reason"},
		{"long reason", func(in *RefundInput) { in.Reason = strings.Repeat("あ", 501) }, apperr.Invalid, "input.reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			in.Lines = append([]RefundLineInput(nil), ok.Lines...)
			tt.edit(&in)
			err := in.Validate()
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !apperr.Is(err, tt.code) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("got %v, want %s at %s", err, tt.code, tt.field)
			}
		})
	}
}

// TestRefundInput_RequestHash pins the canonical hash, cross-checked with
// Python: hashlib.sha256(b'renkei-idempotency/1\nrefund\n' +
// b'{"lines":[{"lineId":"ord_1-1","quantity":2}],"orderId":"ord_1","reason":"broken","restock":true}').hexdigest()
func TestRefundInput_RequestHash(t *testing.T) {
	in := RefundInput{IdempotencyKey: "r1", OrderID: "ord_1", Lines: []RefundLineInput{{"ord_1-1", 2}}, Restock: true, Reason: "broken"}
	const want = "4f79db0dda8dd896deb63611c88dc08c0704ac1681b355fc1a4d35afbb56248c"
	if got := in.Request(); got.Hash != want || got.Operation != "refund" || got.Key != "r1" {
		t.Fatalf("request %+v, want hash %s", got, want)
	}
}

// TestPlanRefund_AnySequenceSumsToTheOrder is the property the amounts are
// built for: refunding every unit of any order, in any number of refunds of
// any lines in any order, returns exactly the order's total, each payment's
// amount through it, and per rate exactly the order's tax; no refund is
// negative and the order ends REFUNDED.
func TestPlanRefund_AnySequenceSumsToTheOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2026))
	for n := range 3000 {
		o := randomOrder(t, rng)
		seen := map[tax.Category][2]int64{}
		var amount int64
		paid := map[string]int64{}
		for k := 0; o.Status != StatusRefunded; k++ {
			var lines []RefundLineInput
			for _, l := range o.Lines {
				if left := l.Quantity - l.RefundedQuantity; left > 0 && rng.IntN(2) == 0 {
					lines = append(lines, RefundLineInput{l.ID, 1 + rng.Int64N(left)})
				}
			}
			if len(lines) == 0 {
				continue
			}
			rounding := []tax.Rounding{tax.Floor, tax.HalfUp, tax.Ceiling}[n%3]
			p, err := PlanRefund(o, RefundInput{IdempotencyKey: "k", OrderID: o.ID, Lines: lines}, refundCtx(t, k, rounding))
			if err != nil {
				t.Fatalf("order %d refund %d: %v", n, k, err)
			}
			r := p.Refund
			if r.Amount < 0 || r.TaxTotal < 0 {
				t.Fatalf("order %d refund %d: negative %+v", n, k, r)
			}
			amount += r.Amount
			var tendered int64
			for _, x := range r.Tenders {
				tendered += x.Amount
				paid[x.PaymentID] += x.Amount
			}
			if tendered != r.Amount {
				t.Fatalf("order %d refund %d: tenders %d for an amount of %d", n, k, tendered, r.Amount)
			}
			for _, x := range r.Taxes {
				if x.Tax < 0 {
					t.Fatalf("order %d refund %d: negative tax %+v", n, k, x)
				}
				s := seen[x.Category]
				seen[x.Category] = [2]int64{s[0] + x.Taxable, s[1] + x.Tax}
			}
			o = p.Order
		}
		if amount != o.Total || o.RefundedTotal != o.Total {
			t.Fatalf("order %d: refunds sum to %d (order says %d), total %d", n, amount, o.RefundedTotal, o.Total)
		}
		for _, x := range o.Taxes {
			if s := seen[x.Category]; s[0] != x.Taxable || s[1] != x.Tax {
				t.Fatalf("order %d %s: refunded base %d tax %d, sold %d %d", n, x.Category, s[0], s[1], x.Taxable, x.Tax)
			}
		}
		for _, p := range o.Payments {
			if paid[p.ID] != p.Amount || p.Refunded != p.Amount {
				t.Fatalf("order %d: payment %s of %d got back %d", n, p.ID, p.Amount, paid[p.ID])
			}
		}
	}
}

// randomOrder prices a random basket (1–6 lines of random prices, rates
// and quantities, random line and order discounts, either price basis)
// paid by one to three tenders.
func randomOrder(tb testing.TB, rng *rand.Rand) Order {
	tb.Helper()
	inclusive := rng.IntN(2) == 0
	snap := snapshot(inclusive, tenant.Rounding([]string{"FLOOR", "HALF_UP", "CEILING"}[rng.IntN(3)]))
	snap.Variants = map[string]catalog.Variant{}
	in := CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1"}
	for i := range 1 + rng.IntN(6) {
		id := fmt.Sprintf("v%d", i)
		cat := []tax.Category{tax.Standard, tax.Reduced, tax.Exempt}[rng.IntN(3)]
		snap.Variants[id] = catalog.Variant{ID: id, ItemName: id, SKU: id, Price: rng.Int64N(20000), Currency: "JPY", TaxCategory: cat}
		l := CheckoutLine{VariantID: id, Quantity: 1 + rng.Int64N(12)}
		if rng.IntN(3) == 0 {
			l.Discount = &DiscountInput{Percent: i64(rng.Int64N(101))}
		}
		in.Lines = append(in.Lines, l)
	}
	if rng.IntN(2) == 0 {
		in.OrderDiscount = &DiscountInput{Percent: i64(rng.Int64N(60))}
	}
	total := totalOf(tb, in, snap)
	in.Payments = nil
	for left := total; left > 0; {
		amount := left
		if rng.IntN(2) == 0 && left > 1 {
			amount = 1 + rng.Int64N(left-1)
		}
		in.Payments = append(in.Payments, []PaymentInput{cash(amount, amount), external(amount)}[rng.IntN(2)])
		left -= amount
	}
	sale, err := Price(in, snap, "ord_r", refundNow)
	if err != nil {
		tb.Fatal(err)
	}
	return sale.Order
}
