package dynamo

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// mustIntegration connects a webhook integration for the tenant in ctx.
func mustIntegration(tb testing.TB, st *IntegrationStore, ctx context.Context, at time.Time) integrations.Integration {
	tb.Helper()
	in := integrations.Integration{ID: ids.NewAt(ids.Integration, at), Provider: integrations.Webhook, Name: "ERP",
		Settings: json.RawMessage(`{"url":"https://erp.example.com/hook"}`), SealedSecrets: []byte{1, 2, 3}, CreatedAt: at}
	if err := st.CreateIntegration(ctx, in); err != nil {
		tb.Fatal(err)
	}
	got, err := st.GetIntegration(ctx, in.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func wantCode(tb testing.TB, what string, err error, code apperr.Code) {
	tb.Helper()
	if !apperr.Is(err, code) {
		tb.Fatalf("%s: want %s, got %v", what, code, err)
	}
}

func TestIntegrationStore_Integrations(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	tid, _ := tenant.IDFrom(ctx)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	a := mustIntegration(t, st, ctx, t0)
	b := mustIntegration(t, st, ctx, t0.Add(time.Second))

	t.Run("read back", func(t *testing.T) {
		if a.TenantID != tid || a.Provider != integrations.Webhook || a.Name != "ERP" || string(a.Settings) != `{"url":"https://erp.example.com/hook"}` ||
			string(a.SealedSecrets) != "\x01\x02\x03" || !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) || a.Status() != integrations.StatusActive {
			t.Fatalf("integration read back as %+v", a)
		}
	})
	t.Run("list in creation order and count", func(t *testing.T) {
		list, err := st.ListIntegrations(ctx)
		if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Fatalf("list: %+v %v", list, err)
		}
		if n, err := st.CountIntegrations(ctx); err != nil || n != 2 {
			t.Fatalf("count: %d %v", n, err)
		}
	})
	t.Run("platform lookup", func(t *testing.T) {
		got, err := st.TenantOfIntegration(context.Background(), a.ID)
		if err != nil || got != tid {
			t.Fatalf("TenantOfIntegration = %q, %v", got, err)
		}
		_, err = st.TenantOfIntegration(context.Background(), ids.New(ids.Integration))
		wantCode(t, "unknown id", err, apperr.NotFound)
		_, err = st.TenantOfIntegration(context.Background(), "int_#x")
		wantCode(t, "garbled id", err, apperr.NotFound)
	})
	t.Run("secrets and warnings", func(t *testing.T) {
		t1 := t0.Add(time.Minute)
		if err := st.SaveSecrets(ctx, a.ID, []byte("sealed-2"), t1); err != nil {
			t.Fatal(err)
		}
		many := make([]string, integrations.MaxWarningItems+20)
		for i := range many {
			many[i] = "SKU-" + strings.Repeat("x", i%3)
		}
		w := []integrations.Warning{{Code: "UNMATCHED_SKUS", Message: "no Shopify variant", Items: many, Count: len(many)}}
		if err := st.SaveWarnings(ctx, a.ID, w, t1); err != nil {
			t.Fatal(err)
		}
		got, _ := st.GetIntegration(ctx, a.ID)
		if string(got.SealedSecrets) != "sealed-2" || len(got.Warnings) != 1 || len(got.Warnings[0].Items) != integrations.MaxWarningItems ||
			got.Warnings[0].Count != len(many) || !got.UpdatedAt.Equal(t1) {
			t.Fatalf("after saves: %+v", got)
		}
		if err := st.SaveWarnings(ctx, a.ID, nil, t1); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.GetIntegration(ctx, a.ID); len(got.Warnings) != 0 {
			t.Fatalf("warnings not cleared: %+v", got.Warnings)
		}
		wantCode(t, "secrets of an unknown integration", st.SaveSecrets(ctx, ids.New(ids.Integration), nil, t1), apperr.NotFound)
	})
	t.Run("disconnect is idempotent", func(t *testing.T) {
		t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
		got, err := st.Disconnect(ctx, b.ID, t1)
		if err != nil || !got.Disconnected || got.Status() != integrations.StatusDisconnected || !got.UpdatedAt.Equal(t1) {
			t.Fatalf("disconnect: %+v %v", got, err)
		}
		got, err = st.Disconnect(ctx, b.ID, t2)
		if err != nil || !got.Disconnected || !got.UpdatedAt.Equal(t1) {
			t.Fatalf("second disconnect: %+v %v", got, err)
		}
		_, err = st.Disconnect(ctx, ids.New(ids.Integration), t2)
		wantCode(t, "disconnect unknown", err, apperr.NotFound)
	})
	t.Run("another tenant sees none of it", func(t *testing.T) {
		other := tenantCtx(t)
		_, err := st.GetIntegration(other, a.ID)
		wantCode(t, "foreign get", err, apperr.NotFound)
		_, err = st.Disconnect(other, a.ID, t0)
		wantCode(t, "foreign disconnect", err, apperr.NotFound)
		wantCode(t, "foreign save", st.SaveSecrets(other, a.ID, []byte("x"), t0), apperr.NotFound)
		if list, err := st.ListIntegrations(other); err != nil || len(list) != 0 {
			t.Fatalf("foreign list: %+v %v", list, err)
		}
	})
	t.Run("no tenant in ctx", func(t *testing.T) {
		if _, err := st.GetIntegration(context.Background(), a.ID); err == nil {
			t.Fatal("GetIntegration without a tenant answered")
		}
	})
}

func TestIntegrationStore_Marks(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	iid := ids.New(ids.Integration)
	k := "loc_1|var_1"
	if v, err := st.Get(ctx, iid, k); err != nil || v != 0 {
		t.Fatalf("absent mark: %d %v", v, err)
	}
	steps := []struct {
		version int64
		want    bool
		mark    int64
	}{{3, true, 3}, {3, false, 3}, {2, false, 3}, {5, true, 5}}
	for _, s := range steps {
		ok, err := st.Advance(ctx, iid, k, s.version)
		if err != nil || ok != s.want {
			t.Fatalf("Advance(%d) = %v, %v; want %v", s.version, ok, err, s.want)
		}
		if v, _ := st.Get(ctx, iid, k); v != s.mark {
			t.Fatalf("after Advance(%d): mark %d, want %d", s.version, v, s.mark)
		}
	}
	if v, _ := st.Get(tenantCtx(t), iid, k); v != 0 {
		t.Fatalf("another tenant reads mark %d", v)
	}
}
