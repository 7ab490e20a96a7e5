package giftcards

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"4000000000000002", "4000000000000002", true},
		{"4000 0000 0000 0002", "4000000000000002", true},
		{"4000-0000-0000-0002", "4000000000000002", true},
		{"4000000000000003", "", false}, // wrong check digit
		{"400000000000002", "", false},  // 15 digits
		{"40000000000000021", "", false},
		{"400000000000000a", "", false},
		{"", "", false},
		{"٤000000000000002", "", false}, // non-ASCII digit
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseNumber(tt.raw, "input", "number")
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseNumber(%q) = %q, %v", tt.raw, got, err)
			}
			if err != nil {
				var e *apperr.Error
				if !apperr.Is(err, apperr.Invalid) || !errors.As(err, &e) || strings.Join(e.Field, ".") != "input.number" {
					t.Fatalf("error %v", err)
				}
			}
		})
	}
}

func TestNewNumber_IsValidAndVaries(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		n, err := NewNumber()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseNumber(n); err != nil || n[0] == '0' {
			t.Fatalf("generated %s: %v", Mask(n), err)
		}
		seen[n] = true
	}
	if len(seen) < 200 {
		t.Fatalf("only %d distinct numbers of 200", len(seen))
	}
}

func TestMask(t *testing.T) {
	if got := Mask("4000000000000002"); got != "************0002" {
		t.Fatal(got)
	}
	if Last4("4000000000000002") != "0002" || Mask("12") != "**" {
		t.Fatal("short")
	}
}

func TestExpiresAt(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	tests := []struct {
		at     time.Time
		months int
		want   time.Time
	}{
		{time.Date(2026, 1, 15, 10, 0, 0, 0, jst), 6, time.Date(2026, 7, 15, 10, 0, 0, 0, jst)},
		{time.Date(2026, 8, 31, 10, 0, 0, 0, jst), 6, time.Date(2027, 2, 28, 10, 0, 0, 0, jst)},
		{time.Date(2027, 8, 31, 10, 0, 0, 0, jst), 6, time.Date(2028, 2, 29, 10, 0, 0, 0, jst)},
		{time.Date(2026, 3, 31, 0, 0, 0, 0, jst), 1, time.Date(2026, 4, 30, 0, 0, 0, 0, jst)},
		{time.Date(2026, 5, 1, 0, 0, 0, 0, jst), 0, time.Date(2026, 11, 1, 0, 0, 0, 0, jst)}, // unset: 6
		{time.Date(2026, 5, 1, 0, 0, 0, 0, jst), 120, time.Date(2036, 5, 1, 0, 0, 0, 0, jst)},
	}
	for _, tt := range tests {
		if got := ExpiresAt(tt.at, tt.months); !got.Equal(tt.want) {
			t.Errorf("ExpiresAt(%v, %d) = %v, want %v", tt.at, tt.months, got, tt.want)
		}
	}
}

func TestValidityPolicy(t *testing.T) {
	if Regulated(6) || Regulated(0) || !Regulated(7) {
		t.Fatal("Regulated")
	}
}

func TestReferenceDates(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct{ at, prev, next time.Time }{
		{d(2026, 1, 10), d(2025, 9, 30), d(2026, 3, 31)},
		{d(2026, 3, 31), d(2025, 9, 30), d(2026, 3, 31)},
		{d(2026, 4, 1), d(2026, 3, 31), d(2026, 9, 30)},
		{d(2026, 9, 30), d(2026, 3, 31), d(2026, 9, 30)},
		{d(2026, 12, 31), d(2026, 9, 30), d(2027, 3, 31)},
	}
	for _, tt := range tests {
		p, n := ReferenceDates(tt.at)
		if !p.Equal(tt.prev) || !n.Equal(tt.next) {
			t.Errorf("ReferenceDates(%v) = %v, %v", tt.at, p, n)
		}
	}
	if !IsReferenceDate(d(2026, 3, 31)) || !IsReferenceDate(d(2026, 9, 30)) || IsReferenceDate(d(2026, 9, 29)) {
		t.Fatal("IsReferenceDate")
	}
}

func TestNewLiability(t *testing.T) {
	at := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	l := NewLiability(at, 10_000_001, 12)
	if !l.ThresholdExceeded || l.DepositRequired != 5_000_001 || !l.Regulated || !l.ReferenceDate {
		t.Fatalf("%+v", l)
	}
	l = NewLiability(at, 10_000_000, 6)
	if l.ThresholdExceeded || l.DepositRequired != 0 || l.Regulated {
		t.Fatalf("%+v", l)
	}
}

func TestCard_States(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := Card{State: Active, ExpiresAt: now}
	if c.Spendable(now) || !c.Expired(now) || !c.Spendable(now.Add(-time.Second)) {
		t.Fatal("expiry is exclusive")
	}
	if (Card{Balance: -1}).Flagged() != true || (Card{}).Flagged() {
		t.Fatal("Flagged")
	}
}
