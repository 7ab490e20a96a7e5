package dynamo

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// Cursors are opaque to clients: base64url of "<tag>|<sort key>", where the
// sort key is where the page ended and the tag names the query that was
// run — the listing and its filter, e.g. "items|tea" — as the first 8 bytes
// (hex) of its SHA-256. A cursor continues only the query it was made for:
// one that is garbled, truncated, forged without the tag, or made by another
// listing or with another filter does not unbind, and the listing answers
// INVALID on ["after"] (never INTERNAL). The tag is not a secret: a client
// that computes one can only name a position in its own tenant's partition,
// which the listing checks for shape before it uses it as a bound.

// maxCursorLen bounds what is decoded at all.
const maxCursorLen = 2048

func encodeCursor(raw string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string) (string, error) {
	if len(c) > maxCursorLen {
		return "", errors.New("cursor too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !utf8.Valid(b) || len(b) == 0 {
		return "", errors.New("malformed cursor")
	}
	return string(b), nil
}

func queryTag(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:8])
}

// bindCursor is the cursor of query that continues after sortKey.
func bindCursor(query, sortKey string) string { return encodeCursor(queryTag(query) + "|" + sortKey) }

// unbindCursor returns the sort key of a cursor made by bindCursor for the
// same query; false for anything else.
func unbindCursor(query, cursor string) (string, bool) {
	raw, err := decodeCursor(cursor)
	if err != nil {
		return "", false
	}
	tag, sortKey, ok := strings.Cut(raw, "|")
	if !ok || tag != queryTag(query) || sortKey == "" {
		return "", false
	}
	return sortKey, true
}

// errCursor is every listing's answer to an after that does not unbind or
// names no position of the listing.
func errCursor() error {
	return apperr.New(apperr.Invalid, "after is not a cursor from this list", "after")
}

// cutPage trims a read of up to first+1 elements of query to one page. When
// there was more, the cursor of the next page is bound to query and
// continues after the sort key of the page's last element.
func cutPage[T any](items []T, first int, query string, sortKey func(T) string) ([]T, string) {
	if len(items) <= first {
		return items, ""
	}
	items = items[:first]
	return items, bindCursor(query, sortKey(items[first-1]))
}
