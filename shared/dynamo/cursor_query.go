package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// A listing's cursor also names the query it was made for (a hash of the
// filter), so a cursor from another listing, or from the same listing with
// another filter, is refused as INVALID instead of silently paging through
// something else.

func queryTag(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:8])
}

// boundKey is what a cursor of query that continues after sortKey encodes
// (for cutPage's sortKey function).
func boundKey(query, sortKey string) string { return queryTag(query) + "|" + sortKey }

// bindCursor is the cursor of query that continues after sortKey.
func bindCursor(query, sortKey string) string { return encodeCursor(boundKey(query, sortKey)) }

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
