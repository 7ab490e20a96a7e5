package tax_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/renkei-pos/renkei/shared/tax"
)

func TestTaxOf(t *testing.T) {
	tests := []struct {
		name      string
		amount    int64
		rate      int
		inclusive bool
		r         tax.Rounding
		want      int64
	}{
		// a refund mirrors the sale: −105 inclusive at 10% is −(9.545 → 10)
		{"refund rounds its magnitude", -105, 10, true, tax.Ceiling, -10},
		{"refund floors its magnitude", -105, 10, true, tax.Floor, -9},
		{"zero", 0, 10, false, tax.Ceiling, 0},
		// a historical or other rate: 5% of 1050 inclusive = 1050 × 5 / 105 = 50
		{"any rate", 1050, 5, true, tax.Floor, 50},
		{"maximum amount", tax.MaxAmount, 100, false, tax.Floor, tax.MaxAmount},
		{"minimum amount", -tax.MaxAmount, 10, true, tax.HalfUp, -909_090_909_091},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tax.TaxOf(tt.amount, tt.rate, tt.inclusive, tt.r)
			if err != nil || got != tt.want {
				t.Errorf("TaxOf(%d, %d, %t, %s) = %d, %v; want %d", tt.amount, tt.rate, tt.inclusive, tt.r, got, err, tt.want)
			}
		})
	}

	invalid := []struct {
		name   string
		amount int64
		rate   int
		r      tax.Rounding
		want   string
	}{
		{"rate over 100", 100, 101, tax.Floor, "ratePercent"},
		{"negative rate", 100, -8, tax.Floor, "ratePercent"},
		{"no rounding", 100, 10, "", "taxRounding"},
		{"amount over the maximum", tax.MaxAmount + 1, 10, tax.Floor, "amount"},
		{"amount under the minimum", -tax.MaxAmount - 1, 10, tax.Floor, "amount"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tax.TaxOf(tt.amount, tt.rate, true, tt.r)
			var ie *tax.InputError
			if !errors.As(err, &ie) || !slices.Equal(ie.Field, []string{tt.want}) {
				t.Errorf("TaxOf error = %v, want an *InputError on %s", err, tt.want)
			}
		})
	}
}

func TestCategory_RatePercent(t *testing.T) {
	tests := []struct {
		c    tax.Category
		want int
		ok   bool
	}{
		{tax.Standard, 10, true},
		{tax.Reduced, 8, true},
		{tax.Exempt, 0, true},
		{"standard", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := tt.c.RatePercent()
		if got != tt.want || ok != tt.ok || tt.c.Valid() != tt.ok {
			t.Errorf("%q.RatePercent() = %d, %t; Valid() = %t; want %d, %t", tt.c, got, ok, tt.c.Valid(), tt.want, tt.ok)
		}
	}
}

func TestRounding_Valid(t *testing.T) {
	for _, r := range []tax.Rounding{tax.Floor, tax.HalfUp, tax.Ceiling} {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	for _, r := range []tax.Rounding{"", "floor", "HALF_EVEN"} {
		if r.Valid() {
			t.Errorf("%q.Valid() = true", r)
		}
	}
}
