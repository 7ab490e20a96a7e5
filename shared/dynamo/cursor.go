package dynamo

import (
	"encoding/base64"
	"errors"
	"unicode/utf8"
)

// Cursors are opaque to clients: the sort key where a page ended, base64url.
// A decoded cursor is only ever used as a bound inside the caller's own
// tenant partition, so a forged one can reach nothing else.

func encodeCursor(sortKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sortKey))
}

func decodeCursor(c string) (string, error) {
	if len(c) > 2048 {
		return "", errors.New("cursor too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !utf8.Valid(b) || len(b) == 0 {
		return "", errors.New("malformed cursor")
	}
	return string(b), nil
}

// cutPage trims a read of up to first+1 elements to one page. When there was
// more, the cursor of the next page is the sort key of the page's last element.
func cutPage[T any](items []T, first int, sortKey func(T) string) ([]T, string) {
	if len(items) <= first {
		return items, ""
	}
	items = items[:first]
	return items, encodeCursor(sortKey(items[first-1]))
}
