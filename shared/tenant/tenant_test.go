package tenant

import (
	"errors"
	"strings"
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

func TestNewLocation_Validation(t *testing.T) {
	tn, _ := New("tnt_x", "Cafe", "JPY", "Asia/Tokyo", time.Now())
	tests := []struct {
		name, locName, zone string
		wantField           string // "" when valid
	}{
		{"tenant's zone by default", "Shibuya", "", ""},
		{"another zone", "Honolulu", "Pacific/Honolulu", ""},
		{"misspelt zone", "Shibuya", "Asia/Tokyoo", "input.timezone"},
		{"server's zone", "Shibuya", "Local", "input.timezone"},
		{"a path", "Shibuya", "../../etc/passwd", "input.timezone"},
		{"NUL in the name", "Shi\x00buya", "", "input.name"},
		{"escape in the name", "\x1b[2JShibuya", "", "input.name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLocation("loc_1", tc.locName, tc.zone, tn, time.Now())
			if tc.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				if z, zerr := l.Zone(); zerr != nil || z.String() != l.Timezone {
					t.Fatalf("zone %v %v", z, zerr)
				}
				return
			}
			var list apperr.List
			if !errors.As(err, &list) || len(list) != 1 || list[0].Code != apperr.Invalid || strings.Join(list[0].Field, ".") != tc.wantField {
				t.Fatalf("err = %v, want INVALID at %s", err, tc.wantField)
			}
		})
	}
}

func TestLocation_ZoneNeverFallsBackToUTC(t *testing.T) {
	z, err := Location{Timezone: "Asia/Tokyoo"}.Zone()
	if err == nil {
		t.Fatalf("a misspelt zone resolved to %v", z)
	}
	a, _ := LoadZone("Asia/Tokyo")
	b, _ := LoadZone("Asia/Tokyo")
	if a == nil || a != b {
		t.Fatal("a zone is resolved again per call")
	}
}
