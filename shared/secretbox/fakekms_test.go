package secretbox

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// fakeKMS is an in-process KMS with one key: a data key's blob is the data
// key sealed under the fake's master key with the encryption context as
// additional data, so, like KMS, Decrypt refuses another context or a blob
// of another key.
type fakeKMS struct {
	master cipher.AEAD

	mu          sync.Mutex
	decrypts    int
	lastContext map[string]string
	lastKeySpec types.DataKeySpec
	lastKeyID   string
	fail        error
}

var _ KMSAPI = (*fakeKMS)(nil)

func newFakeKMS() *fakeKMS {
	key := make([]byte, 32)
	rand.Read(key)
	gcm, err := newGCM(key)
	if err != nil {
		panic(err)
	}
	return &fakeKMS{master: gcm}
}

func contextAAD(c map[string]string) []byte {
	b, _ := json.Marshal(c) // sorted keys: canonical
	return b
}

func (f *fakeKMS) GenerateDataKey(_ context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.lastContext, f.lastKeySpec, f.lastKeyID = in.EncryptionContext, in.KeySpec, aws.ToString(in.KeyId)
	if in.KeySpec != types.DataKeySpecAes256 {
		return nil, errors.New("fake KMS: want AES_256")
	}
	plain := make([]byte, 32)
	rand.Read(plain)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	blob := f.master.Seal(nonce, nonce, plain, contextAAD(in.EncryptionContext))
	return &kms.GenerateDataKeyOutput{Plaintext: plain, CiphertextBlob: blob, KeyId: in.KeyId}, nil
}

func (f *fakeKMS) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.decrypts++
	msg := "The ciphertext is invalid."
	if len(in.CiphertextBlob) < 12 {
		return nil, &types.InvalidCiphertextException{Message: &msg}
	}
	plain, err := f.master.Open(nil, in.CiphertextBlob[:12], in.CiphertextBlob[12:], contextAAD(in.EncryptionContext))
	if err != nil {
		return nil, &types.InvalidCiphertextException{Message: &msg}
	}
	return &kms.DecryptOutput{Plaintext: plain, KeyId: in.KeyId}, nil
}
