package identity

import (
	"time"
)

// APIKey lets a partner system call the API with fixed scopes.
type APIKey struct {
	ID         string
	TenantID   string
	Name       string
	Scopes     []Scope
	SecretHash string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// MaxAPIKeys bounds the number of keys one tenant keeps (revoked included).
const MaxAPIKeys = 100

// Session is one refresh-token family: each refresh rotates the token, and
// presenting a token that was already rotated away revokes the family.
type Session struct {
	ID          string
	TenantID    string
	UserID      string
	CurrentHash string
	Revoked     bool
	ExpiresAt   time.Time
}
