package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name           string
		s              string
		line, multiple bool // want for a one-line input, for a note
	}{
		{"plain", "Onigiri salmon", true, true},
		{"japanese and emoji", "おにぎり 鮭 🍙 👨‍👩‍👧", true, true},
		{"empty", "", true, true},
		{"NUL", "a\x00b", false, false},
		{"escape", "a\x1b[31mb", false, false},
		{"bell", "\a", false, false},
		{"DEL", "a\x7fb", false, false},
		{"C1 next line", "a\u0085b", false, false},
		{"C1 CSI", "a\u009bb", false, false},
		{"tab", "a\tb", false, true},
		{"newline", "a\nb", false, true},
		{"carriage return", "a\r\nb", false, true},
		{"line separator", "a\u2028b", false, true},
		{"right-to-left override", "abc\u202edcba", false, false},
		{"isolate", "a\u2066b\u2069", false, false},
		{"invalid UTF-8", "a\xffb", false, false},
		{"surrogate half", "a\xed\xa0\x80b", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.s, false); got != tc.line {
				t.Errorf("Clean(%q, one line) = %v", tc.s, got)
			}
			if got := Clean(tc.s, true); got != tc.multiple {
				t.Errorf("Clean(%q, multiline) = %v", tc.s, got)
			}
		})
	}
}

func TestRule_Check(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"trimmed", "  Tea  ", "Tea", true},
		{"empty after trim", "   ", "", false},
		{"200 characters", strings.Repeat("茶", 200), strings.Repeat("茶", 200), true},
		{"201 characters", strings.Repeat("茶", 201), strings.Repeat("茶", 201), false},
		{"NUL inside", "Te\x00a", "Te\x00a", false},
		{"NUL at the end is not trimmed away", "Tea\x00", "Tea\x00", false},
		{"next line (C1) at the end is not trimmed away", "Tea\u0085", "Tea\u0085", false},
		{"a line feed at the end of a name", "Tea\n", "Tea\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errs apperr.List
			got := Name.Check(&errs, tc.in, "input", "name")
			if got != tc.want || (len(errs) == 0) != tc.ok {
				t.Fatalf("Check(%q) = %q, %v", tc.in, got, errs)
			}
			if !tc.ok && (errs[0].Code != apperr.Invalid || strings.Join(errs[0].Field, ".") != "input.name") {
				t.Fatalf("error = %+v", errs[0])
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"abc", "a\x00", "\u202e", "\xff", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !Clean(s, true) {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 accepted: %q", s)
		}
		for _, r := range s {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("control %U accepted in %q", r, s)
			}
		}
		if Clean(s, false) && strings.ContainsAny(s, "\t\n\r") {
			t.Fatalf("line break accepted on one line: %q", s)
		}
	})
}
