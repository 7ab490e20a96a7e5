package sales

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func offlineInput(at time.Time) OfflineSaleInput {
	return OfflineSaleInput{ClientSaleID: "dev-1-0001", OccurredAt: at, LocationID: "loc_1",
		Lines:    []CheckoutLine{{VariantID: "var_1", Quantity: 2}},
		Payments: []PaymentInput{{Method: Cash, Amount: Money{Amount: 600, Currency: "JPY"}}}}
}

func TestOfflineSaleInput_Validate(t *testing.T) {
	now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	card := func(ref, pm string) func(*OfflineSaleInput) {
		return func(in *OfflineSaleInput) {
			in.Payments = []PaymentInput{{Method: Card, Amount: Money{Amount: 600, Currency: "JPY"}, Reference: ref, PaymentMethodID: pm}}
		}
	}
	cases := []struct {
		name  string
		edit  func(*OfflineSaleInput)
		field string // "" for valid
	}{
		{"a cash sale an hour ago", func(*OfflineSaleInput) {}, ""},
		{"a device clock 4 minutes fast", func(in *OfflineSaleInput) { in.OccurredAt = now.Add(4 * time.Minute) }, ""},
		{"29 days ago", func(in *OfflineSaleInput) { in.OccurredAt = now.Add(-29 * 24 * time.Hour) }, ""},
		{"an hour ahead", func(in *OfflineSaleInput) { in.OccurredAt = now.Add(time.Hour) }, "input.occurredAt"},
		{"31 days ago", func(in *OfflineSaleInput) { in.OccurredAt = now.Add(-31 * 24 * time.Hour) }, "input.occurredAt"},
		{"a captured card", card("pi_3Offline", ""), ""},
		{"a card without its PaymentIntent", card("", ""), "input.payments.0.reference"},
		{"a card to charge", card("pi_3Offline", "pm_card_visa"), "input.payments.0.paymentMethodId"},
		{"no clientSaleId", func(in *OfflineSaleInput) { in.ClientSaleID = "" }, "input.clientSaleId"},
		{"a checkout rule: quantity 0", func(in *OfflineSaleInput) { in.Lines[0].Quantity = 0 }, "input.lines.0.quantity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := offlineInput(now.Add(-time.Hour))
			tc.edit(&in)
			err := in.Validate(now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			l, _ := apperr.Expected(err)
			for _, e := range l {
				if strings.Join(e.Field, ".") == tc.field && e.Code == apperr.Invalid {
					return
				}
			}
			t.Fatalf("errors %v, want INVALID at %s", err, tc.field)
		})
	}
}

func TestOfflineSaleInput_Request(t *testing.T) {
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	a, b := offlineInput(at), offlineInput(at.In(time.FixedZone("JST", 9*3600)))
	if a.Request().Hash != b.Request().Hash {
		t.Fatal("the same instant in another zone hashes differently")
	}
	later := offlineInput(at.Add(time.Second))
	if a.Request().Hash == later.Request().Hash {
		t.Fatal("occurredAt is not part of the sale's hash")
	}
	if r := a.Request(); r.Operation != OpOfflineSale || r.Key != "dev-1-0001" || r.Hash == a.checkout().Request().Hash {
		t.Fatalf("request %+v", r)
	}
}

func TestGroupSize(t *testing.T) {
	sale := func(variants ...string) sellAt {
		var decs []StockDecrement
		for _, v := range variants {
			decs = append(decs, StockDecrement{VariantID: v, Quantity: 1})
		}
		return sellAt{write: OfflineWrite{Sale: Sale{Decrements: decs}}}
	}
	same, distinct := make([]sellAt, 40), make([]sellAt, 40)
	for i := range same {
		same[i] = sale("var_tea")
		distinct[i] = sale("var_" + string(rune('a'+i)))
	}
	// 1 register update + 3 per sale + 1 per distinct level ≤ 100.
	if n := groupSize(same); n != 32 { // 1 + 96 + 1
		t.Fatalf("one shared item: %d sales per group, want 32", n)
	}
	if n := groupSize(distinct); n != 24 { // 1 + 72 + 24
		t.Fatalf("an item each: %d sales per group, want 24", n)
	}
	big := func(prefix string) sellAt {
		var vs []string
		for i := range MaxDistinctVariants {
			vs = append(vs, fmt.Sprint(prefix, i))
		}
		return sale(vs...)
	}
	if n := groupSize([]sellAt{big("a"), big("b")}); n != 1 { // 1 + 6 + 94
		t.Fatalf("two sales of 47 items each in one group: %d", n)
	}
	if n := groupSize([]sellAt{big("a"), big("a"), big("a")}); n != 3 { // the same 47 levels: 1 + 9 + 47
		t.Fatalf("three sales of the same 47 items: %d per group, want 3", n)
	}
}

func TestErrorsAt_MovesAndCapsErrors(t *testing.T) {
	var l apperr.List
	for range 8 {
		l.Add(apperr.Invalid, "bad", "input", "lines", "0", "quantity")
	}
	got := errorsAt(l, 7)
	if len(got) != MaxOfflineSaleErrors || strings.Join(got[0].Field, ".") != "input.sales.7.lines.0.quantity" {
		t.Fatalf("%v %v", len(got), got[0].Field)
	}
	if strings.Join(l[0].Field, ".") != "input.lines.0.quantity" {
		t.Fatal("errorsAt changed the errors it was given")
	}
}
