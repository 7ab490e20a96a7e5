package sales

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tenant"
)

const (
	cardA = "4111111111111111" // Luhn-valid
	cardB = "5500005555555559"
)

func giftPay(number string, amount int64) PaymentInput {
	return PaymentInput{Method: GiftCard, Amount: Money{amount, "JPY"}, GiftCardNumber: number}
}

func fields(err error) []string {
	var out []string
	list, _ := apperr.Expected(err)
	for _, e := range list {
		out = append(out, string(e.Code)+" "+strings.Join(e.Field, "."))
	}
	return out
}

func TestGiftCards_Validate(t *testing.T) {
	load := func(n string, a int64) GiftCardLoadInput {
		return GiftCardLoadInput{Number: n, Amount: Money{a, "JPY"}}
	}
	cases := []struct {
		name string
		in   CheckoutInput
		want string // "" valid, else "CODE field"
	}{
		{"split tender", basket(giftPay(cardA, 1000), cash(1180, 1180)), ""},
		{"loads alone", CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", GiftCardLoads: []GiftCardLoadInput{load(cardA, 5000)}, Payments: []PaymentInput{cash(5000, 5000)}}, ""},
		{"no lines, no loads", CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1"}, "INVALID input.lines"},
		{"check digit", basket(giftPay("4111111111111112", 2180)), "INVALID input.payments.0.giftCardNumber"},
		{"no number", basket(giftPay("", 2180)), "INVALID input.payments.0.giftCardNumber"},
		{"load check digit", CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", GiftCardLoads: []GiftCardLoadInput{load("1234", 5000)}, Payments: []PaymentInput{cash(5000, 5000)}}, "INVALID input.giftCardLoads.0.number"},
		{"load amount", CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", GiftCardLoads: []GiftCardLoadInput{load(cardA, 0)}}, "INVALID input.giftCardLoads.0.amount.amount"},
		{"spent twice", basket(giftPay(cardA, 1000), giftPay(cardA, 1180)), "INVALID input.payments.1.giftCardNumber"},
		{"loaded and spent", func() CheckoutInput {
			in := basket(giftPay(cardA, 2180))
			in.GiftCardLoads = []GiftCardLoadInput{load(cardA, 1000)}
			return in
		}(), "INVALID input.payments.0.giftCardNumber"},
		{"number on cash", basket(PaymentInput{Method: Cash, Amount: Money{2180, "JPY"}, GiftCardNumber: cardA}), "INVALID input.payments.0.giftCardNumber"},
		{"beside a card payment", basket(giftPay(cardA, 1000), PaymentInput{Method: Card, Amount: Money{1180, "JPY"}}), ""},
		{"a load beside a card payment", func() CheckoutInput {
			in := basket(PaymentInput{Method: Card, Amount: Money{3180, "JPY"}})
			in.GiftCardLoads = []GiftCardLoadInput{load(cardA, 1000)}
			return in
		}(), "INVALID input.payments.0.method"},
		{"too many loads", CheckoutInput{IdempotencyKey: "k", LocationID: "loc_1", GiftCardLoads: make([]GiftCardLoadInput, MaxGiftCardLoads+1)}, "INVALID input.giftCardLoads"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			got := fields(err)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", got)
				}
				return
			}
			for _, g := range got {
				if g == tc.want {
					return
				}
			}
			t.Fatalf("want %q among %v", tc.want, got)
		})
	}
}

func TestGiftCards_NormalizedNumbers(t *testing.T) {
	in := basket(giftPay("4111 1111-1111 1111", 2180))
	in.normalizeGiftCards()
	if in.Payments[0].GiftCardNumber != cardA || in.Validate() != nil {
		t.Fatalf("normalized %q: %v", in.Payments[0].GiftCardNumber, in.Validate())
	}
}

func TestGiftCards_PriceKeepsLoadsOutOfTheTotal(t *testing.T) {
	now := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	in := basket(giftPay(cardB, 2000), cash(5180, 6000)) // goods 2180 + load 5000 = 7180
	in.GiftCardLoads = []GiftCardLoadInput{{Number: cardA, Amount: Money{5000, "JPY"}}}
	sale, err := Price(in, snapshot(true, tenant.RoundFloor), "ord_1", now)
	if err != nil {
		t.Fatal(err)
	}
	o := sale.Order
	if o.Total != 2180 || o.TaxTotal != 180 || o.GiftCardLoadTotal != 5000 || len(o.GiftCardLoads) != 1 || o.GiftCardLoads[0].Number != cardA {
		t.Fatalf("total %d tax %d loads %d %+v", o.Total, o.TaxTotal, o.GiftCardLoadTotal, o.GiftCardLoads)
	}
	if *o.Payments[1].Change != 820 {
		t.Fatalf("change %d", *o.Payments[1].Change)
	}
	if r := sale.Redeems(); len(r) != 1 || r[0].Number != cardB || r[0].Amount != 2000 || r[0].PaymentIndex != 0 {
		t.Fatalf("redeems %+v", r)
	}
	rc := NewReceipt(o, snapshot(true, tenant.RoundFloor).Tenant, snapshot(true, tenant.RoundFloor).Location).Text
	for _, want := range []string{"ギフトカード入金 *1111", "ギフトカード *5559", "お支払合計", "¥7,180"} {
		if !strings.Contains(rc, want) {
			t.Fatalf("receipt lacks %q:\n%s", want, rc)
		}
	}
	if strings.Contains(rc, cardA) || strings.Contains(rc, cardB) {
		t.Fatalf("receipt shows a whole card number:\n%s", rc)
	}

	// Payments covering only the goods are short by the load.
	in.Payments = []PaymentInput{cash(2180, 2180)}
	if _, err := Price(in, snapshot(true, tenant.RoundFloor), "ord_2", now); err == nil || !strings.Contains(err.Error(), "7180") {
		t.Fatalf("want payments short of 7180, got %v", err)
	}
}
