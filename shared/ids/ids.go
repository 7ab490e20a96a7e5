// Package ids makes the identifiers renkei hands out: a short type prefix and
// a fixed-length, time-ordered, unguessable body (48-bit millisecond time and
// 80 random bits in Crockford base32, like a ULID). Fixed length matters:
// tenant ids lead every partition key.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// BodyLen is the length of the part after "<prefix>_".
const BodyLen = 26

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Prefixes of the identifiers in use.
const (
	Tenant   = "tnt"
	User     = "usr"
	Location = "loc"
	APIKey   = "key"
	Session  = "ses"
	// Integration is an integration of the hub (shared/integrations).
	Integration = "int"
)

// New returns prefix + "_" + a 26-character body.
func New(prefix string) string { return NewAt(prefix, time.Now()) }

// NewAt is New with an explicit time, so ids sort by creation time.
func NewAt(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(t.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error()) // never happens on Linux; rand.Read is documented not to fail
	}
	return prefix + "_" + encode(b)
}

// encode writes 128 bits as 26 base32 characters (the first carries 3 bits).
func encode(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	out := make([]byte, BodyLen)
	for i := BodyLen - 1; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out)
}

// Valid reports whether s is a well-formed id with the given prefix.
func Valid(prefix, s string) bool {
	body, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(body) != BodyLen {
		return false
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(alphabet, body[i]) < 0 {
			return false
		}
	}
	return body[0] <= '7'
}
