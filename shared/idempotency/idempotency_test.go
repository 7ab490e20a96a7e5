package idempotency

import (
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestNew_HashIsCanonical(t *testing.T) {
	a := New("op", "k1", Fields{"b": int64(2), "a": "x", "list": []Fields{{"n": 1, "ok": true}}, "none": nil})
	b := New("op", "k2", Fields{"none": nil, "list": []Fields{{"ok": true, "n": int64(1)}}, "a": "x", "b": 2})
	if a.Hash != b.Hash {
		t.Fatal("the same fields in another order (or another key) hash differently")
	}
	for name, other := range map[string]Request{
		"another operation":     New("op2", "k1", Fields{"b": int64(2), "a": "x", "list": []Fields{{"n": 1, "ok": true}}, "none": nil}),
		"another value":         New("op", "k1", Fields{"b": int64(3), "a": "x", "list": []Fields{{"n": 1, "ok": true}}, "none": nil}),
		"a missing field":       New("op", "k1", Fields{"b": int64(2), "a": "x", "list": []Fields{{"n": 1, "ok": true}}}),
		"a string for a number": New("op", "k1", Fields{"b": "2", "a": "x", "list": []Fields{{"n": 1, "ok": true}}, "none": nil}),
	} {
		if other.Hash == a.Hash {
			t.Errorf("%s hashes the same", name)
		}
	}
}

// The encoding is part of the stored data: records written before a change
// of it would answer IDEMPOTENCY_KEY_REUSED to honest retries. This pins it.
func TestNew_HashPinned(t *testing.T) {
	got := New("checkout", "ignored", Fields{"locationId": "loc_1", "lines": []Fields{{"variantId": "var_1", "quantity": int64(2)}}, "note": "お茶 \"x\""}).Hash
	const want = "73dc78821c8e11774275dc5251717fe8e8c8aa55374ce4c5b5e06b6d7dfe3414" // also: sha256 of the documented encoding, computed outside Go
	if got != want {
		t.Fatalf("hash = %s, want %s", got, want)
	}
}

func TestNew_RefusesNonCanonicalValues(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a struct value was hashed")
		}
	}()
	New("op", "k", Fields{"x": struct{ A int }{1}})
}

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"3f1c2a9e-0b1d-4c8e-9a57-2d3e4f5a6b7c", true},
		{strings.Repeat("k", 128), true},
		{strings.Repeat("鍵", 128), true},
		{"", false},
		{strings.Repeat("k", 129), false},
		{"k\x00", false},
		{"k\n", false},
		{"\xff", false},
	}
	for _, tc := range tests {
		err := ValidateKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateKey(%q) = %v", tc.key, err)
		}
		if err != nil && (apperr.CodeOf(err) != apperr.Invalid || strings.Join(err.(*apperr.Error).Field, ".") != "input.idempotencyKey") {
			t.Errorf("ValidateKey(%q) error = %v", tc.key, err)
		}
	}
}
