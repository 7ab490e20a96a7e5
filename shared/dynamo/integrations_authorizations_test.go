package dynamo

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// TestIntegrationStore_Authorizations: a pending authorization reads back
// until it expires, keeps a rotated pair, is consumed once, and never
// after its expiry; another tenant cannot see it.
func TestIntegrationStore_Authorizations(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	newAuth := func() integrations.Authorization {
		a := integrations.Authorization{ID: ids.NewAt(integrations.AuthorizationIDPrefix, t0), Provider: integrations.Freee,
			SealedSecrets: []byte{1, 2}, Companies: []integrations.Company{{ID: "1001", Name: "商店", DisplayName: "商店"}},
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := st.CreateAuthorization(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := newAuth()
	got, err := st.GetAuthorization(ctx, a.ID, t0.Add(59*time.Minute))
	if err != nil || got.Provider != integrations.Freee || string(got.SealedSecrets) != "\x01\x02" || len(got.Companies) != 1 ||
		got.Companies[0].Name != "商店" || !got.ExpiresAt.Equal(a.ExpiresAt) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	_, err = st.GetAuthorization(ctx, a.ID, t0.Add(time.Hour))
	wantCode(t, "read at its expiry", err, apperr.NotFound)
	_, err = st.GetAuthorization(tenantCtx(t), a.ID, t0)
	wantCode(t, "another tenant's read", err, apperr.NotFound)

	if err := st.SaveAuthorizationSecrets(ctx, a.ID, []byte{3}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetAuthorization(ctx, a.ID, t0); string(got.SealedSecrets) != "\x03" {
		t.Fatalf("secrets after save %v", got.SealedSecrets)
	}
	wantCode(t, "consume after expiry", st.ConsumeAuthorization(ctx, a.ID, t0.Add(2*time.Hour)), apperr.NotFound)
	wantCode(t, "another tenant's consume", st.ConsumeAuthorization(tenantCtx(t), a.ID, t0), apperr.NotFound)
	if err := st.ConsumeAuthorization(ctx, a.ID, t0); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a second consume", st.ConsumeAuthorization(ctx, a.ID, t0), apperr.NotFound)
	wantCode(t, "a read after consume", func() error { _, err := st.GetAuthorization(ctx, a.ID, t0); return err }(), apperr.NotFound)
	wantCode(t, "save after consume", st.SaveAuthorizationSecrets(ctx, a.ID, []byte{4}), apperr.NotFound)

	t.Run("settings update", func(t *testing.T) {
		in := mustIntegration(t, st, ctx, t0)
		up, err := st.UpdateSettings(ctx, in.ID, json.RawMessage(`{"url":"https://erp.example.com/v2"}`), t0.Add(time.Minute))
		if err != nil || string(up.Settings) != `{"url":"https://erp.example.com/v2"}` || !up.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("updated %+v, %v", up, err)
		}
		if _, err := st.Disconnect(ctx, in.ID, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, err = st.UpdateSettings(ctx, in.ID, json.RawMessage(`{}`), t0.Add(3*time.Minute))
		wantCode(t, "update of a disconnected integration", err, apperr.Invalid)
		_, err = st.UpdateSettings(ctx, ids.NewAt(ids.Integration, t0), json.RawMessage(`{}`), t0)
		wantCode(t, "update of an unknown integration", err, apperr.NotFound)
	})
}
