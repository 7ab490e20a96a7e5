package freee

import (
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// Gift card loads post to the mapped liability account outside tax, apart
// from sales; redemptions are paid from the GIFT_CARD walletable.
func TestBuildDeal_GiftCards(t *testing.T) {
	m := mapping{SalesAccountItemID: 101, TaxCodes: map[string]int64{"STANDARD": 129, "REDUCED": 156, "EXEMPT": 2},
		Walletables: map[string]walletable{"CASH": {"wallet", 1}, "CARD": {"bank_account", 2}, "EXTERNAL": {"wallet", 3}}}
	d := closeData{LocationID: "loc_01jdx3m8q6t4z9r2c5b7n1k0fh", BusinessDate: "2026-11-30", Revision: 1, Currency: "JPY",
		// 1,100 of goods (paid 600 cash + 500 gift card) and a 5,000 load paid in cash.
		Taxes:         []closeTax{{Category: "STANDARD", RatePercent: 10, Taxable: 1100, Tax: 100}},
		Payments:      []closeTotal{{Method: "CASH", Amount: 5600}, {Method: "GIFT_CARD", Amount: 500}},
		GiftCardLoads: 5000}

	if _, err := buildDeal(d, m); err == nil || !strings.Contains(err.Error(), "giftCardLiabilityAccountItemId") {
		t.Fatalf("buildDeal without a liability account: %v, want a refusal naming giftCardLiabilityAccountItemId", err)
	}
	m.GiftCardLiabilityAccountItemID = 777
	if _, err := buildDeal(d, m); err == nil || !strings.Contains(err.Error(), "GIFT_CARD") {
		t.Fatalf("buildDeal without a GIFT_CARD walletable: %v, want a refusal naming GIFT_CARD", err)
	}
	m.Walletables["GIFT_CARD"] = walletable{"wallet", 9}
	w, err := buildDeal(d, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Details) != 2 || w.Details[0] != (wantDetail{TaxCode: 129, Amount: 1100, Vat: 100}) ||
		w.Details[1] != (wantDetail{AccountItemID: 777, TaxCode: taxCodeOutOfScope, Amount: 5000}) {
		t.Fatalf("details = %+v", w.Details)
	}
	if len(w.Payments) != 2 || w.Payments[1].Walletable != (walletable{"wallet", 9}) || w.Payments[1].Amount != 500 {
		t.Fatalf("payments = %+v", w.Payments)
	}
	st := settings{AccountMapping: m}
	body := dealBody(1, st, w)
	if body.Details[0].AccountItemID != 101 || body.Details[1].AccountItemID != 777 {
		t.Fatalf("deal body accounts = %+v", body.Details)
	}

	// A tenant that sells no gift cards needs neither mapping.
	plain := d
	plain.Payments, plain.GiftCardLoads = []closeTotal{{Method: "CASH", Amount: 1100}}, 0
	m2 := m
	m2.GiftCardLiabilityAccountItemID = 0
	m2.Walletables = map[string]walletable{"CASH": {"wallet", 1}}
	if w, err := buildDeal(plain, m2); err != nil || len(w.Details) != 1 {
		t.Fatalf("buildDeal of a plain close: %+v, %v", w, err)
	}
}

func TestParseMapping_GiftCardOptional(t *testing.T) {
	base := `{"salesAccountItemId":101,"taxCodes":{"STANDARD":129,"REDUCED":156,"EXEMPT":2},"walletables":{"CASH":{"type":"wallet","id":1},"CARD":{"type":"bank_account","id":2},"EXTERNAL":{"type":"wallet","id":3}%s}%s}`
	for name, tc := range map[string]struct {
		wallet, extra string
		bad           bool
	}{
		"without":        {"", "", false},
		"with both":      {`,"GIFT_CARD":{"type":"wallet","id":9}`, `,"giftCardLiabilityAccountItemId":777`, false},
		"bad account id": {"", `,"giftCardLiabilityAccountItemId":0`, true},
		"bad walletable": {`,"GIFT_CARD":{"type":"cash","id":9}`, "", true},
	} {
		t.Run(name, func(t *testing.T) {
			raw := []byte(strings.Replace(strings.Replace(base, "%s", tc.wallet, 1), "%s", tc.extra, 1))
			var errs apperr.List
			m := parseMapping(&errs, raw)
			if (len(errs) > 0) != tc.bad {
				t.Fatalf("errors %v, want bad=%v", errs, tc.bad)
			}
			if name == "with both" && (m.GiftCardLiabilityAccountItemID != 777 || m.Walletables["GIFT_CARD"].ID != 9) {
				t.Fatalf("mapping = %+v", m)
			}
		})
	}
}
