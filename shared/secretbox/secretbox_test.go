package secretbox

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustLocal(t testing.TB) *Box {
	t.Helper()
	b, err := NewLocalKey(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// boxes are the two wrappings, each under test with the same cases.
func boxes(t *testing.T) map[string]*Box {
	return map[string]*Box{"local": mustLocal(t), "kms": NewKMS(newFakeKMS(), "alias/renkei-secrets")}
}

func TestBox_RoundTrip(t *testing.T) {
	aad := []byte("tnt_1|int_1")
	for name, b := range boxes(t) {
		t.Run(name, func(t *testing.T) {
			for _, plain := range [][]byte{nil, []byte(`{"accessToken":"tok"}`), bytes.Repeat([]byte("x"), 20000)} {
				sealed, err := b.Seal(t.Context(), plain, aad)
				if err != nil {
					t.Fatal(err)
				}
				if len(plain) > 0 && bytes.Contains(sealed, plain) {
					t.Fatal("the plaintext shows in the sealed value")
				}
				got, err := b.Open(t.Context(), sealed, aad)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("Open = %q, %v; want %q", got, err, plain)
				}
			}
			// A fresh data key and nonce per Seal.
			s1, _ := b.Seal(t.Context(), []byte("same"), aad)
			s2, _ := b.Seal(t.Context(), []byte("same"), aad)
			n := int(binary.BigEndian.Uint16(s1[2:4]))
			if bytes.Equal(s1, s2) || bytes.Equal(s1[4:4+n], s2[4:4+n]) {
				t.Fatal("two seals share a data key")
			}
		})
	}
}

func TestBox_OpenRefusesTampering(t *testing.T) {
	aad := []byte("tnt_1|int_1")
	for name, b := range boxes(t) {
		t.Run(name, func(t *testing.T) {
			sealed, err := b.Seal(t.Context(), []byte(`{"refreshToken":"r"}`), aad)
			if err != nil {
				t.Fatal(err)
			}
			n := int(binary.BigEndian.Uint16(sealed[2:4]))
			flip := func(i int) []byte {
				c := bytes.Clone(sealed)
				c[i] ^= 1
				return c
			}
			cases := map[string]struct {
				sealed, aad []byte
			}{
				"version":            {flip(0), aad},
				"wrapping":           {flip(1), aad},
				"wrapped key length": {flip(3), aad},
				"wrapped key":        {flip(4 + n/2), aad},
				"nonce":              {flip(4 + n + 1), aad},
				"ciphertext":         {flip(4 + n + nonceLen), aad},
				"tag":                {flip(len(sealed) - 1), aad},
				"truncated":          {sealed[:len(sealed)-1], aad},
				"header only":        {sealed[:4+n], aad},
				"empty":              {nil, aad},
				"another owner":      {sealed, []byte("tnt_2|int_1")},
				"no owner":           {sealed, nil},
			}
			for cname, tc := range cases {
				if got, err := b.Open(t.Context(), tc.sealed, tc.aad); !errors.Is(err, ErrOpen) {
					t.Errorf("%s: Open = %q, %v; want ErrOpen", cname, got, err)
				}
			}
			if _, err := b.Open(t.Context(), sealed, aad); err != nil {
				t.Fatalf("the untouched value no longer opens: %v", err)
			}
		})
	}
}

func TestBox_WrongKeyRefused(t *testing.T) {
	aad := []byte("tnt_1|int_1")
	sealed, err := mustLocal(t).Seal(t.Context(), []byte("secret"), aad)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewLocalKey(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(t.Context(), sealed, aad); !errors.Is(err, ErrOpen) {
		t.Errorf("another local key: %v, want ErrOpen", err)
	}
	kmsBox := NewKMS(newFakeKMS(), "k")
	if _, err := kmsBox.Open(t.Context(), sealed, aad); !errors.Is(err, ErrOpen) {
		t.Errorf("a local value opened by KMS: %v, want ErrOpen", err)
	}
	kmsSealed, _ := kmsBox.Seal(t.Context(), []byte("secret"), aad)
	if _, err := NewKMS(newFakeKMS(), "k").Open(t.Context(), kmsSealed, aad); !errors.Is(err, ErrOpen) {
		t.Errorf("another KMS key: %v, want ErrOpen", err)
	}
	if _, err := NewLocalKey(make([]byte, 16)); err == nil {
		t.Error("a 16-byte local key was accepted")
	}
}

func TestNewLocal_KeyFile(t *testing.T) {
	aad := []byte("tnt_1|int_1")
	t.Run("created 0600 in a 0700 directory, then reused", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		file := filepath.Join(dir, "integration-secrets.key")
		b, err := NewLocal(file)
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]os.FileMode{dir: 0o700, file: 0o600} {
			info, err := os.Stat(path)
			if err != nil || info.Mode().Perm() != want {
				t.Fatalf("%s: %v %v, want %04o", path, info.Mode(), err, want)
			}
		}
		if raw, _ := os.ReadFile(file); len(raw) != KeySize {
			t.Fatalf("key file holds %d bytes", len(raw))
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".secretbox-key-*")); len(left) != 0 {
			t.Fatalf("temporary files left: %v", left)
		}
		sealed, err := b.Seal(t.Context(), []byte("secret"), aad)
		if err != nil {
			t.Fatal(err)
		}
		again, err := NewLocal(file)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := again.Open(t.Context(), sealed, aad); err != nil || string(got) != "secret" {
			t.Fatalf("reopened with the same key file: %q %v", got, err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		dir := t.TempDir()
		write := func(name string, content []byte, perm os.FileMode) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, content, perm); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, perm); err != nil { // past the umask
				t.Fatal(err)
			}
			return p
		}
		key := make([]byte, KeySize)
		rand.Read(key)
		cases := map[string]struct {
			path, want string
		}{
			"readable by the group": {write("group.key", key, 0o640), "wider than 0600"},
			"readable by anyone":    {write("world.key", key, 0o644), "wider than 0600"},
			"too short":             {write("short.key", key[:16], 0o600), "16 bytes"},
			"too long":              {write("long.key", append(key, '\n'), 0o600), "33 bytes"},
			"a directory":           {dir, "not a regular file"},
		}
		for name, tc := range cases {
			_, err := NewLocal(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want %q", name, err, tc.want)
			}
		}
		// A refused file is left as it was, never replaced.
		if raw, _ := os.ReadFile(filepath.Join(dir, "short.key")); len(raw) != 16 {
			t.Error("the refused key file was changed")
		}
		// A read-only key file is fine.
		if _, err := NewLocal(write("readonly.key", key, 0o400)); err != nil {
			t.Errorf("0400: %v", err)
		}
	})
}

func TestNewKMS_EncryptionContextAndCache(t *testing.T) {
	fake := newFakeKMS()
	b := NewKMS(fake, "alias/renkei-secrets")
	w := b.w.(*kmsWrapper)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	aad := []byte("tnt_1|int_1")

	sealed, err := b.Seal(t.Context(), []byte("secret"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if fake.lastContext["aad"] != "tnt_1|int_1" || fake.lastKeySpec != "AES_256" || fake.lastKeyID != "alias/renkei-secrets" {
		t.Fatalf("GenerateDataKey got context %v, spec %q, key %q", fake.lastContext, fake.lastKeySpec, fake.lastKeyID)
	}
	for range 3 {
		if got, err := b.Open(t.Context(), sealed, aad); err != nil || string(got) != "secret" {
			t.Fatalf("Open: %q %v", got, err)
		}
	}
	if fake.decrypts != 1 {
		t.Fatalf("3 opens of one value made %d Decrypt calls, want 1 (cached)", fake.decrypts)
	}
	// The cache is keyed by the aad too: another owner goes to KMS, which refuses.
	if _, err := b.Open(t.Context(), sealed, []byte("tnt_2|int_1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("another owner: %v", err)
	}
	if fake.decrypts != 2 {
		t.Fatalf("another owner's open made %d Decrypt calls in all, want 2", fake.decrypts)
	}
	now = now.Add(kmsCacheTTL + time.Second)
	if _, err := b.Open(t.Context(), sealed, aad); err != nil || fake.decrypts != 3 {
		t.Fatalf("after the TTL: %v, %d Decrypt calls, want 3", err, fake.decrypts)
	}

	// A binary aad travels base64-encoded under another key name.
	bin := []byte{0xff, 0x00, 0xfe}
	s, err := b.Seal(t.Context(), []byte("x"), bin)
	if err != nil || fake.lastContext["aad-b64"] != "/wD+" {
		t.Fatalf("binary aad: context %v, %v", fake.lastContext, err)
	}
	if got, err := b.Open(t.Context(), s, bin); err != nil || string(got) != "x" {
		t.Fatalf("binary aad open: %q %v", got, err)
	}

	// KMS being unreachable is an error to retry, not ErrOpen.
	fake.fail = errors.New("dial tcp: i/o timeout")
	if _, err := b.Seal(t.Context(), []byte("x"), aad); err == nil || errors.Is(err, ErrOpen) {
		t.Fatalf("Seal with KMS down: %v", err)
	}
	fresh := NewKMS(fake, "alias/renkei-secrets")
	if _, err := fresh.Open(t.Context(), sealed, aad); err == nil || errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "Decrypt") {
		t.Fatalf("Open with KMS down: %v", err)
	}
}

func TestNewKMS_CacheBounded(t *testing.T) {
	w := NewKMS(newFakeKMS(), "k").w.(*kmsWrapper)
	now := time.Now()
	for i := range kmsCacheEntries + 50 {
		w.put(cacheID([]byte{byte(i), byte(i >> 8)}, nil), make([]byte, dataKeyLen), now)
	}
	if len(w.cache) > kmsCacheEntries {
		t.Fatalf("cache holds %d keys, bound %d", len(w.cache), kmsCacheEntries)
	}
}
