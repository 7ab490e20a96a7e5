// Package idempotency names client-retryable writes. A write carries the
// client's key and the hash of its canonical request; the store keeps one
// record per (tenant, operation, key) with that hash and the write's result,
// so a replay of the same request returns the result and the same key with
// another request is IDEMPOTENCY_KEY_REUSED.
package idempotency

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/text"
)

// MaxKeyLen is the longest idempotencyKey the contract accepts, in characters.
const MaxKeyLen = 128

// Request is one client-retryable write.
type Request struct {
	Operation string // scopes the key, e.g. "checkout"
	Key       string // the client's idempotencyKey
	Hash      string // hex SHA-256 of the canonical request (see Fields)
}

// New returns the request of operation under key, hashing canonical.
func New(operation, key string, canonical Fields) Request {
	return Request{Operation: operation, Key: key, Hash: canonical.hash(operation)}
}

// ValidateKey checks a client's idempotencyKey: 1 to 128 characters, valid
// UTF-8 without control characters. Every idempotent operation uses it.
func ValidateKey(k string) error {
	if n := utf8.RuneCountInString(k); n < 1 || n > MaxKeyLen || !text.Clean(k, false) {
		return apperr.Newf(apperr.Invalid, []string{"input", "idempotencyKey"}, "idempotencyKey must be 1 to %d characters without control characters", MaxKeyLen)
	}
	return nil
}

// Fields is a canonical request: what a replay must repeat (the input
// without its key), as fields whose names are written out where the request
// is built — never taken from Go struct fields, so renaming a field in code
// cannot change a hash and turn retries into IDEMPOTENCY_KEY_REUSED. Values
// are string, int64, int, bool, nil, Fields, []Fields or []string; anything
// else is a programming error and panics.
type Fields map[string]any

// hash is the hex SHA-256 of "renkei-idempotency/1", the operation and the
// fields encoded as JSON with keys sorted and no spaces.
func (f Fields) hash(operation string) string {
	b := []byte("renkei-idempotency/1\n" + operation + "\n")
	b = encode(b, f)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func encode(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		q, _ := json.Marshal(v) // strings always encode
		return append(b, q...)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case Fields:
		if v == nil {
			return append(b, "null"...)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = encode(b, k)
			b = append(b, ':')
			b = encode(b, v[k])
		}
		return append(b, '}')
	case []Fields:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = encode(b, e)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = encode(b, e)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("idempotency: %T is not a canonical value", v))
}
