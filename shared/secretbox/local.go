package secretbox

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the length of a local key-encryption key.
const KeySize = 32

// localWrapAAD prefixes the aad of a locally wrapped data key.
const localWrapAAD = "renkei-secretbox-v1-local"

// NewLocal seals with the key-encryption key in keyFile: 32 random bytes,
// created (0600, its directory 0700) on first use and read afterwards. A
// key file that others may read (permissions wider than 0600), that is not
// a regular file, or whose size is not 32 bytes is refused rather than
// used or replaced: replacing it would make every sealed secret unopenable.
func NewLocal(keyFile string) (*Box, error) {
	kek, err := loadOrCreateKey(keyFile)
	if err != nil {
		return nil, err
	}
	return NewLocalKey(kek)
}

// NewLocalKey seals with kek (32 bytes), e.g. a test's key.
func NewLocalKey(kek []byte) (*Box, error) {
	if len(kek) != KeySize {
		return nil, fmt.Errorf("secretbox: a local key is %d bytes, not %d", KeySize, len(kek))
	}
	gcm, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	return &Box{w: localWrapper{gcm: gcm}}, nil
}

type localWrapper struct {
	gcm cipher.AEAD
}

func (localWrapper) kind() byte { return kindLocal }

func (l localWrapper) newKey(_ context.Context, aad []byte) ([]byte, []byte, error) {
	key := make([]byte, dataKeyLen)
	nonce := make([]byte, nonceLen, nonceLen+dataKeyLen+tagLen)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, fmt.Errorf("secretbox: data key: %w", err)
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	return key, l.gcm.Seal(nonce, nonce, key, wrapAAD(aad)), nil
}

func (l localWrapper) unwrap(_ context.Context, wrapped, aad []byte) ([]byte, error) {
	if len(wrapped) != nonceLen+dataKeyLen+tagLen {
		return nil, ErrOpen
	}
	key, err := l.gcm.Open(nil, wrapped[:nonceLen], wrapped[nonceLen:], wrapAAD(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return key, nil
}

func wrapAAD(aad []byte) []byte {
	return append([]byte(localWrapAAD), aad...)
}

// loadOrCreateKey reads keyFile, or creates it when it does not exist. The
// new key is written to a temporary file and linked into place, so a crash
// never leaves a short key file and two processes starting at once agree
// on one key.
func loadOrCreateKey(keyFile string) ([]byte, error) {
	if kek, err := readKey(keyFile); !errors.Is(err, fs.ErrNotExist) {
		return kek, err
	}
	dir := filepath.Dir(keyFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: create %s: %w", dir, err)
	}
	kek := make([]byte, KeySize)
	if _, err := rand.Read(kek); err != nil {
		return nil, fmt.Errorf("secretbox: key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secretbox-key-*") // 0600
	if err != nil {
		return nil, fmt.Errorf("secretbox: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(kek)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), keyFile); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process was first: use its key
			return readKey(keyFile)
		}
		return nil, fmt.Errorf("secretbox: create %s: %w", keyFile, err)
	}
	return kek, nil
}

// readKey reads and checks an existing key file.
func readKey(keyFile string) ([]byte, error) {
	info, err := os.Lstat(keyFile)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("secretbox: key file %s is not a regular file", keyFile)
	}
	if perm := info.Mode().Perm(); perm&^0o600 != 0 {
		return nil, fmt.Errorf("secretbox: key file %s has permissions %04o, wider than 0600: fix them (chmod 600)", keyFile, perm)
	}
	kek, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("secretbox: read key file: %w", err)
	}
	if len(kek) != KeySize {
		return nil, fmt.Errorf("secretbox: key file %s holds %d bytes, not %d", keyFile, len(kek), KeySize)
	}
	return kek, nil
}
