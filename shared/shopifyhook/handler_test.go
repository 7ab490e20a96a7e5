package shopifyhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/connectors/shopify"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/shopifyhook"
	"github.com/renkei-pos/renkei/shared/tenant"
)

const secret = "whsec_shopify_test_secret"

// store is the hub's store as the handler sees it: one integration, and
// the events recorded with their dedupe keys.
type store struct {
	mu       sync.Mutex
	in       integrations.Integration
	events   []integrations.Event
	seen     map[string]bool
	fail     error
	tenantOf map[string]string
}

func (s *store) TenantOfIntegration(_ context.Context, id string) (string, error) {
	if t, ok := s.tenantOf[id]; ok {
		return t, nil
	}
	return "", apperr.New(apperr.NotFound, "integration not found")
}

func (s *store) GetIntegration(ctx context.Context, id string) (integrations.Integration, error) {
	if tid, _ := tenant.IDFrom(ctx); tid != s.in.TenantID || id != s.in.ID {
		return integrations.Integration{}, apperr.New(apperr.NotFound, "integration not found")
	}
	return s.in, nil
}

func (s *store) RecordInbound(_ context.Context, ev integrations.Event, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return false, s.fail
	}
	if s.seen[key] {
		return true, nil
	}
	s.seen[key] = true
	s.events = append(s.events, ev)
	return false, nil
}

// sealer "seals" by prefixing the aad, so a wrong aad does not open.
type sealer struct{}

func (sealer) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, append(aad, '#'))
	if !ok {
		return nil, errors.New("message authentication failed")
	}
	return rest, nil
}

const orderBody = `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","name":"#1001",
"created_at":"2026-11-30T10:02:03+09:00","currency":"JPY","taxes_included":true,"total_price":"560",
"email":"customer@example.com","line_items":[{"id":1,"sku":"TEA","title":"Tea","quantity":2,"price":"300","total_discount":"40"}]}`

type fixture struct {
	st  *store
	srv *httptest.Server
	log *bytes.Buffer
	id  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tid, id := ids.New(ids.Tenant), ids.New(ids.Integration)
	sec, _ := json.Marshal(shopify.Secrets{AccessToken: "shpat_secret_token", WebhookSecret: secret})
	st := &store{in: integrations.Integration{ID: id, TenantID: tid, Provider: integrations.Shopify, SealedSecrets: append([]byte(tid+"|"+id+"#"), sec...)},
		seen: map[string]bool{}, tenantOf: map[string]string{id: tid}}
	var logs bytes.Buffer
	h := &shopifyhook.Handler{Store: st, Secrets: sealer{}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	mux := http.NewServeMux()
	mux.Handle(shopifyhook.Pattern, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{st: st, srv: srv, log: &logs, id: id}
}

func (f *fixture) post(t *testing.T, id, topic, webhookID, body, signature string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/webhooks/shopify/"+id, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(shopifyhook.HeaderTopic, topic)
	req.Header.Set(shopifyhook.HeaderWebhookID, webhookID)
	req.Header.Set(shopifyhook.HeaderHmac, signature)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func signed(body string) string { return shopifyhook.SignatureHeader([]byte(body), secret) }

func TestHandler_ServeHTTP(t *testing.T) {
	f := newFixture(t)
	t.Run("a signed order is recorded for the integration", func(t *testing.T) {
		status, _ := f.post(t, f.id, "orders/create", "wh-1", orderBody, signed(orderBody))
		if status != http.StatusOK || len(f.st.events) != 1 {
			t.Fatalf("status %d, %d events", status, len(f.st.events))
		}
		ev := f.st.events[0]
		if ev.Type != integrations.EventShopifyOrder || ev.IntegrationID != f.id || ev.TenantID != f.st.in.TenantID || !ev.FromOutbox {
			t.Fatalf("event %+v", ev)
		}
		var o shopify.Order
		if err := json.Unmarshal(ev.Data, &o); err != nil {
			t.Fatal(err)
		}
		if o.ID != "820982911946154508" || o.Name != "#1001" || o.CreatedAt.Hour() != 1 || len(o.Lines) != 1 || o.Lines[0].SKU != "TEA" ||
			o.Lines[0].Quantity != 2 || o.Lines[0].Price != "300" || o.Lines[0].Discount != "40" || o.Total != "560" || !o.TaxesIncluded {
			t.Fatalf("order %+v", o)
		}
		if strings.Contains(string(ev.Data), "customer@example.com") {
			t.Fatal("the event keeps what the import does not need")
		}
	})
	t.Run("a duplicate delivery is 200 and recorded once, with the same event id", func(t *testing.T) {
		status, _ := f.post(t, f.id, "orders/create", "wh-1", orderBody, signed(orderBody))
		if status != http.StatusOK || len(f.st.events) != 1 {
			t.Fatalf("status %d, %d events", status, len(f.st.events))
		}
	})
	cases := []struct {
		name, id, topic, webhookID, body, signature string
		status                                      int
	}{
		{"a bad signature", "", "orders/create", "wh-2", orderBody, signed(orderBody + " "), 401},
		{"no signature", "", "orders/create", "wh-2", orderBody, "", 401},
		{"another secret's signature", "", "orders/create", "wh-2", orderBody, shopifyhook.SignatureHeader([]byte(orderBody), "other"), 401},
		{"an unknown integration", ids.New(ids.Integration), "orders/create", "wh-2", orderBody, signed(orderBody), 404},
		{"a malformed integration id", "int_nope", "orders/create", "wh-2", orderBody, signed(orderBody), 404},
		{"a body that is no order", "", "orders/create", "wh-2", `{"id":"x"}`, signed(`{"id":"x"}`), 400},
		{"no webhook id", "", "orders/create", "", orderBody, signed(orderBody), 400},
		{"another topic is acknowledged, not recorded", "", "products/update", "wh-3", `{"id":1}`, signed(`{"id":1}`), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id
			if id == "" {
				id = f.id
			}
			status, body := f.post(t, id, tc.topic, tc.webhookID, tc.body, tc.signature)
			if status != tc.status || len(f.st.events) != 1 {
				t.Fatalf("status %d (%s), %d events; want %d and nothing recorded", status, body, len(f.st.events), tc.status)
			}
		})
	}
	t.Run("a body over 256 KiB is 413", func(t *testing.T) {
		big := `{"pad":"` + strings.Repeat("x", shopifyhook.MaxBodyBytes) + `"}`
		if status, _ := f.post(t, f.id, "orders/create", "wh-4", big, signed(big)); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("a disconnected integration is 404", func(t *testing.T) {
		f.st.in.Disconnected = true
		defer func() { f.st.in.Disconnected = false }()
		if status, _ := f.post(t, f.id, "orders/create", "wh-5", orderBody, signed(orderBody)); status != http.StatusNotFound {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("our store failing is 503, for Shopify to retry", func(t *testing.T) {
		f.st.fail = errors.New("dynamodb: ProvisionedThroughputExceeded")
		defer func() { f.st.fail = nil }()
		if status, body := f.post(t, f.id, "orders/create", "wh-6", orderBody, signed(orderBody)); status != http.StatusServiceUnavailable || strings.Contains(body, "dynamodb") {
			t.Fatalf("status %d %s", status, body)
		}
	})
	for _, s := range []string{secret, "shpat_secret_token", "customer@example.com"} {
		if strings.Contains(f.log.String(), s) {
			t.Fatalf("the log holds %q", s)
		}
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	if !shopifyhook.Verify(body, shopifyhook.SignatureHeader(body, "s"), "s") {
		t.Fatal("a good signature refused")
	}
	for _, sig := range []string{"", "not base64!", shopifyhook.SignatureHeader(body, "t"), shopifyhook.SignatureHeader([]byte(`{"id":2}`), "s")} {
		if shopifyhook.Verify(body, sig, "s") {
			t.Fatalf("signature %q accepted", sig)
		}
	}
	if shopifyhook.Verify(body, shopifyhook.SignatureHeader(body, ""), "") {
		t.Fatal("an empty secret verifies")
	}
}

// What the stack wires into the handler.
var (
	_ shopifyhook.Integrations  = integrations.Store(nil)
	_ shopifyhook.SecretsOpener = integrations.Sealer(nil)
)
