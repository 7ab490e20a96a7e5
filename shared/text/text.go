// Package text is the one rule for text that people type into renkei and
// other people later read — names, notes, payment references, search
// queries: valid UTF-8, trimmed, bounded in characters, and free of the
// control characters that corrupt receipts, CSV exports and logs or make
// text display differently from how it is stored.
package text

import (
	"strings"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// Clean reports whether s is valid UTF-8 without control characters: no C0
// control (U+0000–U+001F) except, when multiline, tab, line feed and
// carriage return; no DEL or C1 control (U+007F–U+009F); no line or
// paragraph separator (U+2028, U+2029) unless multiline; and no
// bidirectional embedding, override or isolate (U+202A–U+202E,
// U+2066–U+2069), which reorder how the text around them is shown.
func Clean(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			if !multiline {
				return false
			}
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return false
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return false
		}
	}
	return true
}

// Rule is how one kind of text input is checked.
type Rule struct {
	What      string // how messages name it, e.g. "name"
	Min, Max  int    // bounds in characters, after trimming
	Multiline bool   // notes: tab and line breaks allowed
}

// Name is the rule of names: items, variants, customers, staff, locations,
// businesses, API keys.
var Name = Rule{What: "name", Min: 1, Max: 200}

// Named returns r with messages naming the input what.
func (r Rule) Named(what string) Rule {
	r.What = what
	return r
}

// Check checks s against r and returns it trimmed, appending an INVALID
// error at field to errs when it breaks the rule. Control characters are
// refused wherever they are, the ends included: trimming never quietly
// turns "Tea\x85" into "Tea".
func (r Rule) Check(errs *apperr.List, s string, field ...string) string {
	if !Clean(s, r.Multiline) {
		*errs = append(*errs, r.dirty(field))
		return s
	}
	s = strings.TrimSpace(s)
	if err := r.Validate(s, field...); err != nil {
		*errs = append(*errs, err)
	}
	return s
}

func (r Rule) dirty(field []string) *apperr.Error {
	return apperr.New(apperr.Invalid, r.What+" must not contain control characters", field...)
}

// Validate checks s (already trimmed) against r: nil, or INVALID at field.
func (r Rule) Validate(s string, field ...string) *apperr.Error {
	if !Clean(s, r.Multiline) {
		return r.dirty(field)
	}
	if n := utf8.RuneCountInString(s); n < r.Min || n > r.Max {
		if r.Min <= 0 {
			return apperr.Newf(apperr.Invalid, field, "%s must be at most %d characters", r.What, r.Max)
		}
		return apperr.Newf(apperr.Invalid, field, "%s must be %d to %d characters", r.What, r.Min, r.Max)
	}
	return nil
}
