package freee

import (
	"strings"
	"testing"
)

func TestRefNumber(t *testing.T) {
	const loc = "loc_01jdx3m8q6t4z9r2c5b7n1k0fh"
	if got := refNumber(loc, "2026-11-30", 1); got != "RK261130-39SZGS-1" {
		t.Fatalf("refNumber = %q", got)
	}
	if got := refNumber(loc, "2026-11-30", maxRevision); len(got) > 20 {
		t.Fatalf("refNumber %q is longer than freee's 20 characters", got)
	}
	prefix := refPrefix(loc, "2026-11-30")
	for ref, want := range map[string]int{"RK261130-39SZGS-1": 1, "RK261130-39SZGS-9999": 9999, "RK261130-39SZGS-01": 0,
		"RK261130-39SZGS-0": 0, "RK261130-39SZGS-": 0, "RK261130-39SZGS-12345": 0, "RK261129-39SZGS-1": 0, "rk261130-39SZGS-1": 0} {
		got, ok := refRevision(ref, prefix)
		if got != want || ok != (want > 0) {
			t.Errorf("refRevision(%q) = %d, %v; want %d", ref, got, ok, want)
		}
	}
	if refPrefix("loc_01jdx3m8q6t4z9r2c5b7n1k0fj", "2026-11-30") == prefix {
		t.Error("two locations share a prefix")
	}
}

func TestBuildDeal_Refuses(t *testing.T) {
	m := mapping{SalesAccountItemID: 101, TaxCodes: map[string]int64{"STANDARD": 129, "REDUCED": 156, "EXEMPT": 2},
		Walletables: map[string]walletable{"CASH": {"wallet", 1}, "CARD": {"bank_account", 2}, "EXTERNAL": {"wallet", 3}}}
	base := closeData{LocationID: "loc_01jdx3m8q6t4z9r2c5b7n1k0fh", BusinessDate: "2026-11-30", Revision: 1, Currency: "JPY"}
	cases := map[string]struct {
		taxes []closeTax
		pays  []closeTotal
		cur   string
		want  string
	}{
		"another currency":     {[]closeTax{{Category: "STANDARD", RatePercent: 10, Taxable: 1100, Tax: 100}}, []closeTotal{{Method: "CASH", Amount: 1100}}, "USD", "yen"},
		"basis changed in day": {[]closeTax{{Category: "STANDARD", RatePercent: 10, Taxable: 1100, Tax: 100}}, []closeTotal{{Method: "CASH", Amount: 1150}}, "JPY", "does not add up"},
		"negative rate":        {[]closeTax{{Category: "STANDARD", RatePercent: 10, Taxable: 2200, Tax: 200}, {Category: "REDUCED", RatePercent: 8, Taxable: -1080, Tax: -80}}, []closeTotal{{Method: "CASH", Amount: 1120}}, "JPY", "negative sales"},
		"negative payment":     {[]closeTax{{Category: "STANDARD", RatePercent: 10, Taxable: 1100, Tax: 100}}, []closeTotal{{Method: "CASH", Amount: -100}, {Method: "CARD", Amount: 1200}}, "JPY", "more refunded than taken"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := base
			d.Taxes, d.Payments, d.Currency = tc.taxes, tc.pays, tc.cur
			if _, err := buildDeal(d, m); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("buildDeal: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("a day without sales posts nothing", func(t *testing.T) {
		d := base
		d.Taxes, d.Payments = []closeTax{}, []closeTotal{}
		if _, err := buildDeal(d, m); err != errNothingToPost {
			t.Fatalf("buildDeal: %v, want errNothingToPost", err)
		}
	})
}
