package dynamo

import (
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenantcreds/iamcheck"
)

// RevokeSessionByToken runs under the emulated IAM: the family is a
// platform item (the function's role, whatever tenant the caller carries),
// the user's entry the family's tenant's.
func TestIdentityStore_RevokeSessionByToken(t *testing.T) {
	tbl := mustTable(t)
	setup := NewIdentityStore(tbl) // sign-up writes as the tenant's session would: not what is checked here
	var denied []string
	c, err := dynamolocal.NewClient(t.Context(), endpoint, iamcheck.Option(func(d *iamcheck.Denied) { denied = append(denied, d.Error()) }))
	if err != nil {
		t.Fatal(err)
	}
	st := NewIdentityStore(New(c, tbl.name))
	ctx, _, u := newTenant(t, setup, "end@example.com")
	now := time.Now()
	t.Cleanup(func() {
		if len(denied) > 0 {
			t.Errorf("IAM would refuse: %v", denied)
		}
	})

	t.Run("the current token ends the session", func(t *testing.T) {
		sess := newSession(t, st, ctx, u, "c1", now.Add(time.Hour))
		other := newSession(t, st, ctx, u, "o1", now.Add(time.Hour))
		got, err := st.RevokeSessionByToken(t.Context(), sess.ID, "c1")
		if err != nil || got.TenantID != u.TenantID || got.UserID != u.ID || !got.Revoked {
			t.Fatalf("RevokeSessionByToken = %+v, %v", got, err)
		}
		if active, err := st.SessionActive(ctx, u.ID, sess.ID); err != nil || active {
			t.Fatalf("SessionActive after = %v, %v", active, err)
		}
		if _, err := st.RotateSession(t.Context(), sess.ID, "c1", "c2", now); apperr.CodeOf(err) != apperr.BadCredentials {
			t.Fatalf("refresh after = %v", err)
		}
		if active, err := st.SessionActive(ctx, u.ID, other.ID); err != nil || !active {
			t.Fatalf("the user's other session was touched: %v, %v", active, err)
		}
		// Again (a retry, a second log-out): the same answer.
		if _, err := st.RevokeSessionByToken(t.Context(), sess.ID, "c1"); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
	})
	t.Run("a rotated-away token ends it too", func(t *testing.T) {
		sess := newSession(t, st, ctx, u, "r1", now.Add(time.Hour))
		if _, err := st.RotateSession(t.Context(), sess.ID, "r1", "r2", now); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RevokeSessionByToken(tenantCtx(t), sess.ID, "r1"); err != nil { // whatever tenant the caller carries
			t.Fatalf("RevokeSessionByToken = %v", err)
		}
		if _, err := st.RotateSession(t.Context(), sess.ID, "r2", "r3", now); apperr.CodeOf(err) != apperr.BadCredentials {
			t.Fatalf("refresh after = %v", err)
		}
	})
	t.Run("a token the session never issued ends nothing", func(t *testing.T) {
		sess := newSession(t, st, ctx, u, "k1", now.Add(time.Hour))
		for name, id := range map[string]string{"other hash": sess.ID, "no session": ids.New(ids.Session)} {
			if _, err := st.RevokeSessionByToken(t.Context(), id, "forged"); apperr.CodeOf(err) != apperr.NotFound {
				t.Fatalf("%s: err = %v, want NOT_FOUND", name, err)
			}
		}
		if active, err := st.SessionActive(ctx, u.ID, sess.ID); err != nil || !active {
			t.Fatalf("SessionActive = %v, %v", active, err)
		}
		if _, err := st.RotateSession(t.Context(), sess.ID, "k1", "k2", now); err != nil {
			t.Fatalf("refresh = %v", err)
		}
	})
}
