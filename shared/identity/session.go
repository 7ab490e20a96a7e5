package identity

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

var errBadRefresh = apperr.New(apperr.BadCredentials, "refresh token is invalid or expired; log in again")

// startSession opens a refresh-token family for u (of the tenant in ctx) and
// issues its first tokens; BAD_CREDENTIALS if u was deactivated meanwhile.
func (s *Service) startSession(ctx context.Context, u User, t tenant.Tenant, now time.Time) (SessionResult, error) {
	sid := ids.NewAt(ids.Session, now)
	refresh, err := newRefreshToken(sid)
	if err != nil {
		return SessionResult{}, err
	}
	sess := Session{ID: sid, TenantID: u.TenantID, UserID: u.ID, CurrentHash: HashSecret(refresh), ExpiresAt: now.Add(RefreshTokenTTL)}
	err = s.Store.CreateSession(ctx, sess)
	if apperr.Is(err, apperr.BadCredentials) {
		return SessionResult{}, badCredentials()
	}
	if err != nil {
		return SessionResult{}, fmt.Errorf("create session: %w", err)
	}
	return s.issue(u, t, sess, refresh, now)
}

func (s *Service) issue(u User, t tenant.Tenant, sess Session, refresh string, now time.Time) (SessionResult, error) {
	access, exp, err := s.Signer.Issue(u, sess.ID, now)
	if err != nil {
		return SessionResult{}, err
	}
	return SessionResult{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, RefreshExpiresAt: sess.ExpiresAt, User: u, Tenant: t}, nil
}

// Refresh exchanges a refresh token for new tokens, rotating the refresh
// token. Presenting a rotated-away token revokes the whole family; a session
// whose access was ended (logOut, deactivateStaff) or whose user was
// deactivated does not come back through its refresh token.
func (s *Service) Refresh(ctx context.Context, token string) (SessionResult, error) {
	now := s.Now().UTC()
	sid, oldHash, ok := parseRefreshToken(token)
	if !ok {
		return SessionResult{}, errBadRefresh
	}
	next, err := newRefreshToken(sid)
	if err != nil {
		return SessionResult{}, err
	}
	sess, err := s.Store.RotateSession(ctx, sid, oldHash, HashSecret(next), now)
	if err != nil {
		if apperr.Is(err, apperr.BadCredentials) {
			s.sessions().forget(sid) // reuse may just have revoked it: read it again
		}
		return SessionResult{}, err
	}
	tctx := tenant.WithID(ctx, sess.TenantID)
	var u User
	var t tenant.Tenant
	var active bool
	err = parallel(
		func() (err error) { u, err = s.Store.GetUser(tctx, sess.UserID); return wrap(err, "get user") },
		func() (err error) { t, err = s.Tenants.GetTenant(tctx); return wrap(err, "get tenant") },
		func() (err error) {
			active, err = s.Store.SessionActive(tctx, sess.UserID, sid)
			return wrap(err, "check session")
		},
	)
	if err != nil {
		return SessionResult{}, err
	}
	if !active || u.DeactivatedAt != nil {
		if err := s.revoke(tctx, sess.UserID, sid, now); err != nil {
			return SessionResult{}, err
		}
		return SessionResult{}, errBadRefresh
	}
	return s.issue(u, t, sess, next, now)
}

// LogOut ends the caller's session: its refresh token stops at once, its
// access tokens at once on this process and within Config.SessionCheckTTL on
// the others. Ending an ended session is harmless.
func (s *Service) LogOut(ctx context.Context) error {
	p, err := Require(ctx, EndSession)
	if err != nil {
		return err
	}
	return s.revoke(ctx, p.UserID, p.SessionID, s.Now().UTC())
}

// revoke ends a session of a user of the tenant in ctx and remembers it here.
func (s *Service) revoke(ctx context.Context, userID, sid string, now time.Time) error {
	if err := s.Store.RevokeSession(ctx, userID, sid); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.sessions().revoked(sid, now)
	return nil
}

// checkSession refuses an access token whose session has ended. Its cost per
// request is one map lookup under a mutex; a session not seen for
// Config.SessionCheckTTL costs one strongly consistent GetItem, shared by
// every request that needs it at that moment.
func (s *Service) checkSession(ctx context.Context, p Principal) error {
	active, err := s.sessions().active(ctx, p.SessionID, s.Now(), func(ctx context.Context) (bool, error) {
		return s.Store.SessionActive(tenant.WithID(ctx, p.TenantID), p.UserID, p.SessionID)
	})
	if err != nil {
		return fmt.Errorf("check session: %w", err)
	}
	if !active {
		return apperr.New(apperr.Unauthenticated, "this session has ended; log in again")
	}
	return nil
}

// parallel runs fns at once and returns the first error (in fns' order).
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// wrap adds what was being done to a storage error.
func wrap(err error, doing string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", doing, err)
}
