package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The Renkei-Signature header: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<raw body>")>. A receiver recomputes the HMAC over the raw body it
// read (before parsing it), compares in constant time, and refuses a
// timestamp too far from its clock, which bounds replays.
const (
	SignatureHeader = "Renkei-Signature"
	EventIDHeader   = "Renkei-Event-Id"
	EventTypeHeader = "Renkei-Event-Type"
	// DefaultTolerance is how far a signature's timestamp may be from the
	// receiver's clock.
	DefaultTolerance = 5 * time.Minute
)

// Verification failures.
var (
	ErrNoSignature  = errors.New("webhook: no Renkei-Signature header")
	ErrBadHeader    = errors.New("webhook: malformed Renkei-Signature header")
	ErrTooOld       = errors.New("webhook: signature timestamp outside the tolerance")
	ErrBadSignature = errors.New("webhook: signature does not match")
)

// Sign returns the Renkei-Signature header of body, signed at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Renkei-Signature header against the raw body: the
// timestamp within tolerance of now (either way), and one of the header's
// v1 signatures equal to the HMAC-SHA256 of "<t>.<body>" under secret,
// compared in constant time. Several v1 values may be present (a secret
// being rotated); unknown schemes are ignored.
func Verify(secret string, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrNoSignature
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrBadHeader
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrBadHeader
			}
			ts = v
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size {
				return ErrBadHeader
			}
			sigs = append(sigs, s)
		}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts != strconv.FormatInt(secs, 10) || len(sigs) == 0 {
		return ErrBadHeader
	}
	d := now.Sub(time.Unix(secs, 0))
	if d < 0 {
		d = -d
	}
	if d > tolerance {
		return ErrTooOld
	}
	want := mac(secret, ts, body)
	ok := 0
	for _, s := range sigs {
		ok |= subtle.ConstantTimeCompare(s, want)
	}
	if ok == 0 {
		return ErrBadSignature
	}
	return nil
}
