package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Token lifetimes.
const (
	AccessTokenTTL  = 15 * time.Minute
	RefreshTokenTTL = 30 * 24 * time.Hour
)

const (
	issuer   = "renkei"
	audience = "renkei-api"
	// APIKeyPrefix starts every API key secret, so the gateway can tell keys
	// from access tokens without a lookup.
	APIKeyPrefix = "rk_"
	// refreshPrefix starts every refresh token.
	refreshPrefix = "rt_"
)

// Signer issues and verifies access tokens (HS256 only: the algorithm is
// fixed, never taken from the token).
type Signer struct {
	key []byte
}

// NewSigner returns a signer; the key must be at least 32 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("JWT signing key must be at least 32 bytes")
	}
	return &Signer{key: key}, nil
}

type accessClaims struct {
	TenantID    string   `json:"tid"`
	Role        Role     `json:"role"`
	LocationIDs []string `json:"locs,omitempty"`
	SessionID   string   `json:"sid"`
	jwt.RegisteredClaims
}

// Issue returns a signed access token for a user and its expiry.
func (s *Signer) Issue(u User, sessionID string, now time.Time) (string, time.Time, error) {
	exp := now.Add(AccessTokenTTL)
	c := accessClaims{
		TenantID: u.TenantID, Role: u.Role, LocationIDs: u.LocationIDs, SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: u.ID,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return tok, exp, nil
}

// Verify checks an access token and returns its principal.
func (s *Signer) Verify(token string, now time.Time) (Principal, error) {
	var c accessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Principal{}, apperr.New(apperr.Unauthenticated, "access token expired")
		}
		return Principal{}, apperr.New(apperr.Unauthenticated, "invalid access token")
	}
	// Every access token belongs to a session, so that revoking the session
	// stops it.
	if !ids.Valid(ids.Tenant, c.TenantID) || !ids.Valid(ids.User, c.Subject) || !ids.Valid(ids.Session, c.SessionID) || !c.Role.Valid() {
		return Principal{}, apperr.New(apperr.Unauthenticated, "invalid access token")
	}
	return Principal{TenantID: c.TenantID, UserID: c.Subject, Role: c.Role, SessionID: c.SessionID, LocationIDs: c.LocationIDs}, nil
}

// secret returns n random bytes, base64url-encoded.
func secret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret is how high-entropy secrets (refresh tokens, API keys) are
// stored: SHA-256, since they are random 256-bit values, not passwords.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newRefreshToken returns "rt_<sessionId>.<secret>".
func newRefreshToken(sessionID string) (string, error) {
	sec, err := secret(32)
	if err != nil {
		return "", err
	}
	return refreshPrefix + sessionID + "." + sec, nil
}

// parseRefreshToken splits a refresh token into its session id and the
// token's hash.
func parseRefreshToken(tok string) (sessionID, hash string, ok bool) {
	rest, ok := strings.CutPrefix(tok, refreshPrefix)
	if !ok || len(tok) > 200 {
		return "", "", false
	}
	sid, sec, ok := strings.Cut(rest, ".")
	if !ok || !ids.Valid(ids.Session, sid) || len(sec) < 40 {
		return "", "", false
	}
	return sid, HashSecret(tok), true
}

// newAPIKeySecret returns "rk_<secret>".
func newAPIKeySecret() (string, error) {
	sec, err := secret(32)
	if err != nil {
		return "", err
	}
	return APIKeyPrefix + sec, nil
}
