package identity

import (
	"context"
	"time"

	"github.com/renkei-pos/renkei/shared/tenant"
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
	// RegisterID binds the key to a register (a device's credential): its
	// sales default to that register, and it acts only at the register's
	// location. "" for a key of no register.
	RegisterID string
}

// APIKeyInput describes a new API key.
type APIKeyInput struct {
	Name       string
	Scopes     []Scope
	RegisterID string // optional: a register of the tenant, active
}

// RegisterReader reads registers of the tenant in ctx, to bind a key to one.
type RegisterReader interface {
	GetRegisters(ctx context.Context, ids []string) ([]tenant.Register, error)
}

// principal is the caller a key authenticates as. A key bound to a
// register is restricted to the register's location, which its id names
// (no read).
func (k APIKey) principal() Principal {
	p := Principal{TenantID: k.TenantID, APIKeyID: k.ID, Scopes: k.Scopes}
	if loc, _, ok := tenant.ParseRegisterID(k.RegisterID); ok {
		p.RegisterID = k.RegisterID
		p.LocationIDs = []string{loc}
	}
	return p
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
