package tenant

import (
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestValidateRegistrationNumber(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"T1234567890123", true},
		{"T0000000000000", true},
		{"1234567890123", false},
		{"T123456789012", false},
		{"T12345678901234", false},
		{"t1234567890123", false},
		{"T12345678901a3", false},
		{"Ｔ1234567890123", false},
		{"", false},
	} {
		err := ValidateRegistrationNumber(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateRegistrationNumber(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err != nil && apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("code = %s", apperr.CodeOf(err))
		}
	}
}

func TestNew_DefaultsAndValidation(t *testing.T) {
	now := time.Now()
	tn, err := New("tnt_x", "  Cafe  ", "", "", now)
	if err != nil {
		t.Fatal(err)
	}
	if tn.Currency != "JPY" || tn.Timezone != "Asia/Tokyo" || !tn.PricesIncludeTax || tn.TaxRounding != RoundFloor || tn.BusinessName != "Cafe" {
		t.Fatalf("defaults not applied: %+v", tn)
	}
	_, err = New("tnt_x", "", "XXX", "Mars/Olympus", now)
	l, ok := err.(apperr.List)
	if !ok || len(l) != 3 {
		t.Fatalf("want 3 field errors, got %v", err)
	}
}

func TestSettings_Apply(t *testing.T) {
	tn, _ := New("tnt_x", "Cafe", "JPY", "Asia/Tokyo", time.Now())
	bad := Rounding("UP")
	reg := "T12"
	err := Settings{TaxRounding: &bad, InvoiceRegistrationNumber: &reg}.Apply(&tn, time.Now())
	if l, ok := err.(apperr.List); !ok || len(l) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	good := "T1234567890123"
	half := RoundHalfUp
	if err := (Settings{TaxRounding: &half, InvoiceRegistrationNumber: &good}).Apply(&tn, time.Now()); err != nil {
		t.Fatal(err)
	}
	if tn.TaxRounding != RoundHalfUp || tn.InvoiceRegistrationNumber != good {
		t.Fatalf("not applied: %+v", tn)
	}
}
