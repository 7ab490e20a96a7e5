package sales

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

func i64(v int64) *int64 { return &v }

func snapshot(inclusive bool, rounding tenant.Rounding) Snapshot {
	t := tenant.Tenant{ID: "tnt_x", BusinessName: "Kissa", Currency: "JPY", Timezone: "Asia/Tokyo", PricesIncludeTax: inclusive, TaxRounding: rounding, InvoiceRegistrationNumber: "T1234567890123"}
	return Snapshot{
		Tenant:   t,
		Location: tenant.Location{ID: "loc_1", Number: 1, Name: "Shibuya", Timezone: "Asia/Tokyo"},
		Variants: map[string]catalog.Variant{
			"onigiri": {ID: "onigiri", ItemName: "Onigiri", Name: "Salmon", SKU: "ONI-1", Price: 540, Currency: "JPY", TrackStock: true, TaxCategory: tax.Reduced},
			"mug":     {ID: "mug", ItemName: "Mug", Name: "Mug", SKU: "MUG-1", Price: 1100, Currency: "JPY", TrackStock: true, TaxCategory: tax.Standard},
			"bag":     {ID: "bag", ItemName: "Bag", Name: "Default", SKU: "BAG", Price: 105, Currency: "JPY", TrackStock: false, TaxCategory: tax.Standard},
			"usd":     {ID: "usd", ItemName: "Import", SKU: "USD-1", Price: 100, Currency: "USD", TaxCategory: tax.Standard},
			"free":    {ID: "free", ItemName: "Sample", SKU: "FREE", Price: 0, Currency: "JPY", TrackStock: true, TaxCategory: tax.Standard},
			"gold":    {ID: "gold", ItemName: "Gold bar", SKU: "GOLD", Price: tax.MaxAmount, Currency: "JPY", TaxCategory: tax.Standard},
		},
	}
}

func cash(amount, tendered int64) PaymentInput {
	return PaymentInput{Method: Cash, Amount: Money{amount, "JPY"}, Tendered: &Money{tendered, "JPY"}}
}

func basket(payments ...PaymentInput) CheckoutInput {
	return CheckoutInput{IdempotencyKey: "k1", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "onigiri", Quantity: 2}, {VariantID: "mug", Quantity: 1}}, Payments: payments}
}

func TestPrice_KnownBasket(t *testing.T) {
	now := time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC) // 08:30 on the 27th in Tokyo
	// Inclusive: reduced 2×540 = 1080 → tax floor(1080×8/108) = 80; standard 1100 → 100; total 2180.
	sale, err := Price(basket(cash(2180, 3000)), snapshot(true, tenant.RoundFloor), "ord_1", now)
	if err != nil {
		t.Fatal(err)
	}
	o := sale.Order
	if o.Total != 2180 || o.TaxTotal != 180 || o.Subtotal != 2180 {
		t.Fatalf("totals %d/%d/%d", o.Total, o.TaxTotal, o.Subtotal)
	}
	if len(o.Taxes) != 2 || o.Taxes[0].Category != tax.Standard || o.Taxes[0].Tax != 100 || o.Taxes[1].Taxable != 1080 || o.Taxes[1].Tax != 80 {
		t.Fatalf("taxes %+v", o.Taxes)
	}
	if *o.Payments[0].Change != 820 || *o.Payments[0].Tendered != 3000 {
		t.Fatalf("change %+v", o.Payments[0])
	}
	if o.BusinessDate != "2026-11-27" {
		t.Fatalf("business date %s, want the Tokyo date", o.BusinessDate)
	}
	if o.Lines[0].Name != "Onigiri Salmon" || o.Lines[1].Name != "Mug" || o.Lines[0].Total != 1080 {
		t.Fatalf("lines %+v", o.Lines)
	}
	if len(sale.Decrements) != 2 || sale.Decrements[0].Quantity != 2 || sale.Decrements[1].VariantID != "mug" {
		t.Fatalf("decrements %+v", sale.Decrements)
	}

	// Exclusive, HALF_UP: reduced 1080 → 86.4 → 86; standard 1100 → 110; total 2180 + 196 = 2376.
	sale, err = Price(basket(cash(2376, 2376)), snapshot(false, tenant.RoundHalfUp), "ord_2", now)
	if err != nil {
		t.Fatal(err)
	}
	if sale.Order.Total != 2376 || sale.Order.TaxTotal != 196 {
		t.Fatalf("exclusive totals %d/%d", sale.Order.Total, sale.Order.TaxTotal)
	}
}

func TestPrice_SameVariantTwiceIsOneDecrement(t *testing.T) {
	in := CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "mug", Quantity: 1}, {VariantID: "bag", Quantity: 1}, {VariantID: "mug", Quantity: 2, Discount: &DiscountInput{Percent: i64(10)}}},
		Payments: []PaymentInput{{Method: External, Amount: Money{3405 - 330, "JPY"}, Reference: "PayPay 123"}}}
	// 1100 + 105 + (2200 − 220) = 3185? discount 10% of 2200 = 220 → 1980; total 1100+105+1980 = 3185.
	in.Payments[0].Amount.Amount = 3185
	sale, err := Price(in, snapshot(true, tenant.RoundFloor), "o", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(sale.Decrements) != 1 || sale.Decrements[0].Quantity != 3 || sale.Decrements[0].LineIndex != 0 {
		t.Fatalf("decrements %+v (untracked bag must not decrement)", sale.Decrements)
	}
	if sale.Order.Payments[0].Change != nil || sale.Order.Payments[0].Reference != "PayPay 123" {
		t.Fatalf("external payment %+v", sale.Order.Payments[0])
	}
}

func TestValidateAndPrice_BadInput(t *testing.T) {
	snap := snapshot(true, tenant.RoundFloor)
	cases := []struct {
		name  string
		edit  func(*CheckoutInput)
		code  apperr.Code
		field string
	}{
		{"zero quantity", func(in *CheckoutInput) { in.Lines[0].Quantity = 0 }, apperr.Invalid, "input.lines.0.quantity"},
		{"negative quantity", func(in *CheckoutInput) { in.Lines[1].Quantity = -1 }, apperr.Invalid, "input.lines.1.quantity"},
		{"no lines", func(in *CheckoutInput) { in.Lines = nil }, apperr.Invalid, "input.lines"},
		{"too many lines", func(in *CheckoutInput) {
			for len(in.Lines) <= MaxLines {
				in.Lines = append(in.Lines, CheckoutLine{VariantID: "mug", Quantity: 1})
			}
		}, apperr.Invalid, "input.lines"},
		{"too many distinct variants", func(in *CheckoutInput) {
			in.Lines = nil
			for i := 0; i <= MaxDistinctVariants; i++ {
				in.Lines = append(in.Lines, CheckoutLine{VariantID: fmt.Sprint("v", i), Quantity: 1})
			}
		}, apperr.Invalid, "input.lines"},
		{"percent over 100", func(in *CheckoutInput) { in.Lines[0].Discount = &DiscountInput{Percent: i64(101)} }, apperr.Invalid, "input.lines.0.discount.percent"},
		{"both percent and amount", func(in *CheckoutInput) {
			in.OrderDiscount = &DiscountInput{Percent: i64(5), Amount: &Money{10, "JPY"}}
		}, apperr.Invalid, "input.orderDiscount"},
		{"discount larger than line", func(in *CheckoutInput) { in.Lines[1].Discount = &DiscountInput{Amount: &Money{1101, "JPY"}} }, apperr.Invalid, "input.lines.1.discount.amount"},
		{"discount in another currency", func(in *CheckoutInput) { in.Lines[1].Discount = &DiscountInput{Amount: &Money{1, "USD"}} }, apperr.Invalid, "input.lines.1.discount.amount.currency"},
		{"payment in another currency", func(in *CheckoutInput) { in.Payments[0].Amount.Currency = "USD" }, apperr.Invalid, "input.payments.0.amount.currency"},
		{"payments short", func(in *CheckoutInput) { in.Payments = []PaymentInput{cash(2000, 3000)} }, apperr.Invalid, "input.payments"},
		{"payments over", func(in *CheckoutInput) {
			in.Payments = []PaymentInput{cash(2180, 3000), {Method: External, Amount: Money{1, "JPY"}, Reference: "x"}}
		}, apperr.Invalid, "input.payments"},
		{"cash tendered short", func(in *CheckoutInput) { in.Payments = []PaymentInput{cash(2180, 2000)} }, apperr.Invalid, "input.payments.0.tendered"},
		{"external without reference", func(in *CheckoutInput) { in.Payments = []PaymentInput{{Method: External, Amount: Money{2180, "JPY"}}} }, apperr.Invalid, "input.payments.0.reference"},
		{"two card payments", func(in *CheckoutInput) {
			in.Payments = []PaymentInput{{Method: Card, Amount: Money{1000, "JPY"}}, {Method: Card, Amount: Money{1180, "JPY"}}}
		}, apperr.Invalid, "input.payments"},
		{"malformed payment method id", func(in *CheckoutInput) {
			in.Payments = []PaymentInput{{Method: Card, Amount: Money{2180, "JPY"}, PaymentMethodID: "pm card\n"}}
		}, apperr.Invalid, "input.payments.0.paymentMethodId"},
		{"cash tendered on a card", func(in *CheckoutInput) {
			in.Payments = []PaymentInput{{Method: Card, Amount: Money{2180, "JPY"}, Tendered: &Money{3000, "JPY"}}}
		}, apperr.Invalid, "input.payments.0.tendered"},
		{"unknown variant", func(in *CheckoutInput) { in.Lines[0].VariantID = "nope" }, apperr.NotFound, "input.lines.0.variantId"},
		{"variant priced in another currency", func(in *CheckoutInput) { in.Lines[0].VariantID = "usd" }, apperr.Invalid, "input.lines.0.variantId"},
		{"empty idempotency key", func(in *CheckoutInput) { in.IdempotencyKey = "" }, apperr.Invalid, "input.idempotencyKey"},
		{"long idempotency key", func(in *CheckoutInput) { in.IdempotencyKey = strings.Repeat("k", 129) }, apperr.Invalid, "input.idempotencyKey"},
		{"NUL in the idempotency key", func(in *CheckoutInput) { in.IdempotencyKey = "k\x00" }, apperr.Invalid, "input.idempotencyKey"},
		{"no payments for a total above 0", func(in *CheckoutInput) { in.Payments = nil }, apperr.Invalid, "input.payments"},
		{"too many payments", func(in *CheckoutInput) {
			for len(in.Payments) <= MaxPayments {
				in.Payments = append(in.Payments, cash(1, 1))
			}
		}, apperr.Invalid, "input.payments"},
		{"NUL in a reference", func(in *CheckoutInput) {
			in.Payments = []PaymentInput{{Method: External, Amount: Money{2180, "JPY"}, Reference: "PayPay\x00123"}}
		}, apperr.Invalid, "input.payments.0.reference"},
		{"escape in a cash reference", func(in *CheckoutInput) { in.Payments[0].Reference = "\x1b[2J" }, apperr.Invalid, "input.payments.0.reference"},
		{"reference too long", func(in *CheckoutInput) {
			in.Payments = []PaymentInput{{Method: External, Amount: Money{2180, "JPY"}, Reference: strings.Repeat("r", 129)}}
		}, apperr.Invalid, "input.payments.0.reference"},
		{"malformed register id", func(in *CheckoutInput) { in.RegisterID = "reg_1" }, apperr.NotFound, "input.registerId"},
		{"a location id for a register id", func(in *CheckoutInput) { in.RegisterID = "loc_01m8ngmh45gntrwaqrh9y6ykg2" }, apperr.NotFound, "input.registerId"},
		{"register number out of range", func(in *CheckoutInput) { in.RegisterID = "reg_01m8ngmh45gntrwaqrh9y6ykg2_00" }, apperr.NotFound, "input.registerId"},
		{"location zone that does not resolve", func(in *CheckoutInput) { in.LocationID = "badzone" }, apperr.Invalid, "input.locationId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := basket(cash(2180, 3000))
			tc.edit(&in)
			err := in.Validate()
			if err == nil {
				snap := snap
				if in.LocationID == "badzone" {
					snap.Location.Timezone = "Asia/Tokyoo"
				}
				_, err = Price(in, snap, "o", time.Now())
			}
			l, ok := apperr.Expected(err)
			if !ok {
				t.Fatalf("err = %v, want an expected error", err)
			}
			var fields []string
			for _, e := range l {
				fields = append(fields, strings.Join(e.Field, "."))
				if e.Code != tc.code && strings.Join(e.Field, ".") == tc.field {
					t.Fatalf("code %s, want %s", e.Code, tc.code)
				}
			}
			if !slices.Contains(fields, tc.field) {
				t.Fatalf("fields %v, want %s", fields, tc.field)
			}
		})
	}
}

func TestRequest_HashIgnoresKeyOnly(t *testing.T) {
	a, b := basket(cash(2180, 3000)), basket(cash(2180, 3000))
	b.IdempotencyKey = "other"
	if a.Request().Hash != b.Request().Hash || b.Request().Key != "other" || a.Request().Operation != OpCheckout {
		t.Fatal("hash depends on the key")
	}
	for name, edit := range map[string]func(*CheckoutInput){
		"quantity":       func(in *CheckoutInput) { in.Lines[0].Quantity = 3 },
		"line discount":  func(in *CheckoutInput) { in.Lines[0].Discount = &DiscountInput{Percent: i64(0)} },
		"order discount": func(in *CheckoutInput) { in.OrderDiscount = &DiscountInput{Amount: &Money{0, "JPY"}} },
		"tendered":       func(in *CheckoutInput) { in.Payments[0].Tendered.Amount = 3001 },
		"no tendered":    func(in *CheckoutInput) { in.Payments[0].Tendered = nil },
		"reference":      func(in *CheckoutInput) { in.Payments[0].Reference = "r" },
		"customer":       func(in *CheckoutInput) { in.CustomerID = "cus_1" },
		"location":       func(in *CheckoutInput) { in.LocationID = "loc_2" },
		"register":       func(in *CheckoutInput) { in.RegisterID = tenant.RegisterID("loc_01m8ngmh45gntrwaqrh9y6ykg2", 1) },
	} {
		c := basket(cash(2180, 3000))
		edit(&c)
		if c.Request().Hash == a.Request().Hash {
			t.Errorf("hash ignores the %s", name)
		}
	}
}

// The hash is stored with every checkout's idempotency record. It is built
// from field names written in Request, not from Go field names; this pins
// it, so a change that would turn honest retries into
// IDEMPOTENCY_KEY_REUSED fails here first.
func TestRequest_HashPinned(t *testing.T) {
	in := CheckoutInput{IdempotencyKey: "k1", LocationID: "loc_1", CustomerID: "cus_1",
		Lines:         []CheckoutLine{{VariantID: "onigiri", Quantity: 2, Discount: &DiscountInput{Percent: i64(10)}}, {VariantID: "mug", Quantity: 1}},
		OrderDiscount: &DiscountInput{Amount: &Money{100, "JPY"}},
		Payments:      []PaymentInput{cash(1000, 2000), {Method: External, Amount: Money{1052, "JPY"}, Reference: "PayPay 1"}}}
	if got := in.Request().Hash; got != "3993a9d4093deac1ef2660f4b424205cf8faf1596eb3bcff6c5b4a5918cb945a" {
		t.Fatalf("hash = %s", got)
	}
	// A request that names its register hashes the register too (computed
	// outside Go: the fields above plus "registerId", sorted, no spaces); one
	// that names none hashes as before registers existed (above).
	in.RegisterID = "reg_01m8ngmh45gntrwaqrh9y6ykg2_02"
	if got := in.Request().Hash; got != "920d826ee5810ac977beb0247b851843d20a967968bdce3315ff6b990e69a32c" {
		t.Fatalf("hash with a register = %s", got)
	}
}

func TestNewReceipt(t *testing.T) {
	now := time.Date(2026, 11, 26, 4, 5, 0, 0, time.UTC)
	sale, err := Price(basket(cash(2180, 3000)), snapshot(true, tenant.RoundFloor), "ord_1", now)
	if err != nil {
		t.Fatal(err)
	}
	sale.Order.Number, sale.Order.RegisterID = "001-02-000042", tenant.RegisterID("loc_01m8ngmh45gntrwaqrh9y6ykg2", 2)
	snap := snapshot(true, tenant.RoundFloor)
	r := NewReceipt(sale.Order, snap.Tenant, snap.Location)
	for _, want := range []string{
		"Kissa", "Shibuya", "登録番号 T1234567890123", "2026-11-26 13:05",
		"レジ番号                      02\n", "取引番号           001-02-000042\n",
		"Onigiri Salmon ※", "¥540 × 2", "¥1,080", "合計", "¥2,180",
		"(10%対象 ¥1,100 内消費税 ¥100)", "(8%対象 ¥1,080 内消費税 ¥80)", "※は軽減税率(8%)対象商品",
		"お預り", "¥3,000", "お釣り", "¥820",
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "Mug ※") {
		t.Error("standard-rate line marked reduced")
	}
	if r.IssuerName != "Kissa" || r.InvoiceRegistrationNumber != "T1234567890123" {
		t.Errorf("issuer %+v", r)
	}
	t.Run("an order taken before registers has no register line", func(t *testing.T) {
		sale.Order.Number, sale.Order.RegisterID = "001-000042", ""
		r := NewReceipt(sale.Order, snap.Tenant, snap.Location)
		if strings.Contains(r.Text, "レジ番号") || !strings.Contains(r.Text, "取引番号              001-000042\n") {
			t.Errorf("receipt:\n%s", r.Text)
		}
	})
}

func TestNewCustomer(t *testing.T) {
	if _, err := NewCustomer("c", " Taro ", "TARO@example.com", "+81 90-1234-5678", time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := NewCustomer("c", "", "nope", "abc", time.Now())
	if l, ok := err.(apperr.List); !ok || len(l) != 3 {
		t.Fatalf("err = %v", err)
	}
}
