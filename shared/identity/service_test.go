package identity_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamo/dynamotest"
	"github.com/renkei-pos/renkei/shared/identity"
)

// clock is a settable time source shared by the services of one test.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// instances are API processes sharing one table: each has its own session cache.
type instances struct {
	store *dynamo.IdentityStore
	clock *clock
	cfg   identity.Config
	sign  *identity.Signer
	table *dynamo.Table
}

func newInstances(tb testing.TB, cfg identity.Config) *instances {
	tb.Helper()
	table := dynamotest.MustTable(tb, "identity")
	sign, err := identity.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	return &instances{store: dynamo.NewIdentityStore(table), clock: newClock(), cfg: cfg, sign: sign, table: table}
}

// service is one more process.
func (in *instances) service() *identity.Service {
	tenants := dynamo.NewTenantStore(in.table)
	return &identity.Service{Store: in.store, Tenants: tenants, Locations: tenants, Signer: in.sign, Now: in.clock.Now, Config: in.cfg}
}

var seq atomic.Int64

const password = "correct horse battery"

func signUp(tb testing.TB, svc *identity.Service) identity.SessionResult {
	tb.Helper()
	res, err := svc.SignUp(tb.Context(), identity.SignUpInput{BusinessName: "Shop", Email: fmt.Sprintf("owner%d@example.com", seq.Add(1)), Password: password, OwnerName: "Owner"})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// as authenticates a bearer token on svc and returns the caller's context.
func as(tb testing.TB, svc *identity.Service, token string) (context.Context, error) {
	tb.Helper()
	p, err := svc.Authenticate(tb.Context(), token)
	if err != nil {
		return nil, err
	}
	return identity.WithPrincipal(tb.Context(), p), nil
}

func mustAs(tb testing.TB, svc *identity.Service, token string) context.Context {
	tb.Helper()
	ctx, err := as(tb, svc, token)
	if err != nil {
		tb.Fatal(err)
	}
	return ctx
}

func staff(tb testing.TB, svc *identity.Service, ownerToken string, role identity.Role, locs ...string) (identity.User, identity.SessionResult) {
	tb.Helper()
	email := fmt.Sprintf("%s%d@example.com", role, seq.Add(1))
	u, err := svc.CreateStaff(mustAs(tb, svc, ownerToken), identity.StaffInput{Email: email, Name: "Staff", Password: password, Role: role, LocationIDs: locs})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := svc.LogIn(tb.Context(), email, password, "192.0.2.10")
	if err != nil {
		tb.Fatal(err)
	}
	return u, res
}

func TestService_Sessions(t *testing.T) {
	in := newInstances(t, identity.Config{SessionCheckTTL: 30 * time.Second})
	a, b := in.service(), in.service()

	t.Run("logOut stops the token at once here, within the TTL elsewhere", func(t *testing.T) {
		res := signUp(t, a)
		mustAs(t, b, res.AccessToken) // b now trusts the session for 30 s
		caller := mustAs(t, a, res.AccessToken)
		if err := a.LogOut(caller); err != nil {
			t.Fatal(err)
		}
		if _, err := as(t, a, res.AccessToken); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("same instance after logOut: %v", err)
		}
		in.clock.Add(29 * time.Second)
		if _, err := as(t, b, res.AccessToken); err != nil {
			t.Fatalf("other instance within its TTL: %v (the cache should still answer)", err)
		}
		in.clock.Add(time.Second)
		if _, err := as(t, b, res.AccessToken); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("other instance after its TTL: %v", err)
		}
		if _, err := a.Refresh(t.Context(), res.RefreshToken); apperr.CodeOf(err) != apperr.BadCredentials {
			t.Fatalf("refresh after logOut: %v", err)
		}
		if err := a.LogOut(caller); err != nil {
			t.Fatalf("second logOut: %v", err)
		}
	})
	t.Run("refresh-token reuse ends the access tokens too", func(t *testing.T) {
		res := signUp(t, a)
		next, err := a.Refresh(t.Context(), res.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		mustAs(t, a, next.AccessToken)
		if _, err := a.Refresh(t.Context(), res.RefreshToken); apperr.CodeOf(err) != apperr.BadCredentials {
			t.Fatalf("reuse: %v", err)
		}
		if _, err := as(t, a, next.AccessToken); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("access token after reuse: %v", err)
		}
	})
	t.Run("an API key cannot log out", func(t *testing.T) {
		ctx := identity.WithPrincipal(t.Context(), identity.Principal{TenantID: signUp(t, a).Tenant.ID, APIKeyID: "key_x", Scopes: identity.AllScopes})
		if err := a.LogOut(ctx); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestService_DeactivateStaff(t *testing.T) {
	in := newInstances(t, identity.Config{})
	svc, other := in.service(), in.service()
	owner := signUp(t, svc)
	manager, managerSess := staff(t, svc, owner.AccessToken, identity.Manager)
	cashier, cashierSess := staff(t, svc, owner.AccessToken, identity.Cashier)
	_, cashierPhone := staff(t, svc, owner.AccessToken, identity.Cashier) // another cashier, unaffected
	mustAs(t, other, cashierSess.AccessToken)

	code := func(token, id string) apperr.Code {
		t.Helper()
		_, err := svc.DeactivateStaff(mustAs(t, svc, token), id)
		return apperr.CodeOf(err)
	}
	cases := []struct {
		name, token, id string
		want            apperr.Code
	}{
		{"a cashier", cashierPhone.AccessToken, cashier.ID, apperr.Forbidden},
		{"a manager on the owner", managerSess.AccessToken, owner.User.ID, apperr.Forbidden},
		{"oneself", managerSess.AccessToken, manager.ID, apperr.Invalid},
		{"an unknown id", owner.AccessToken, "usr_01J0000000000000000000000Z", apperr.NotFound},
		{"a malformed id", owner.AccessToken, "nope", apperr.NotFound},
		{"another tenant's user", signUp(t, svc).AccessToken, cashier.ID, apperr.NotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := code(tc.token, tc.id); got != tc.want {
				t.Fatalf("code = %s, want %s", got, tc.want)
			}
			if _, err := as(t, svc, cashierSess.AccessToken); err != nil {
				t.Fatalf("a refused deactivation stopped the cashier: %v", err)
			}
		})
	}

	u, err := svc.DeactivateStaff(mustAs(t, svc, managerSess.AccessToken), cashier.ID)
	if err != nil || u.DeactivatedAt == nil {
		t.Fatalf("DeactivateStaff = %+v, %v", u, err)
	}
	if _, err := as(t, svc, cashierSess.AccessToken); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("the deactivated cashier's token on this instance: %v", err)
	}
	in.clock.Add(identity.DefaultSessionCheckTTL)
	if _, err := as(t, other, cashierSess.AccessToken); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("the deactivated cashier's token on another instance after the TTL: %v", err)
	}
	if _, err := svc.LogIn(t.Context(), cashier.Email, password, "192.0.2.11"); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("log-in of a deactivated user: %v", err)
	}
	if _, err := svc.Refresh(t.Context(), cashierSess.RefreshToken); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("refresh of a deactivated user: %v", err)
	}
	if _, err := as(t, svc, cashierPhone.AccessToken); err != nil {
		t.Fatalf("another cashier was stopped: %v", err)
	}
	again, err := svc.DeactivateStaff(mustAs(t, svc, owner.AccessToken), cashier.ID)
	if err != nil || !again.DeactivatedAt.Equal(*u.DeactivatedAt) {
		t.Fatalf("second deactivation = %+v, %v", again, err)
	}

	t.Run("a manager restricted to a location only deactivates staff of it", func(t *testing.T) {
		ctx := identity.WithPrincipal(t.Context(), identity.Principal{TenantID: owner.Tenant.ID, UserID: manager.ID, Role: identity.Manager, LocationIDs: []string{"loc_01J0000000000000000000000A"}})
		if _, err := svc.DeactivateStaff(ctx, cashierPhone.User.ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an owner deactivates a manager", func(t *testing.T) {
		if _, err := svc.DeactivateStaff(mustAs(t, svc, owner.AccessToken), manager.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := as(t, svc, managerSess.AccessToken); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("manager token: %v", err)
		}
	})
}

func TestService_LogIn(t *testing.T) {
	policy := identity.LoginPolicy{MaxPerPair: 3, FreePerEmail: 4, EmailDelayBase: time.Second, EmailDelayCap: 4 * time.Second}
	in := newInstances(t, identity.Config{Login: policy})
	svc := in.service()
	owner := signUp(t, svc)
	email := owner.User.Email

	tryAll := func(email, pw, addr string, n int) (verdicts, limited int) {
		t.Helper()
		for i := 0; i < n; i++ {
			_, err := svc.LogIn(t.Context(), email, pw, addr)
			var ll *identity.LoginLimited
			switch {
			case err == nil, apperr.Is(err, apperr.BadCredentials):
				verdicts++
			case errors.As(err, &ll):
				limited++
			default:
				t.Fatal(err)
			}
		}
		return verdicts, limited
	}

	t.Run("an unknown email is counted like a known one", func(t *testing.T) {
		if v, l := tryAll("nobody@example.com", "wrong password!", "192.0.2.1", 5); v != 3 || l != 2 {
			t.Fatalf("verdicts %d, limited %d; want 3 and 2", v, l)
		}
	})
	t.Run("the attacker's address is limited; the owner elsewhere is not locked out", func(t *testing.T) {
		if v, _ := tryAll(email, "wrong password!", "192.0.2.66", 5); v != 3 {
			t.Fatalf("verdicts %d, want 3", v)
		}
		if _, err := svc.LogIn(t.Context(), email, password, "192.0.2.66"); apperr.CodeOf(err) != apperr.RateLimited {
			t.Fatalf("right password from the exhausted pair: %v", err)
		}
		// A second attacker address uses up the email's free attempts (4) and more.
		tryAll(email, "wrong password!", "192.0.2.67", 3)
		start := in.clock.Now()
		for {
			_, err := svc.LogIn(t.Context(), email, password, "198.51.100.7")
			var ll *identity.LoginLimited
			if err == nil {
				break
			}
			if !errors.As(err, &ll) || ll.RetryAfter > policy.EmailDelayCap {
				t.Fatalf("owner: %v (%+v)", err, ll)
			}
			in.clock.Add(ll.RetryAfter)
		}
		if waited := in.clock.Now().Sub(start); waited > policy.EmailDelayCap {
			t.Fatalf("the owner waited %v, more than the cap %v", waited, policy.EmailDelayCap)
		}
	})
	t.Run("a success resets the pair", func(t *testing.T) {
		in.clock.Add(time.Hour)
		tryAll(email, "wrong password!", "192.0.2.80", 2)
		if _, err := svc.LogIn(t.Context(), email, password, "192.0.2.80"); err != nil {
			t.Fatal(err)
		}
		verdicts := 0
		for i := 0; i < 4; i++ {
			in.clock.Add(policy.EmailDelayCap) // past the email's delays: only the pair limit counts
			v, _ := tryAll(email, "wrong password!", "192.0.2.80", 1)
			verdicts += v
		}
		if verdicts != 3 {
			t.Fatalf("verdicts after a success %d of 4, want 3 (a whole pair budget)", verdicts)
		}
	})
	t.Run("concurrent guesses cannot overrun the pair limit", func(t *testing.T) {
		in.clock.Add(time.Hour)
		var verdicts atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.LogIn(t.Context(), email, "wrong password!", "192.0.2.90"); apperr.Is(err, apperr.BadCredentials) {
					verdicts.Add(1)
				}
			}()
		}
		wg.Wait()
		if verdicts.Load() != 3 {
			t.Fatalf("%d of 30 concurrent guesses got a verdict, want 3", verdicts.Load())
		}
	})
}
