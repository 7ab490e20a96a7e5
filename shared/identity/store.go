package identity

import (
	"context"
	"time"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// Store persists identities. Methods marked platform-level run before a
// tenant is known; all others act on the tenant in ctx.
type Store interface {
	Lister // lists.go

	// CreateTenant writes a new tenant, its owner and the owner's login
	// together; TAKEN when the email is already registered. Platform-level.
	CreateTenant(ctx context.Context, t tenant.Tenant, owner User, login Login) error
	// GetLogin finds a login by normalized email; NOT_FOUND if none. Platform-level.
	GetLogin(ctx context.Context, email string) (Login, error)
	// LookupAPIKey finds a key by the hash of its secret; NOT_FOUND if none. Platform-level.
	LookupAPIKey(ctx context.Context, secretHash string) (APIKey, error)
	// RotateSession replaces the family's current token hash if oldHash is
	// current, the family is not revoked and not expired. A token that was
	// current before revokes the family (as RevokeSession). Either failure
	// is BAD_CREDENTIALS. Platform-level.
	RotateSession(ctx context.Context, sessionID, oldHash, newHash string, now time.Time) (Session, error)
	// RevokeSessionByToken ends the session (refresh and access, as
	// RevokeSession) whose family issued the token hashed tokenHash, current
	// or rotated away, and returns it; NOT_FOUND if no family issued it.
	// Platform-level.
	RevokeSessionByToken(ctx context.Context, sessionID, tokenHash string) (Session, error)
	// CountLoginAttempt counts one log-in attempt, atomically and before its
	// password is checked, against the client address, the (address, email)
	// pair and the email, as p says; when any limit is reached it counts
	// nothing and returns a *LoginLimited. Platform-level.
	CountLoginAttempt(ctx context.Context, a LoginAttempt, p LoginPolicy) error
	// LoginSucceeded resets the pair's count of a counted attempt and takes
	// the attempt back from the address's count. Platform-level.
	LoginSucceeded(ctx context.Context, a LoginAttempt, p LoginPolicy) error

	// CreateSession stores a new refresh-token family and enters it in its
	// user's sessions, provided the user is active; BAD_CREDENTIALS if not.
	CreateSession(ctx context.Context, s Session) error
	// SessionActive reports whether a user's session still stands (created,
	// not revoked): one strongly consistent read.
	SessionActive(ctx context.Context, userID, sessionID string) (bool, error)
	// RevokeSession ends a user's session: its refresh token and its access
	// tokens. Idempotent.
	RevokeSession(ctx context.Context, userID, sessionID string) error
	// RevokeUserSessions ends every session of a user and returns their ids.
	// Idempotent. Sessions started before DeactivateUser returned are all
	// found (the list is read strongly consistently).
	RevokeUserSessions(ctx context.Context, userID string) ([]string, error)

	GetUser(ctx context.Context, id string) (User, error)
	// CreateUser writes a staff member and their login; TAKEN when the email is registered.
	CreateUser(ctx context.Context, u User, login Login) error
	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// DeactivateUser marks u deactivated at `at`, provided u's role is still
	// u.Role (CONFLICT if not, NOT_FOUND if u is gone) and the actor, a user
	// of the same tenant, is still active (UNAUTHENTICATED if not).
	DeactivateUser(ctx context.Context, u User, actorID string, at time.Time) (User, error)
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
