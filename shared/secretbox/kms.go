package secretbox

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMSAPI is the part of the KMS client a KMS Box uses (*kms.Client
// implements it).
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Data key cache bounds (see NewKMS).
const (
	kmsCacheTTL     = 5 * time.Minute
	kmsCacheEntries = 1024
)

// NewKMS seals with data keys from KMS key keyID (an id, ARN or alias):
// one GenerateDataKey (AES_256) per Seal, one Decrypt per Open. The aad is
// the encryption context — {"aad": aad} when it is UTF-8 text (as
// "tenantId|integrationId" is, so CloudTrail shows whose secret was opened),
// else {"aad-b64": base64(aad)} — so KMS itself refuses to unwrap a data
// key for another owner.
//
// Opened data keys are cached in memory for 5 minutes, at most 1024 of
// them, keyed by the wrapped key and the aad: a worker runs many jobs of
// one integration in a row and would otherwise call KMS (latency, cost,
// request quota) once per job. The cache holds keys, never plaintexts.
func NewKMS(client KMSAPI, keyID string) *Box {
	return &Box{w: &kmsWrapper{client: client, keyID: keyID, cache: map[[32]byte]cachedKey{}, now: time.Now}}
}

type kmsWrapper struct {
	client KMSAPI
	keyID  string
	now    func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cachedKey
}

type cachedKey struct {
	key     []byte
	expires time.Time
}

func (*kmsWrapper) kind() byte { return kindKMS }

func (k *kmsWrapper) newKey(ctx context.Context, aad []byte) ([]byte, []byte, error) {
	out, err := k.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             aws.String(k.keyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: encryptionContext(aad),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("secretbox: KMS GenerateDataKey: %w", err)
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

func (k *kmsWrapper) unwrap(ctx context.Context, wrapped, aad []byte) ([]byte, error) {
	id := cacheID(wrapped, aad)
	now := k.now()
	k.mu.Lock()
	c, ok := k.cache[id]
	k.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.key, nil
	}
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId:             aws.String(k.keyID),
		CiphertextBlob:    wrapped,
		EncryptionContext: encryptionContext(aad),
	})
	if err != nil {
		var invalid *types.InvalidCiphertextException
		var incorrect *types.IncorrectKeyException
		if errors.As(err, &invalid) || errors.As(err, &incorrect) {
			return nil, ErrOpen
		}
		return nil, fmt.Errorf("secretbox: KMS Decrypt: %w", err)
	}
	if len(out.Plaintext) != dataKeyLen {
		return nil, ErrOpen
	}
	k.put(id, out.Plaintext, now)
	return out.Plaintext, nil
}

// put caches key, first dropping expired entries and, when still full, an
// arbitrary one (map order): the cache is a cost saver, not a working set.
func (k *kmsWrapper) put(id [32]byte, key []byte, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= kmsCacheEntries {
		for old, c := range k.cache {
			if !now.Before(c.expires) {
				delete(k.cache, old)
			}
		}
		for old := range k.cache {
			if len(k.cache) < kmsCacheEntries {
				break
			}
			delete(k.cache, old)
		}
	}
	k.cache[id] = cachedKey{key: key, expires: now.Add(kmsCacheTTL)}
}

func cacheID(wrapped, aad []byte) [32]byte {
	h := sha256.New()
	var n [2]byte
	n[0], n[1] = byte(len(wrapped)>>8), byte(len(wrapped))
	h.Write(n[:])
	h.Write(wrapped)
	h.Write(aad)
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// encryptionContext is aad as KMS's encryption context (nil for no aad:
// KMS refuses empty values). The two key names keep a text aad and a
// base64 one from ever colliding.
func encryptionContext(aad []byte) map[string]string {
	switch {
	case len(aad) == 0:
		return nil
	case utf8.Valid(aad):
		return map[string]string{"aad": string(aad)}
	default:
		return map[string]string{"aad-b64": base64.StdEncoding.EncodeToString(aad)}
	}
}
