package dynamo

import (
	"context"
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

func TestIdentityStore_RotateSession(t *testing.T) {
	st := NewIdentityStore(mustTable(t))
	now := time.Now()
	sess := identity.Session{ID: ids.New(ids.Session), TenantID: ids.New(ids.Tenant), UserID: ids.New(ids.User), CurrentHash: "h1", ExpiresAt: now.Add(time.Hour)}
	if err := st.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
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
	// Reuse of h1 (rotated away) revokes the family: h3 stops working too.
	if _, err := st.RotateSession(t.Context(), sess.ID, "h1", "h4", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("reuse err = %v", err)
	}
	if _, err := st.RotateSession(t.Context(), sess.ID, "h3", "h5", now); apperr.CodeOf(err) != apperr.BadCredentials {
		t.Fatalf("family not revoked after reuse: %v", err)
	}
	t.Run("expired", func(t *testing.T) {
		s2 := identity.Session{ID: ids.New(ids.Session), TenantID: sess.TenantID, UserID: sess.UserID, CurrentHash: "x", ExpiresAt: now.Add(-time.Second)}
		if err := st.CreateSession(t.Context(), s2); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RotateSession(t.Context(), s2.ID, "x", "y", now); apperr.CodeOf(err) != apperr.BadCredentials {
			t.Fatalf("expired rotation err = %v", err)
		}
	})
}

func TestIdentityStore_LoginFailures(t *testing.T) {
	st := NewIdentityStore(mustTable(t))
	now := time.Now()
	keys := []string{"email#a@example.com", "client#127.0.0.1"}
	for i := 0; i < 3; i++ {
		if err := st.RecordLoginFailure(t.Context(), keys, 15*time.Minute, now); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.LoginFailures(t.Context(), append(keys, "email#other@example.com"), 15*time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if got[keys[0]] != 3 || got[keys[1]] != 3 || got["email#other@example.com"] != 0 {
		t.Fatalf("failures = %v", got)
	}
	later, _ := st.LoginFailures(t.Context(), keys, 15*time.Minute, now.Add(16*time.Minute))
	if later[keys[0]] != 0 {
		t.Fatalf("next window still counts: %v", later)
	}
}
