// Package secretbox seals integration secrets at rest (integrations.Sealer)
// with envelope encryption: every Seal draws a fresh 256-bit data key,
// encrypts the plaintext with it (AES-256-GCM), and keeps the data key only
// wrapped by a key-encryption key — a KMS key in AWS (NewKMS), a 32-byte key
// file locally (NewLocal). The caller's aad (tenant and integration) is
// bound to both the data and the wrapped key, so a sealed value opens only
// for the owner it was sealed for.
//
// # Format, version 1
//
//	offset  size  field
//	0       1     version (1)
//	1       1     wrapping: 1 = local key file, 2 = KMS
//	2       2     n, the wrapped data key's length (big endian)
//	4       n     the wrapped data key
//	4+n     12    GCM nonce of the data
//	16+n    …     AES-256-GCM(data key, plaintext), 16-byte tag at its end
//
// The data's GCM additional data is the header (bytes 0 … 4+n) followed by
// the caller's aad: changing the version, the wrapping or the wrapped key
// fails the tag even before the key is unwrapped. A locally wrapped key is
// nonce(12) ‖ AES-256-GCM(key file's key, data key) with the additional data
// "renkei-secretbox-v1-local" ‖ aad; a KMS-wrapped key is GenerateDataKey's
// CiphertextBlob, made with the aad as encryption context (see NewKMS).
package secretbox
