package shopify

import (
	"strings"
	"testing"
)

func TestMinorUnits(t *testing.T) {
	cases := []struct {
		amount, currency string
		want             int64
		bad              bool
	}{
		{"1080", "JPY", 1080, false},
		{"1080.00", "JPY", 1080, false},
		{"12.34", "USD", 1234, false},
		{"12.3", "USD", 1230, false},
		{"", "JPY", 0, false},
		{"1080.5", "JPY", 0, true},
		{"12.345", "USD", 0, true},
		{"-1", "JPY", 0, true},
		{"1e3", "JPY", 0, true},
		{"1/2", "JPY", 0, true},
		{"abc", "JPY", 0, true},
		{"99999999999999999999", "JPY", 0, true},
		{"100", "XXX", 0, true},
	}
	for _, tc := range cases {
		got, err := minorUnits(tc.amount, tc.currency)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("minorUnits(%q, %s) = %d, %v", tc.amount, tc.currency, got, err)
		}
	}
}

func TestReduceOrder(t *testing.T) {
	good := `{"id":820982911946154508,"name":"#1001","created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","taxes_included":true,
"total_price":"600","line_items":[{"sku":" TEA ","title":"Tea","quantity":2,"price":"300","total_discount":"0"},{"sku":null,"title":"Gift card","quantity":1,"price":"0"}]}`
	o, err := ReduceOrder([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "820982911946154508" || o.CreatedAt.Hour() != 1 || o.Lines[0].SKU != "TEA" || o.Lines[1].SKU != "" || o.Lines[0].Price != "300" {
		t.Fatalf("%+v", o)
	}
	bad := map[string]string{
		"not JSON":        `{`,
		"no id":           `{"name":"#1","created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","line_items":[{"sku":"A","quantity":1,"price":"1"}]}`,
		"no time":         `{"id":1,"currency":"JPY","line_items":[{"sku":"A","quantity":1,"price":"1"}]}`,
		"a currency":      `{"id":1,"created_at":"2026-11-30T10:02:03+09:00","currency":"ZZZ","line_items":[{"sku":"A","quantity":1,"price":"1"}]}`,
		"no lines":        `{"id":1,"created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","line_items":[]}`,
		"a bad price":     `{"id":1,"created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","line_items":[{"sku":"A","quantity":1,"price":"1.5"}]}`,
		"a zero quantity": `{"id":1,"created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","line_items":[{"sku":"A","quantity":0,"price":"1"}]}`,
		"too many lines":  `{"id":1,"created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","line_items":[` + strings.TrimSuffix(strings.Repeat(`{"sku":"A","quantity":1,"price":"1"},`, MaxOrderLines+1), ",") + `]}`,
	}
	for name, body := range bad {
		if _, err := ReduceOrder([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSKUQuery(t *testing.T) {
	if got := skuQuery(`A"B\C`); got != `sku:"A\"B\\C"` {
		t.Fatalf("%s", got)
	}
}
