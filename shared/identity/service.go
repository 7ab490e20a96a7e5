package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Service is the identity use cases.
type Service struct {
	Store     Store
	Tenants   TenantReader
	Locations LocationChecker
	Registers RegisterReader
	Signer    *Signer
	Now       func() time.Time
	// Config tunes the log-in policy and the session check; its zero value
	// is production's.
	Config Config

	cacheOnce sync.Once
	cache     *sessionCache
}

// Config tunes the identity service. Zero fields take production defaults.
type Config struct {
	// Login is the log-in attempt policy (DefaultLoginPolicy).
	Login LoginPolicy
	// SessionCheckTTL is how long a process trusts that a session it read
	// was still active: the longest an access token outlives the revocation
	// of its session made by another process (DefaultSessionCheckTTL).
	SessionCheckTTL time.Duration
	// SessionCacheSize bounds the sessions one process remembers
	// (DefaultSessionCacheSize).
	SessionCacheSize int
}

// sessions is the process's session cache.
func (s *Service) sessions() *sessionCache {
	s.cacheOnce.Do(func() { s.cache = newSessionCache(s.Config.SessionCheckTTL, s.Config.SessionCacheSize) })
	return s.cache
}

// SignUpInput is what a merchant gives to open an account.
type SignUpInput struct {
	BusinessName, Email, Password, OwnerName, Currency, Timezone string
}

// SessionResult is a signed-in user's tokens and identity.
type SessionResult struct {
	AccessToken  string
	RefreshToken string
	// ExpiresAt is the access token's expiry; RefreshExpiresAt the refresh
	// token's (its session's: rotation does not extend it).
	ExpiresAt        time.Time
	RefreshExpiresAt time.Time
	User             User
	Tenant           tenant.Tenant
}

// SignUp creates a tenant and its OWNER and signs the owner in.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (SessionResult, error) {
	now := s.Now().UTC()
	email := NormalizeEmail(in.Email)
	var errs apperr.List
	t, err := tenant.New(ids.NewAt(ids.Tenant, now), in.BusinessName, in.Currency, in.Timezone, now)
	if l, ok := apperr.Expected(err); ok {
		errs = append(errs, l...)
	}
	validateEmail(&errs, email)
	validatePassword(&errs, in.Password)
	owner := strings.TrimSpace(in.OwnerName)
	validatePersonName(&errs, owner, "ownerName")
	if err := errs.Err(); err != nil {
		return SessionResult{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return SessionResult{}, err
	}
	u := User{ID: ids.NewAt(ids.User, now), TenantID: t.ID, Email: email, Name: owner, Role: Owner, CreatedAt: now}
	if err := s.Store.CreateTenant(ctx, t, u, Login{Email: email, TenantID: t.ID, UserID: u.ID, PasswordHash: hash}); err != nil {
		return SessionResult{}, err
	}
	return s.startSession(tenant.WithID(ctx, t.ID), u, t, now)
}

// LogIn checks an email and password. The attempt is counted against the
// log-in policy before the password is looked at; past a limit it is
// refused with a *LoginLimited (RATE_LIMITED) that says when to retry. Every
// other failure is BAD_CREDENTIALS, whichever part was wrong (or when the
// user is deactivated), and costs the same: an unknown email is counted and
// hashed like a known one.
func (s *Service) LogIn(ctx context.Context, email, password, clientAddr string) (SessionResult, error) {
	now := s.Now().UTC()
	email = NormalizeEmail(email)
	if len(email) > 254 || len(password) > MaxPasswordLen {
		return SessionResult{}, badCredentials()
	}
	policy := s.Config.Login.withDefaults()
	attempt := LoginAttempt{Email: email, ClientAddr: ClientBucket(clientAddr), At: now}
	var login Login
	var lerr error
	err := parallel(
		func() error {
			if err := s.Store.CountLoginAttempt(ctx, attempt, policy); err != nil {
				if apperr.Is(err, apperr.Unavailable) {
					// Counters contended this hard are many attempts at once.
					return NewLoginLimited(policy.EmailDelayBase)
				}
				return err
			}
			return nil
		},
		// The login is read meanwhile; nothing about it is used unless the
		// attempt was allowed.
		func() error { login, lerr = s.Store.GetLogin(ctx, email); return nil },
	)
	if err != nil {
		return SessionResult{}, err
	}
	hash := dummyHash
	if lerr == nil {
		hash = login.PasswordHash
	} else if !apperr.Is(lerr, apperr.NotFound) {
		return SessionResult{}, fmt.Errorf("get login: %w", lerr)
	}
	if !VerifyPassword(hash, password) || lerr != nil {
		return SessionResult{}, badCredentials()
	}
	tctx := tenant.WithID(ctx, login.TenantID)
	var u User
	var t tenant.Tenant
	err = parallel(
		func() (err error) { u, err = s.Store.GetUser(tctx, login.UserID); return wrap(err, "get user") },
		func() (err error) { t, err = s.Tenants.GetTenant(tctx); return wrap(err, "get tenant") },
	)
	if err != nil {
		return SessionResult{}, err
	}
	if u.DeactivatedAt != nil {
		return SessionResult{}, badCredentials() // and the attempt stays counted as a failure
	}
	if err := s.Store.LoginSucceeded(ctx, attempt, policy); err != nil {
		return SessionResult{}, fmt.Errorf("reset log-in counters: %w", err)
	}
	return s.startSession(tctx, u, t, now)
}

func badCredentials() error {
	return apperr.New(apperr.BadCredentials, "email or password is incorrect")
}

// Authenticate turns a bearer credential into a principal. An access token
// is refused once its session was revoked (logOut, refresh-token reuse,
// deactivateStaff): at once when this process revoked it, otherwise within
// Config.SessionCheckTTL (see checkSession).
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	if strings.HasPrefix(bearer, APIKeyPrefix) {
		if len(bearer) > 100 {
			return Principal{}, apperr.New(apperr.Unauthenticated, "invalid API key")
		}
		k, err := s.Store.LookupAPIKey(ctx, HashSecret(bearer))
		if apperr.Is(err, apperr.NotFound) {
			return Principal{}, apperr.New(apperr.Unauthenticated, "invalid API key")
		}
		if err != nil {
			return Principal{}, fmt.Errorf("look up API key: %w", err)
		}
		if k.RevokedAt != nil {
			return Principal{}, apperr.New(apperr.Unauthenticated, "API key revoked")
		}
		return k.principal(), nil
	}
	p, err := s.Signer.Verify(bearer, s.Now())
	if err != nil {
		return Principal{}, err
	}
	if err := s.checkSession(ctx, p); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// Viewer is the caller as shown by `me`.
type Viewer struct {
	User   *User
	APIKey *APIKey
	Tenant tenant.Tenant
}

// Me returns the caller. The tenant and the user (or key) are read in
// parallel: one round trip of latency.
func (s *Service) Me(ctx context.Context) (Viewer, error) {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return Viewer{}, err
	}
	var v Viewer
	var terr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Tenant, terr = s.Tenants.GetTenant(ctx)
	}()
	if p.IsAPIKey() {
		var k APIKey
		if k, err = s.Store.GetAPIKey(ctx, p.APIKeyID); err == nil {
			v.APIKey = &k
		}
	} else {
		var u User
		if u, err = s.Store.GetUser(ctx, p.UserID); err == nil {
			v.User = &u
		}
	}
	<-done
	if terr != nil {
		return Viewer{}, fmt.Errorf("get tenant: %w", terr)
	}
	if err != nil {
		return Viewer{}, fmt.Errorf("get caller: %w", err)
	}
	return v, nil
}

// StaffInput describes a new staff member.
type StaffInput struct {
	Email, Name, Password string
	Role                  Role
	LocationIDs           []string
}

// CreateStaff adds a user to the tenant in ctx.
func (s *Service) CreateStaff(ctx context.Context, in StaffInput) (User, error) {
	p, err := Require(ctx, ManageStaff)
	if err != nil {
		return User{}, err
	}
	now := s.Now().UTC()
	email := NormalizeEmail(in.Email)
	name := strings.TrimSpace(in.Name)
	var errs apperr.List
	validateEmail(&errs, email)
	validatePassword(&errs, in.Password)
	validatePersonName(&errs, name, "name")
	if !in.Role.Valid() {
		errs.Add(apperr.Invalid, "role must be OWNER, MANAGER or CASHIER", "input", "role")
	}
	locs := slices.Compact(slices.Sorted(slices.Values(in.LocationIDs)))
	if len(locs) > tenant.MaxLocations {
		errs.Add(apperr.Invalid, "too many locationIds", "input", "locationIds")
	}
	if err := errs.Err(); err != nil {
		return User{}, err
	}
	if err := s.checkLocations(ctx, locs); err != nil {
		return User{}, err
	}
	if err := checkRoom(ctx, s.Store.CountUsers, MaxStaff, "staff members"); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: ids.NewAt(ids.User, now), TenantID: p.TenantID, Email: email, Name: name, Role: in.Role, LocationIDs: locs, CreatedAt: now}
	if err := s.Store.CreateUser(ctx, u, Login{Email: email, TenantID: p.TenantID, UserID: u.ID, PasswordHash: hash}); err != nil {
		return User{}, err
	}
	return u, nil
}

func (s *Service) checkLocations(ctx context.Context, locs []string) error {
	if len(locs) == 0 {
		return nil
	}
	for _, id := range locs {
		if !ids.Valid(ids.Location, id) {
			return apperr.Newf(apperr.NotFound, []string{"input", "locationIds"}, "location %q not found", truncate(id))
		}
	}
	found, err := s.Locations.GetLocations(ctx, locs)
	if err != nil {
		return fmt.Errorf("get locations: %w", err)
	}
	for _, id := range locs {
		if !slices.ContainsFunc(found, func(l tenant.Location) bool { return l.ID == id }) {
			return apperr.Newf(apperr.NotFound, []string{"input", "locationIds"}, "location %q not found", id)
		}
	}
	return nil
}

// truncate keeps echoed client input short.
func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}

// CreateAPIKey issues a key; the secret is returned once and stored hashed.
// A key bound to a register needs an active register of the tenant (at the
// caller's locations, when it is restricted to some).
func (s *Service) CreateAPIKey(ctx context.Context, in APIKeyInput) (APIKey, string, error) {
	p, err := Require(ctx, ManageAPIKeys)
	if err != nil {
		return APIKey{}, "", err
	}
	name := strings.TrimSpace(in.Name)
	var errs apperr.List
	validatePersonName(&errs, name, "name") // the one rule for names
	if len(in.Scopes) == 0 {
		errs.Add(apperr.Invalid, "at least one scope is required", "input", "scopes")
	}
	for _, sc := range in.Scopes {
		if !sc.Valid() {
			errs.Add(apperr.Invalid, "unknown scope", "input", "scopes")
			break
		}
	}
	if err := errs.Err(); err != nil {
		return APIKey{}, "", err
	}
	if err := s.checkRegister(ctx, p, in.RegisterID); err != nil {
		return APIKey{}, "", err
	}
	if err := checkRoom(ctx, s.Store.CountAPIKeys, MaxAPIKeys, "API keys"); err != nil {
		return APIKey{}, "", err
	}
	sec, err := newAPIKeySecret()
	if err != nil {
		return APIKey{}, "", err
	}
	now := s.Now().UTC()
	k := APIKey{ID: ids.NewAt(ids.APIKey, now), TenantID: p.TenantID, Name: name, Scopes: slices.Compact(slices.Sorted(slices.Values(in.Scopes))), SecretHash: HashSecret(sec), CreatedAt: now, RegisterID: in.RegisterID}
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, sec, nil
}

// checkRegister confirms that a key may be bound to registerID ("" binds
// it to none): an active POS register of the tenant, at a location p may use.
func (s *Service) checkRegister(ctx context.Context, p Principal, registerID string) error {
	if registerID == "" {
		return nil
	}
	notFound := apperr.Newf(apperr.NotFound, []string{"input", "registerId"}, "register %q not found", truncate(registerID))
	loc, _, ok := tenant.ParseRegisterID(registerID)
	if !ok {
		return notFound
	}
	if !p.CanUseLocation(loc) {
		return apperr.New(apperr.Forbidden, "you may not work at this register's location", "input", "registerId")
	}
	if s.Registers == nil {
		return errors.New("identity service without a register reader")
	}
	rs, err := s.Registers.GetRegisters(ctx, []string{registerID})
	if err != nil {
		return fmt.Errorf("get register: %w", err)
	}
	if len(rs) == 0 {
		return notFound
	}
	if rs[0].Kind == tenant.RegisterIntegration {
		return apperr.New(apperr.Invalid, "an API key may not be bound to the integration register", "input", "registerId")
	}
	if !rs[0].Active {
		return apperr.New(apperr.Invalid, "the register is deactivated", "input", "registerId")
	}
	return nil
}

// RevokeAPIKey revokes a key of the tenant in ctx; revoking twice is harmless.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) (APIKey, error) {
	if _, err := Require(ctx, ManageAPIKeys); err != nil {
		return APIKey{}, err
	}
	if !ids.Valid(ids.APIKey, id) {
		return APIKey{}, apperr.New(apperr.NotFound, "API key not found", "input", "id")
	}
	k, err := s.Store.RevokeAPIKey(ctx, id, s.Now().UTC())
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code == apperr.NotFound {
			return APIKey{}, apperr.New(apperr.NotFound, "API key not found", "input", "id")
		}
		return APIKey{}, err
	}
	return k, nil
}
