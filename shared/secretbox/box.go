package secretbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// Format constants (doc.go).
const (
	version     = 1
	kindLocal   = 1
	kindKMS     = 2
	headerLen   = 4
	nonceLen    = 12
	tagLen      = 16
	dataKeyLen  = 32
	maxWrapped  = 1 << 12 // KMS blobs are ~180 bytes; anything larger is not ours
	minOverhead = headerLen + nonceLen + tagLen
)

// ErrOpen is returned when a sealed value cannot be opened: it was
// tampered with, sealed for another owner (aad), or under another key.
// The cause is deliberately not told apart.
var ErrOpen = errors.New("secretbox: cannot open the sealed value (tampered, another owner, or another key)")

// wrapper makes and unwraps data keys: the part that differs between the
// local key file and KMS.
type wrapper interface {
	kind() byte
	// newKey returns a fresh data key and its wrapped form, bound to aad.
	newKey(ctx context.Context, aad []byte) (plain, wrapped []byte, err error)
	// unwrap returns the data key of wrapped; ErrOpen when it does not
	// unwrap under this key and aad.
	unwrap(ctx context.Context, wrapped, aad []byte) ([]byte, error)
}

// Box seals and opens secrets (integrations.Sealer). It is safe for
// concurrent use.
type Box struct {
	w wrapper
}

var _ integrations.Sealer = (*Box)(nil)

// Seal encrypts plaintext under a fresh data key bound to aad.
func (b *Box) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	key, wrapped, err := b.w.newKey(ctx, aad)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	if len(key) != dataKeyLen || len(wrapped) == 0 || len(wrapped) > maxWrapped {
		return nil, errors.New("secretbox: the key service returned a data key of an unexpected size")
	}
	out := make([]byte, headerLen, headerLen+len(wrapped)+nonceLen+len(plaintext)+tagLen)
	out[0], out[1] = version, b.w.kind()
	binary.BigEndian.PutUint16(out[2:4], uint16(len(wrapped)))
	out = append(out, wrapped...)
	header := out
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return gcm.Seal(out, nonce, plaintext, dataAAD(header, aad)), nil
}

// Open decrypts a value Seal returned for the same aad.
func (b *Box) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < minOverhead || sealed[0] != version || sealed[1] != b.w.kind() {
		return nil, ErrOpen
	}
	n := int(binary.BigEndian.Uint16(sealed[2:4]))
	if n == 0 || n > maxWrapped || len(sealed) < minOverhead+n {
		return nil, ErrOpen
	}
	header, wrapped := sealed[:headerLen+n], sealed[headerLen:headerLen+n]
	nonce, ct := sealed[headerLen+n:headerLen+n+nonceLen], sealed[headerLen+n+nonceLen:]
	key, err := b.w.unwrap(ctx, wrapped, aad)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, dataAAD(header, aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// dataAAD is the data's additional data: the header, then the caller's aad
// (the header is length-prefixed, so the split is unambiguous).
func dataAAD(header, aad []byte) []byte {
	out := make([]byte, 0, len(header)+len(aad))
	return append(append(out, header...), aad...)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return cipher.NewGCM(block)
}
