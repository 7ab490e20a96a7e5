package stripehook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/stripehook"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

const secret = "whsec_test_stripehook"

type parser struct{}

func (parser) ParseEvent(payload []byte, header string, now time.Time) (payments.Event, error) {
	return stripepay.ParseEvent(payload, header, secret, now)
}

// recorder stands in for the sales and tenant services.
type recorder struct {
	mu       sync.Mutex
	events   []payments.Event
	accounts []payments.Account
	outcome  sales.EventOutcome
	err      error
}

func (r *recorder) ApplyPaymentEvent(_ context.Context, ev payments.Event) (sales.EventOutcome, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.outcome, r.err
}

func (r *recorder) ApplyAccountUpdate(_ context.Context, a payments.Account) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accounts = append(r.accounts, a)
	return r.err
}

func payload(t *testing.T, typ string, object map[string]any) []byte {
	t.Helper()
	obj, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, `{"id":"evt_h1","object":"event","api_version":%q,"created":%d,"type":%q,"account":"acct_1","livemode":false,"data":{"object":%s}}`,
		stripepay.APIVersion, time.Now().Unix(), typ, obj)
}

func sign(p []byte, key string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: p, Secret: key, Timestamp: at}).Header
}

func post(t *testing.T, h http.Handler, body []byte, header string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, stripehook.Path, bytes.NewReader(body))
	if header != "" {
		r.Header.Set("Stripe-Signature", header)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

var intent = map[string]any{"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 1200,
	"metadata": map[string]string{"tenant_id": "tnt_x", "order_id": "ord_x"}}

func TestHandler(t *testing.T) {
	newHandler := func() (*stripehook.Handler, *recorder) {
		rec := &recorder{outcome: sales.EventApplied}
		return &stripehook.Handler{Parser: parser{}, Payments: rec, Accounts: rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, rec
	}
	p := payload(t, "payment_intent.succeeded", intent)

	t.Run("a signed event reaches the state machine", func(t *testing.T) {
		h, rec := newHandler()
		code, body := post(t, h, p, sign(p, secret, time.Now()))
		if code != http.StatusOK || body != `{"received":true}` || len(rec.events) != 1 {
			t.Fatalf("%d %s, %d events", code, body, len(rec.events))
		}
		ev := rec.events[0]
		if ev.ID != "evt_h1" || ev.Type != payments.EventIntentSucceeded || ev.Intent.ID != "pi_1" || ev.Intent.Metadata["order_id"] != "ord_x" {
			t.Fatalf("event %+v", ev)
		}
	})

	refused := map[string]struct {
		body   []byte
		header string
	}{
		"forged":       {p, fmt.Sprintf("t=%d,v1=%s", time.Now().Unix(), strings.Repeat("0f", 32))},
		"other secret": {p, sign(p, "whsec_other", time.Now())},
		"stale":        {p, sign(p, secret, time.Now().Add(-6*time.Minute))},
		"unsigned":     {p, ""},
		"tampered":     {bytes.Replace(p, []byte(`"amount":1200`), []byte(`"amount":1`), 1), sign(p, secret, time.Now())},
	}
	for name, c := range refused {
		t.Run(name+": 400, nothing applied", func(t *testing.T) {
			h, rec := newHandler()
			code, body := post(t, h, c.body, c.header)
			if code != http.StatusBadRequest || body != `{"error":"invalid signature"}` || len(rec.events) != 0 {
				t.Fatalf("%d %s, %d events", code, body, len(rec.events))
			}
		})
	}

	t.Run("a body over 64 KiB is refused before verification", func(t *testing.T) {
		h, rec := newHandler()
		big := payload(t, "payment_intent.succeeded", map[string]any{"id": "pi_1", "object": "payment_intent", "description": strings.Repeat("x", stripehook.MaxBodyBytes)})
		if code, _ := post(t, h, big, sign(big, secret, time.Now())); code != http.StatusRequestEntityTooLarge || len(rec.events) != 0 {
			t.Fatalf("%d", code)
		}
	})

	t.Run("unknown intents are acknowledged", func(t *testing.T) {
		h, rec := newHandler()
		rec.outcome = sales.EventUnknown
		if code, _ := post(t, h, p, sign(p, secret, time.Now())); code != http.StatusOK {
			t.Fatalf("%d", code)
		}
	})

	t.Run("an outage is a 503 Stripe retries, with nothing of the inside", func(t *testing.T) {
		h, rec := newHandler()
		rec.err = apperr.Wrap(fmt.Errorf("dynamodb: connection refused to 10.0.0.1"), apperr.Unavailable, "x")
		code, body := post(t, h, p, sign(p, secret, time.Now()))
		if code != http.StatusServiceUnavailable || strings.Contains(body, "dynamodb") || strings.Contains(body, "10.0.0.1") {
			t.Fatalf("%d %s", code, body)
		}
	})

	t.Run("account.updated goes to the account service; an unknown account is acknowledged", func(t *testing.T) {
		h, rec := newHandler()
		a := payload(t, "account.updated", map[string]any{"id": "acct_1", "object": "account", "charges_enabled": true})
		if code, _ := post(t, h, a, sign(a, secret, time.Now())); code != http.StatusOK || len(rec.accounts) != 1 || !rec.accounts[0].ChargesEnabled || len(rec.events) != 0 {
			t.Fatalf("%d %+v", code, rec.accounts)
		}
		rec.err = apperr.New(apperr.NotFound, "no such account")
		if code, _ := post(t, h, a, sign(a, secret, time.Now())); code != http.StatusOK {
			t.Fatalf("%d", code)
		}
	})

	t.Run("only POST", func(t *testing.T) {
		h, _ := newHandler()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, stripehook.Path, nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%d", w.Code)
		}
	})
}
