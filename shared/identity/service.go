package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Login attempt limits: failed attempts per email and per client address
// within one window. Past either, logIn answers RATE_LIMITED without
// checking the password.
const (
	LoginWindow          = 15 * time.Minute
	MaxFailuresPerEmail  = 10
	MaxFailuresPerClient = 100
)

// Service is the identity use cases.
type Service struct {
	Store     Store
	Tenants   TenantReader
	Locations LocationChecker
	Signer    *Signer
	Now       func() time.Time
}

// SignUpInput is what a merchant gives to open an account.
type SignUpInput struct {
	BusinessName, Email, Password, OwnerName, Currency, Timezone string
}

// SessionResult is a signed-in user's tokens and identity.
type SessionResult struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	User         User
	Tenant       tenant.Tenant
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
	return s.startSession(ctx, u, t, now)
}

// LogIn checks an email and password. Every failure is BAD_CREDENTIALS,
// whichever part was wrong, and takes the same time.
func (s *Service) LogIn(ctx context.Context, email, password, clientAddr string) (SessionResult, error) {
	now := s.Now().UTC()
	email = NormalizeEmail(email)
	keys := []string{"email#" + email}
	if clientAddr != "" {
		keys = append(keys, "client#"+clientAddr)
	}
	if len(email) > 254 || len(password) > MaxPasswordLen {
		return SessionResult{}, badCredentials()
	}
	failures, err := s.Store.LoginFailures(ctx, keys, LoginWindow, now)
	if err != nil {
		return SessionResult{}, fmt.Errorf("read login failures: %w", err)
	}
	if failures[keys[0]] >= MaxFailuresPerEmail || (len(keys) > 1 && failures[keys[1]] >= MaxFailuresPerClient) {
		return SessionResult{}, apperr.New(apperr.RateLimited, "too many failed attempts; try again later")
	}
	login, err := s.Store.GetLogin(ctx, email)
	hash := dummyHash
	if err == nil {
		hash = login.PasswordHash
	} else if !apperr.Is(err, apperr.NotFound) {
		return SessionResult{}, fmt.Errorf("get login: %w", err)
	}
	if !VerifyPassword(hash, password) || err != nil {
		if rerr := s.Store.RecordLoginFailure(ctx, keys, LoginWindow, now); rerr != nil {
			return SessionResult{}, fmt.Errorf("record login failure: %w", rerr)
		}
		return SessionResult{}, badCredentials()
	}
	tctx := tenant.WithID(ctx, login.TenantID)
	u, err := s.Store.GetUser(tctx, login.UserID)
	if err != nil {
		return SessionResult{}, fmt.Errorf("get user: %w", err)
	}
	t, err := s.Tenants.GetTenant(tctx)
	if err != nil {
		return SessionResult{}, fmt.Errorf("get tenant: %w", err)
	}
	return s.startSession(ctx, u, t, now)
}

func badCredentials() error {
	return apperr.New(apperr.BadCredentials, "email or password is incorrect")
}

func (s *Service) startSession(ctx context.Context, u User, t tenant.Tenant, now time.Time) (SessionResult, error) {
	sid := ids.NewAt(ids.Session, now)
	refresh, err := newRefreshToken(sid)
	if err != nil {
		return SessionResult{}, err
	}
	if err := s.Store.CreateSession(ctx, Session{ID: sid, TenantID: u.TenantID, UserID: u.ID, CurrentHash: HashSecret(refresh), ExpiresAt: now.Add(RefreshTokenTTL)}); err != nil {
		return SessionResult{}, fmt.Errorf("create session: %w", err)
	}
	return s.issue(u, t, sid, refresh, now)
}

func (s *Service) issue(u User, t tenant.Tenant, sid, refresh string, now time.Time) (SessionResult, error) {
	access, exp, err := s.Signer.Issue(u, sid, now)
	if err != nil {
		return SessionResult{}, err
	}
	return SessionResult{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, User: u, Tenant: t}, nil
}

// Refresh exchanges a refresh token for new tokens, rotating the refresh
// token. Presenting a rotated-away token revokes the whole family.
func (s *Service) Refresh(ctx context.Context, token string) (SessionResult, error) {
	now := s.Now().UTC()
	sid, oldHash, ok := parseRefreshToken(token)
	if !ok {
		return SessionResult{}, apperr.New(apperr.BadCredentials, "refresh token is invalid or expired; log in again")
	}
	next, err := newRefreshToken(sid)
	if err != nil {
		return SessionResult{}, err
	}
	sess, err := s.Store.RotateSession(ctx, sid, oldHash, HashSecret(next), now)
	if err != nil {
		return SessionResult{}, err
	}
	tctx := tenant.WithID(ctx, sess.TenantID)
	u, err := s.Store.GetUser(tctx, sess.UserID)
	if err != nil {
		return SessionResult{}, fmt.Errorf("get user: %w", err)
	}
	t, err := s.Tenants.GetTenant(tctx)
	if err != nil {
		return SessionResult{}, fmt.Errorf("get tenant: %w", err)
	}
	return s.issue(u, t, sid, next, now)
}

// Authenticate turns a bearer credential into a principal.
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
		return Principal{TenantID: k.TenantID, APIKeyID: k.ID, Scopes: k.Scopes}, nil
	}
	return s.Signer.Verify(bearer, s.Now())
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
func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes []Scope) (APIKey, string, error) {
	p, err := Require(ctx, ManageAPIKeys)
	if err != nil {
		return APIKey{}, "", err
	}
	name = strings.TrimSpace(name)
	var errs apperr.List
	validatePersonName(&errs, name, "name") // the one rule for names
	if len(scopes) == 0 {
		errs.Add(apperr.Invalid, "at least one scope is required", "input", "scopes")
	}
	for _, sc := range scopes {
		if !sc.Valid() {
			errs.Add(apperr.Invalid, "unknown scope", "input", "scopes")
			break
		}
	}
	if err := errs.Err(); err != nil {
		return APIKey{}, "", err
	}
	sec, err := newAPIKeySecret()
	if err != nil {
		return APIKey{}, "", err
	}
	now := s.Now().UTC()
	k := APIKey{ID: ids.NewAt(ids.APIKey, now), TenantID: p.TenantID, Name: name, Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))), SecretHash: HashSecret(sec), CreatedAt: now}
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, sec, nil
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
