package ids

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Derive returns an id of the usual form whose time part is t and whose 80
// other bits are the first bits of SHA-256(seed): the same (t, seed) always
// gives the same id. It is for ids that must survive being computed again —
// an event derived from a stored state each time it is delivered — and is
// unguessable only as far as seed is.
func Derive(prefix string, t time.Time, seed string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(t.UnixMilli())<<16)
	sum := sha256.Sum256([]byte(seed))
	copy(b[6:], sum[:10])
	return prefix + "_" + encode(b)
}
