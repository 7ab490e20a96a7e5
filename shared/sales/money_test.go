package sales

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// checkoutOf validates and prices in the way the service does, before any
// write.
func checkoutOf(in CheckoutInput, inclusive bool) (Sale, error) {
	if err := in.Validate(); err != nil {
		return Sale{}, err
	}
	return Price(in, snapshot(inclusive, tenant.RoundFloor), "ord_1", time.Now())
}

func external(amount int64) PaymentInput {
	return PaymentInput{Method: External, Amount: Money{amount, "JPY"}, Reference: "terminal 7"}
}

func sell(variant string, qty int64, payments ...PaymentInput) CheckoutInput {
	return CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: variant, Quantity: qty}}, Payments: payments}
}

func TestCheckout_MoneyBounds(t *testing.T) {
	const e62 = int64(1) << 62
	max := tax.MaxAmount
	tests := []struct {
		name      string
		in        CheckoutInput
		inclusive bool
		field     string // "" when the sale is valid
	}{
		{
			// Summed in int64 these wrap around to exactly 1,100 (the mug).
			name:  "four payments that wrap to the total",
			in:    sell("mug", 1, external(e62), external(e62), external(e62), external(e62+1100)),
			field: "input.payments.0.amount",
		},
		{name: "payment of the largest amount", in: sell("gold", 1, external(max)), inclusive: true},
		{name: "payment over the largest amount", in: sell("gold", 1, external(max+1)), inclusive: true, field: "input.payments.0.amount"},
		{name: "negative payment", in: sell("mug", 1, external(1101), external(-1)), field: "input.payments.1.amount"},
		{name: "payment of the int64 maximum", in: sell("mug", 1, external(math.MaxInt64)), field: "input.payments.0.amount"},
		{name: "cash tendered over the largest amount", in: sell("mug", 1, cash(1100, max+1)), field: "input.payments.0.tendered"},
		{name: "cash tendered at the int64 maximum", in: sell("mug", 1, cash(1100, math.MaxInt64)), field: "input.payments.0.tendered"},
		{name: "cash tendered of the largest amount", in: sell("mug", 1, cash(1100, max)), inclusive: true},
		{
			name:  "line discount far over the largest amount",
			in:    CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "mug", Quantity: 1, Discount: &DiscountInput{Amount: &Money{e62, "JPY"}}}}, Payments: []PaymentInput{external(1100)}},
			field: "input.lines.0.discount.amount",
		},
		{
			name:  "order discount at the int64 maximum",
			in:    CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "mug", Quantity: 1}}, OrderDiscount: &DiscountInput{Amount: &Money{math.MaxInt64, "JPY"}}, Payments: []PaymentInput{external(1100)}},
			field: "input.orderDiscount.amount",
		},
		{
			name:  "ten payments of the largest amount",
			in:    sell("gold", 1, external(max), external(max), external(max), external(max), external(max), external(max), external(max), external(max), external(max), external(max)),
			field: "input.payments", inclusive: true,
		},
		{name: "a total over the largest amount once tax is added", in: sell("gold", 1, external(max)), field: "input.lines"},
		{name: "quantity that multiplies past the largest amount", in: sell("gold", 2, external(max)), inclusive: true, field: "input.lines.0.quantity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sale, err := checkoutOf(tc.in, tc.inclusive)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkTenders(t, sale.Order)
				return
			}
			l, ok := apperr.Expected(err)
			if !ok || l[0].Code != apperr.Invalid || strings.Join(l[0].Field, ".") != tc.field {
				t.Fatalf("err = %v, want INVALID at %s", err, tc.field)
			}
		})
	}
}

// checkTenders checks the money of a priced order: every payment within
// the engine's bound, change never negative, payments summing to the total.
func checkTenders(tb testing.TB, o Order) {
	tb.Helper()
	var sum int64
	for i, p := range o.Payments {
		if p.Amount < 1 || p.Amount > tax.MaxAmount {
			tb.Fatalf("payment %d of %d", i, p.Amount)
		}
		if p.Change != nil && (*p.Change < 0 || *p.Tendered > tax.MaxAmount) {
			tb.Fatalf("payment %d: tendered %d, change %d", i, *p.Tendered, *p.Change)
		}
		sum += p.Amount
	}
	if sum != o.Total || o.Total < 0 || o.Total > tax.MaxAmount {
		tb.Fatalf("payments %d for a total of %d", sum, o.Total)
	}
}

func TestCheckout_ZeroTotal(t *testing.T) {
	hundredOff := &DiscountInput{Percent: i64(100)}
	tests := []struct {
		name  string
		in    CheckoutInput
		field string
	}{
		{name: "a free item, no payment", in: sell("free", 3)},
		{name: "a 100% line discount", in: CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "mug", Quantity: 2, Discount: hundredOff}}}},
		{name: "a 100% order discount", in: CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "mug", Quantity: 1}, {VariantID: "onigiri", Quantity: 1}}, OrderDiscount: hundredOff}},
		{name: "an amount discount of the whole order", in: CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "mug", Quantity: 1}}, OrderDiscount: &DiscountInput{Amount: &Money{1100, "JPY"}}}},
		{name: "a payment for nothing to pay", in: sell("free", 1, cash(1, 1)), field: "input.payments"},
		{name: "no payment for something to pay", in: sell("mug", 1), field: "input.payments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sale, err := checkoutOf(tc.in, true)
			if tc.field != "" {
				l, ok := apperr.Expected(err)
				if !ok || l[0].Code != apperr.Invalid || strings.Join(l[0].Field, ".") != tc.field {
					t.Fatalf("err = %v, want INVALID at %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sale.Order.Total != 0 || sale.Order.Payments == nil || len(sale.Order.Payments) != 0 || sale.Order.Status != StatusCompleted {
				t.Fatalf("order %+v", sale.Order)
			}
		})
	}
}

// FuzzCheckout_Money: whatever amounts a client sends, a checkout either is
// refused with an expected error or prices an order whose payments are in
// bounds and add up to its total exactly. Nothing panics or wraps.
func FuzzCheckout_Money(f *testing.F) {
	f.Add(int64(1)<<62, int64(1)<<62, int64(1)<<62, int64(1)<<62+1100, int64(0), int64(0), uint8(0))
	f.Add(int64(1100), int64(0), int64(0), int64(0), int64(5000), int64(0), uint8(1))
	f.Add(tax.MaxAmount, int64(0), int64(0), int64(0), int64(0), int64(0), uint8(2))
	f.Add(int64(math.MaxInt64), int64(math.MinInt64), int64(-1), int64(2), int64(-5), int64(math.MaxInt64), uint8(3))
	f.Add(int64(1000), int64(100), int64(0), int64(0), int64(1000), int64(0), uint8(4))
	f.Fuzz(func(t *testing.T, p0, p1, p2, p3, tendered, discount int64, shape uint8) {
		variant := []string{"mug", "gold", "free", "onigiri"}[shape%4]
		in := sell(variant, 1+int64(shape>>4))
		for i, a := range []int64{p0, p1, p2, p3} {
			if a == 0 {
				continue
			}
			if i == 0 && shape&4 != 0 {
				in.Payments = append(in.Payments, cash(a, tendered))
				continue
			}
			in.Payments = append(in.Payments, external(a))
		}
		if shape&8 != 0 {
			in.OrderDiscount = &DiscountInput{Amount: &Money{discount, "JPY"}}
		}
		sale, err := checkoutOf(in, shape&2 != 0)
		if err != nil {
			if _, ok := apperr.Expected(err); !ok {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkTenders(t, sale.Order)
	})
}
