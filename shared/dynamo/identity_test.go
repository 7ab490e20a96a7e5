package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

func newTenant(tb testing.TB, st *IdentityStore, email string) (context.Context, tenant.Tenant, identity.User) {
	tb.Helper()
	now := time.Now().UTC()
	tn, err := tenant.New(ids.New(ids.Tenant), "Shop", "", "", now)
	if err != nil {
		tb.Fatal(err)
	}
	u := identity.User{ID: ids.New(ids.User), TenantID: tn.ID, Email: email, Name: "Owner", Role: identity.Owner, CreatedAt: now}
	if err := st.CreateTenant(tb.Context(), tn, u, identity.Login{Email: email, TenantID: tn.ID, UserID: u.ID, PasswordHash: "h"}); err != nil {
		tb.Fatal(err)
	}
	return tenant.WithID(tb.Context(), tn.ID), tn, u
}

func TestIdentityStore_CreateTenant(t *testing.T) {
	tb := mustTable(t)
	st := NewIdentityStore(tb)
	ctx, tn, u := newTenant(t, st, "a@example.com")

	t.Run("reads back tenant, user and login", func(t *testing.T) {
		got, err := NewTenantStore(tb).GetTenant(ctx)
		if err != nil || got.ID != tn.ID || got.BusinessName != "Shop" || got.Currency != "JPY" {
			t.Fatalf("GetTenant = %+v, %v", got, err)
		}
		gu, err := st.GetUser(ctx, u.ID)
		if err != nil || gu.Email != "a@example.com" || gu.Role != identity.Owner {
			t.Fatalf("GetUser = %+v, %v", gu, err)
		}
		l, err := st.GetLogin(t.Context(), "a@example.com")
		if err != nil || l.UserID != u.ID || l.TenantID != tn.ID {
			t.Fatalf("GetLogin = %+v, %v", l, err)
		}
	})
	t.Run("email taken writes nothing", func(t *testing.T) {
		tn2, _ := tenant.New(ids.New(ids.Tenant), "Other", "", "", time.Now())
		u2 := identity.User{ID: ids.New(ids.User), TenantID: tn2.ID, Email: "a@example.com", Role: identity.Owner}
		err := st.CreateTenant(t.Context(), tn2, u2, identity.Login{Email: "a@example.com", TenantID: tn2.ID, UserID: u2.ID})
		if apperr.CodeOf(err) != apperr.Taken {
			t.Fatalf("err = %v, want TAKEN", err)
		}
		if _, err := NewTenantStore(tb).GetTenant(tenant.WithID(t.Context(), tn2.ID)); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("tenant of failed sign-up exists: %v", err)
		}
	})
	t.Run("another tenant's user is not found", func(t *testing.T) {
		other := tenantCtx(t)
		if _, err := st.GetUser(other, u.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("cross-tenant GetUser err = %v", err)
		}
	})
	t.Run("no tenant in context touches nothing", func(t *testing.T) {
		if _, err := st.GetUser(context.Background(), u.ID); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIdentityStore_APIKeys(t *testing.T) {
	tb := mustTable(t)
	st := NewIdentityStore(tb)
	ctx, tn, _ := newTenant(t, st, "k@example.com")
	k := identity.APIKey{ID: ids.New(ids.APIKey), TenantID: tn.ID, Name: "erp", Scopes: []identity.Scope{identity.ScopeOrdersRead}, SecretHash: identity.HashSecret("rk_x"), CreatedAt: time.Now()}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := st.LookupAPIKey(t.Context(), k.SecretHash)
	if err != nil || got.ID != k.ID || got.TenantID != tn.ID || len(got.Scopes) != 1 || got.RevokedAt != nil {
		t.Fatalf("LookupAPIKey = %+v, %v", got, err)
	}
	if _, err := st.RevokeAPIKey(tenantCtx(t), k.ID, time.Now()); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("cross-tenant revoke err = %v", err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := st.RevokeAPIKey(ctx, k.ID, at); err != nil {
		t.Fatal(err)
	}
	got, _ = st.LookupAPIKey(t.Context(), k.SecretHash)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
		t.Fatalf("lookup item not revoked: %+v", got)
	}
	again, err := st.RevokeAPIKey(ctx, k.ID, at.Add(time.Hour))
	if err != nil || !again.RevokedAt.Equal(at) {
		t.Fatalf("second revoke changed revokedAt: %+v %v", again, err)
	}
}

// newSession starts a session of u (of the tenant in ctx) whose current refresh-token hash is hash.
func newSession(tb testing.TB, st *IdentityStore, ctx context.Context, u identity.User, hash string, expires time.Time) identity.Session {
	tb.Helper()
	sess := identity.Session{ID: ids.New(ids.Session), TenantID: u.TenantID, UserID: u.ID, CurrentHash: hash, ExpiresAt: expires}
	if err := st.CreateSession(ctx, sess); err != nil {
		tb.Fatal(err)
	}
	return sess
}

func TestIdentityStore_RotateSession(t *testing.T) {
	st := NewIdentityStore(mustTable(t))
	ctx, _, u := newTenant(t, st, "rotate@example.com")
	now := time.Now()
	sess := newSession(t, st, ctx, u, "h1", now.Add(time.Hour))
	if _, err := st.RotateSession(t.Context(), sess.ID, "h1", "h2", now); err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	if _, err := st.RotateSession(t.Context(), sess.ID, "garbage", "h3", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("unknown hash err = %v", err)
	}
	// h2 is still current: garbage must not have revoked the family.
	if _, err := st.RotateSession(t.Context(), sess.ID, "h2", "h3", now); err != nil {
		t.Fatalf("rotation after garbage: %v", err)
	}
	if active, err := st.SessionActive(ctx, u.ID, sess.ID); err != nil || !active {
		t.Fatalf("SessionActive before reuse = %v, %v", active, err)
	}
	// Reuse of h1 (rotated away) revokes the family: h3 stops working too,
	// and so do the session's access tokens.
	if _, err := st.RotateSession(t.Context(), sess.ID, "h1", "h4", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("reuse err = %v", err)
	}
	if _, err := st.RotateSession(t.Context(), sess.ID, "h3", "h5", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("family not revoked after reuse: %v", err)
	}
	if active, err := st.SessionActive(ctx, u.ID, sess.ID); err != nil || active {
		t.Fatalf("SessionActive after reuse = %v, %v", active, err)
	}
	t.Run("expired", func(t *testing.T) {
		s2 := newSession(t, st, ctx, u, "x", now.Add(-time.Second))
		if _, err := st.RotateSession(t.Context(), s2.ID, "x", "y", now); apperr.CodeOf(err) != apperr.BadCredentials {
			t.Fatalf("expired rotation err = %v", err)
		}
	})
}

func TestIdentityStore_RevokeSession(t *testing.T) {
	st := NewIdentityStore(mustTable(t))
	ctx, _, u := newTenant(t, st, "logout@example.com")
	now := time.Now()
	sess := newSession(t, st, ctx, u, "h1", now.Add(time.Hour))
	other := newSession(t, st, ctx, u, "o1", now.Add(time.Hour))
	for i := 0; i < 2; i++ { // idempotent
		if err := st.RevokeSession(ctx, u.ID, sess.ID); err != nil {
			t.Fatalf("revoke #%d: %v", i+1, err)
		}
	}
	if active, err := st.SessionActive(ctx, u.ID, sess.ID); err != nil || active {
		t.Fatalf("revoked session active = %v, %v", active, err)
	}
	if _, err := st.RotateSession(t.Context(), sess.ID, "h1", "h2", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("refresh of a revoked session err = %v", err)
	}
	if active, err := st.SessionActive(ctx, u.ID, other.ID); err != nil || !active {
		t.Fatalf("the user's other session was touched: %v, %v", active, err)
	}
	t.Run("another tenant cannot see or end it", func(t *testing.T) {
		octx := tenantCtx(t)
		if active, err := st.SessionActive(octx, u.ID, other.ID); err != nil || active {
			t.Fatalf("cross-tenant SessionActive = %v, %v", active, err)
		}
		if err := st.RevokeSession(octx, u.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if active, _ := st.SessionActive(ctx, u.ID, other.ID); !active {
			t.Fatal("another tenant ended the session")
		}
	})
	t.Run("no tenant in context", func(t *testing.T) {
		if _, err := st.SessionActive(context.Background(), u.ID, other.ID); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIdentityStore_DeactivateUser(t *testing.T) {
	st := NewIdentityStore(mustTable(t))
	ctx, tn, owner := newTenant(t, st, "deact-owner@example.com")
	now := time.Now().UTC().Truncate(time.Millisecond)
	staff := func(email string, role identity.Role) identity.User {
		u := identity.User{ID: ids.New(ids.User), TenantID: tn.ID, Email: email, Name: "Staff", Role: role, CreatedAt: now}
		if err := st.CreateUser(ctx, u, identity.Login{Email: email, TenantID: tn.ID, UserID: u.ID, PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
		return u
	}
	cashier := staff("deact-cashier@example.com", identity.Cashier)
	s1 := newSession(t, st, ctx, cashier, "a", now.Add(time.Hour))
	s2 := newSession(t, st, ctx, cashier, "b", now.Add(time.Hour))

	t.Run("role changed meanwhile", func(t *testing.T) {
		stale := cashier
		stale.Role = identity.Manager
		if _, err := st.DeactivateUser(ctx, stale, owner.ID, now); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("err = %v, want CONFLICT", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		ghost := identity.User{ID: ids.New(ids.User), Role: identity.Cashier}
		if _, err := st.DeactivateUser(ctx, ghost, owner.ID, now); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("err = %v, want NOT_FOUND", err)
		}
		if _, err := st.GetUser(ctx, ghost.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("a refused deactivation wrote the user: %v", err)
		}
	})
	got, err := st.DeactivateUser(ctx, cashier, owner.ID, now)
	if err != nil || got.DeactivatedAt == nil || !got.DeactivatedAt.Equal(now) {
		t.Fatalf("DeactivateUser = %+v, %v", got, err)
	}
	if u, _ := st.GetUser(ctx, cashier.ID); u.DeactivatedAt == nil || !u.DeactivatedAt.Equal(now) {
		t.Fatalf("stored user = %+v", u)
	}
	// No session starts after the deactivation, so none escapes the revocation.
	late := identity.Session{ID: ids.New(ids.Session), TenantID: tn.ID, UserID: cashier.ID, CurrentHash: "c", ExpiresAt: now.Add(time.Hour)}
	if err := st.CreateSession(ctx, late); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("session of a deactivated user: %v", err)
	}
	sids, err := st.RevokeUserSessions(ctx, cashier.ID)
	if err != nil || len(sids) != 2 || !slices.Contains(sids, s1.ID) || !slices.Contains(sids, s2.ID) {
		t.Fatalf("RevokeUserSessions = %v, %v", sids, err)
	}
	for _, sid := range sids {
		if active, _ := st.SessionActive(ctx, cashier.ID, sid); active {
			t.Fatalf("session %s still active", sid)
		}
	}
	if _, err := st.RotateSession(t.Context(), s1.ID, "a", "a2", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("refresh after deactivation: %v", err)
	}
	if again, err := st.RevokeUserSessions(ctx, cashier.ID); err != nil || len(again) != 0 {
		t.Fatalf("second revocation = %v, %v", again, err)
	}
	t.Run("a deactivated actor cannot deactivate", func(t *testing.T) {
		manager := staff("deact-manager@example.com", identity.Manager)
		if _, err := st.DeactivateUser(ctx, owner, cashier.ID, now); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("err = %v, want UNAUTHENTICATED", err)
		}
		if u, _ := st.GetUser(ctx, owner.ID); u.DeactivatedAt != nil {
			t.Fatal("owner deactivated by a deactivated actor")
		}
		if _, err := st.DeactivateUser(ctx, manager, owner.ID, now); err != nil {
			t.Fatal(err)
		}
	})
}

// attempts counts n attempts at one time and returns how many were allowed.
func attempts(tb testing.TB, st *IdentityStore, p identity.LoginPolicy, a identity.LoginAttempt, count int) int {
	tb.Helper()
	allowed := 0
	for i := 0; i < count; i++ {
		err := st.CountLoginAttempt(tb.Context(), a, p)
		var ll *identity.LoginLimited
		switch {
		case err == nil:
			allowed++
		case errors.As(err, &ll):
		default:
			tb.Fatal(err)
		}
	}
	return allowed
}

func TestIdentityStore_CountLoginAttempt(t *testing.T) {
	st := NewIdentityStore(mustTable(t))
	t0 := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	roomy := identity.LoginPolicy{Window: 15 * time.Minute, MaxPerPair: 3, MaxPerClient: 1000, FreePerEmail: 1000, EmailDelayBase: time.Second, EmailDelayCap: 4 * time.Second}

	t.Run("pair limit, then another address", func(t *testing.T) {
		a := identity.LoginAttempt{Email: "pair@example.com", ClientAddr: "192.0.2.1", At: t0}
		if got := attempts(t, st, roomy, a, 5); got != 3 {
			t.Fatalf("allowed %d of 5, want 3", got)
		}
		err := st.CountLoginAttempt(t.Context(), a, roomy)
		var ll *identity.LoginLimited
		if !errors.As(err, &ll) || apperr.CodeOf(err) != apperr.RateLimited || ll.RetryAfter != 15*time.Minute {
			t.Fatalf("err = %v (%+v), want RATE_LIMITED for the rest of the window", err, ll)
		}
		b := a
		b.ClientAddr = "192.0.2.2"
		if got := attempts(t, st, roomy, b, 1); got != 1 {
			t.Fatal("another address was refused for the same email")
		}
		next := a
		next.At = t0.Add(15 * time.Minute)
		if got := attempts(t, st, roomy, next, 1); got != 1 {
			t.Fatal("the next window still counts the last one's attempts")
		}
	})
	t.Run("success resets the pair and gives the attempt back to the address", func(t *testing.T) {
		p := roomy
		p.MaxPerClient = 3
		a := identity.LoginAttempt{Email: "reset@example.com", ClientAddr: "192.0.2.3", At: t0}
		if got := attempts(t, st, p, a, 2); got != 2 {
			t.Fatal(got)
		}
		if err := st.LoginSucceeded(t.Context(), a, p); err != nil {
			t.Fatal(err)
		}
		// Pair budget is whole again (3); the address has 1 failure counted, so 2 remain.
		if got := attempts(t, st, p, a, 3); got != 2 {
			t.Fatalf("allowed %d after a success, want 2 (the address's budget)", got)
		}
	})
	t.Run("address limit across emails", func(t *testing.T) {
		p := roomy
		p.MaxPerClient = 4
		allowed := 0
		for i := 0; i < 6; i++ {
			allowed += attempts(t, st, p, identity.LoginAttempt{Email: fmt.Sprintf("spray%d@example.com", i), ClientAddr: "192.0.2.4", At: t0}, 1)
		}
		if allowed != 4 {
			t.Fatalf("allowed %d, want 4", allowed)
		}
	})
	t.Run("concurrent attempts cannot overrun the pair limit", func(t *testing.T) {
		p := roomy
		p.MaxPerPair = 5
		a := identity.LoginAttempt{Email: "race@example.com", ClientAddr: "192.0.2.5", At: t0}
		if got := concurrentAttempts(t, st, p, func(int) identity.LoginAttempt { return a }, 30); got != 5 {
			t.Fatalf("%d of 30 concurrent attempts allowed, want 5", got)
		}
	})
	t.Run("email delay doubles up to the cap, whatever the address", func(t *testing.T) {
		p := roomy
		p.FreePerEmail = 2
		p.MaxPerPair = 1000
		at := func(d time.Duration, addr int) identity.LoginAttempt {
			return identity.LoginAttempt{Email: "slow@example.com", ClientAddr: fmt.Sprintf("198.51.100.%d", addr), At: t0.Add(d)}
		}
		steps := []struct {
			at        time.Duration
			allowed   bool
			retryWant time.Duration
		}{
			{0, true, 0}, {0, true, 0}, // free
			{0, true, 0}, // 1st delayed: allowed, closes the email for 1 s
			{500 * time.Millisecond, false, time.Second}, // 0.5 s left, rounded up
			{time.Second, true, 0},                       // 2nd delayed: closes for 2 s
			{2 * time.Second, false, time.Second},
			{3 * time.Second, true, 0},             // 3rd: 4 s (the cap)
			{7 * time.Second, true, 0},             // 4th: still 4 s
			{10 * time.Second, false, time.Second}, // 1 s left
			{11 * time.Second, true, 0},
		}
		for i, step := range steps {
			err := st.CountLoginAttempt(t.Context(), at(step.at, i), p)
			var ll *identity.LoginLimited
			if step.allowed && err != nil || !step.allowed && (!errors.As(err, &ll) || ll.RetryAfter != step.retryWant) {
				t.Fatalf("step %d at +%v: err = %v (%+v), want allowed=%v retry %v", i, step.at, err, ll, step.allowed, step.retryWant)
			}
		}
	})
	t.Run("concurrent attempts take one delayed slot", func(t *testing.T) {
		p := roomy
		p.FreePerEmail = 3
		got := concurrentAttempts(t, st, p, func(i int) identity.LoginAttempt {
			return identity.LoginAttempt{Email: "botnet@example.com", ClientAddr: fmt.Sprintf("203.0.113.%d", i), At: t0}
		}, 30)
		if got != 4 {
			t.Fatalf("%d of 30 attempts from 30 addresses allowed, want 3 free + 1 delayed", got)
		}
	})
	t.Run("without an address only the email counts", func(t *testing.T) {
		p := roomy
		p.FreePerEmail = 2
		a := identity.LoginAttempt{Email: "noaddr@example.com", At: t0}
		if got := attempts(t, st, p, a, 4); got != 3 {
			t.Fatalf("allowed %d, want 2 free + 1 delayed", got)
		}
		if err := st.LoginSucceeded(t.Context(), a, p); err != nil {
			t.Fatal(err)
		}
	})
}

func concurrentAttempts(tb testing.TB, st *IdentityStore, p identity.LoginPolicy, attempt func(int) identity.LoginAttempt, count int) int {
	tb.Helper()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, count)
	for i := 0; i < count; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.CountLoginAttempt(tb.Context(), attempt(i), p)
			var ll *identity.LoginLimited
			switch {
			case err == nil:
				allowed.Add(1)
			case !errors.As(err, &ll):
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return int(allowed.Load())
}
