package identity

import (
	"context"
	"time"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// Store persists identities. Methods marked platform-level run before a
// tenant is known; all others act on the tenant in ctx.
type Store interface {
	// CreateTenant writes a new tenant, its owner and the owner's login
	// together; TAKEN when the email is already registered. Platform-level.
	CreateTenant(ctx context.Context, t tenant.Tenant, owner User, login Login) error
	// GetLogin finds a login by normalized email; NOT_FOUND if none. Platform-level.
	GetLogin(ctx context.Context, email string) (Login, error)
	// LookupAPIKey finds a key by the hash of its secret; NOT_FOUND if none. Platform-level.
	LookupAPIKey(ctx context.Context, secretHash string) (APIKey, error)
	// CreateSession stores a new refresh-token family. Platform-level.
	CreateSession(ctx context.Context, s Session) error
	// RotateSession replaces the family's current token hash if oldHash is
	// current, the family is not revoked and not expired. A token that was
	// current before revokes the family. Either failure is BAD_CREDENTIALS.
	// Platform-level.
	RotateSession(ctx context.Context, sessionID, oldHash, newHash string, now time.Time) (Session, error)
	// LoginFailures returns the failed-attempt count in the current window for each key. Platform-level.
	LoginFailures(ctx context.Context, keys []string, window time.Duration, now time.Time) (map[string]int, error)
	// RecordLoginFailure counts one failed attempt against each key. Platform-level.
	RecordLoginFailure(ctx context.Context, keys []string, window time.Duration, now time.Time) error

	GetUser(ctx context.Context, id string) (User, error)
	// CreateUser writes a staff member and their login; TAKEN when the email is registered.
	CreateUser(ctx context.Context, u User, login Login) error
	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// RevokeAPIKey marks a key revoked (idempotently) and returns it.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) (APIKey, error)
}

// LocationChecker confirms that location ids belong to the tenant in ctx.
type LocationChecker interface {
	GetLocations(ctx context.Context, ids []string) ([]tenant.Location, error)
}

// TenantReader reads the tenant in ctx.
type TenantReader interface {
	GetTenant(ctx context.Context) (tenant.Tenant, error)
}
