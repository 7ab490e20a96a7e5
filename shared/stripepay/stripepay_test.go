package stripepay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/stripemock"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

const testWebhookSecret = "whsec_test_secret"

func newGateway(t *testing.T) *stripepay.Gateway {
	t.Helper()
	mock := stripemock.MustStart(t)
	g, err := stripepay.New(stripepay.Config{
		SecretKey: "sk_test_123", WebhookSecret: testWebhookSecret,
		ConnectReturnURL: "http://127.0.0.1:8080/settings/cards/done", ConnectRefreshURL: "http://127.0.0.1:8080/settings/cards/retry",
		APIBase: mock.URL(), Local: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGateway_RequestsAreValidStripeRequests sends every Gateway call to
// stripe-mock, which refuses any request that does not match Stripe's
// published OpenAPI spec (unknown or malformed parameters, missing required ones).
func TestGateway_RequestsAreValidStripeRequests(t *testing.T) {
	g := newGateway(t)
	ctx := context.Background()
	t.Run("CreateAccount", func(t *testing.T) {
		a, err := g.CreateAccount(ctx, payments.AccountRequest{TenantID: "ten_1", BusinessName: "喫茶 連携", Country: "JP", IdempotencyKey: "acct-ten_1"})
		if err != nil || !strings.HasPrefix(a.ID, "acct_") {
			t.Fatalf("CreateAccount = %+v, %v", a, err)
		}
	})
	t.Run("OnboardingLink", func(t *testing.T) {
		u, err := g.OnboardingLink(ctx, "acct_123")
		if err != nil || !strings.HasPrefix(u, "https://") {
			t.Fatalf("OnboardingLink = %q, %v", u, err)
		}
	})
	t.Run("CreateTerminalLocation", func(t *testing.T) {
		id, err := g.CreateTerminalLocation(ctx, payments.TerminalLocationRequest{AccountID: "acct_123", LocationID: "loc_1", DisplayName: "渋谷店", IdempotencyKey: "tml-loc_1"})
		if err != nil || !strings.HasPrefix(id, "tml_") {
			t.Fatalf("CreateTerminalLocation = %q, %v", id, err)
		}
	})
	t.Run("ConnectionToken", func(t *testing.T) {
		s, err := g.ConnectionToken(ctx, "acct_123", "tml_123")
		if err != nil || s == "" {
			t.Fatalf("ConnectionToken = %q, %v", s, err)
		}
	})
	intents := []struct {
		name string
		req  payments.IntentRequest
	}{
		{"card not present", payments.IntentRequest{PaymentMethodID: "pm_card_visa"}},
		{"card present", payments.IntentRequest{CardPresent: true}},
		{"unconfirmed", payments.IntentRequest{}},
	}
	for _, tc := range intents {
		t.Run("CreateIntent/"+tc.name, func(t *testing.T) {
			req := tc.req
			req.AccountID, req.Amount, req.Currency, req.ApplicationFee = "acct_123", 1200, "JPY", 40
			req.IdempotencyKey, req.Metadata = "checkout-"+tc.name, map[string]string{"tenant_id": "ten_1", "order_id": "ord_1"}
			in, err := g.CreateIntent(ctx, req)
			if err != nil || !strings.HasPrefix(in.ID, "pi_") {
				t.Fatalf("CreateIntent = %+v, %v", in, err)
			}
		})
	}
	t.Run("CancelIntent", func(t *testing.T) {
		in, err := g.CancelIntent(ctx, "acct_123", "pi_123", "cancel-pi_123")
		if err != nil || in.ID == "" {
			t.Fatalf("CancelIntent = %+v, %v", in, err)
		}
	})
	t.Run("Refund", func(t *testing.T) {
		r, err := g.Refund(ctx, payments.RefundRequest{AccountID: "acct_123", PaymentIntentID: "pi_123", Amount: 500, IdempotencyKey: "refund-1", Metadata: map[string]string{"order_id": "ord_1"}})
		if err != nil || !strings.HasPrefix(r.ID, "re_") {
			t.Fatalf("Refund = %+v, %v", r, err)
		}
	})
	t.Run("an invalid request is an internal error", func(t *testing.T) {
		// stripe-mock answers 404 for an object id of the wrong form.
		_, err := g.CancelIntent(ctx, "acct_123", "not an id/../x", "k")
		if apperr.CodeOf(err) != apperr.Internal {
			t.Fatalf("err = %v (%s), want INTERNAL", err, apperr.CodeOf(err))
		}
	})
}

func TestNew_APIBaseOnlyInLocalMode(t *testing.T) {
	_, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_1", WebhookSecret: "whsec_1", ConnectReturnURL: "https://x/r", ConnectRefreshURL: "https://x/f", APIBase: "http://127.0.0.1:1"})
	if err == nil {
		t.Fatal("an API base override outside local mode was accepted")
	}
}

func TestGateway_Unreachable(t *testing.T) {
	g, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_1", WebhookSecret: "whsec_1", ConnectReturnURL: "https://x/r", ConnectRefreshURL: "https://x/f", APIBase: "http://127.0.0.1:1", Local: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.CreateIntent(context.Background(), payments.IntentRequest{AccountID: "acct_1", Amount: 100, Currency: "jpy", CardPresent: true, IdempotencyKey: "k"})
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
}

func eventPayload(t *testing.T, typ, apiVersion string, object any) []byte {
	t.Helper()
	obj, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, `{"id":"evt_1","object":"event","api_version":%q,"created":1764460800,"type":%q,"account":"acct_9","livemode":false,"data":{"object":%s}}`, apiVersion, typ, obj)
}

func TestParseEvent(t *testing.T) {
	now := time.Unix(1764460900, 0)
	intent := map[string]any{"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method", "amount": 1200,
		"metadata":           map[string]string{"tenant_id": "ten_1", "order_id": "ord_1"},
		"last_payment_error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}}
	sign := func(payload []byte, secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
	}
	t.Run("a signed payment_intent event", func(t *testing.T) {
		p := eventPayload(t, "payment_intent.payment_failed", stripepay.APIVersion, intent)
		ev, err := stripepay.ParseEvent(p, sign(p, testWebhookSecret, now.Add(-10*time.Second)), testWebhookSecret, now)
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != "evt_1" || ev.Type != payments.EventIntentFailed || ev.AccountID != "acct_9" || ev.Intent == nil ||
			ev.Intent.ID != "pi_1" || ev.Intent.DeclineCode != "insufficient_funds" || ev.Intent.Metadata["order_id"] != "ord_1" || !ev.Created.Equal(time.Unix(1764460800, 0)) {
			t.Fatalf("event = %+v intent %+v", ev, ev.Intent)
		}
	})
	t.Run("account.updated of another API version", func(t *testing.T) {
		p := eventPayload(t, "account.updated", "2020-08-27", map[string]any{"id": "acct_9", "object": "account", "charges_enabled": true})
		ev, err := stripepay.ParseEvent(p, sign(p, testWebhookSecret, now), testWebhookSecret, now)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Account == nil || ev.Account.ID != "acct_9" || !ev.Account.ChargesEnabled || !ev.Account.AsOf.Equal(ev.Created) {
			t.Fatalf("account = %+v", ev.Account)
		}
	})
	p := eventPayload(t, "payment_intent.succeeded", stripepay.APIVersion, intent)
	bad := map[string]string{
		"forged signature": fmt.Sprintf("t=%d,v1=%s", now.Unix(), strings.Repeat("ab", 32)),
		"wrong secret":     sign(p, "whsec_other", now),
		"stale timestamp":  sign(p, testWebhookSecret, now.Add(-301*time.Second)),
		"future timestamp": sign(p, testWebhookSecret, now.Add(301*time.Second)),
		"no header":        "",
		"tampered body":    sign(append([]byte(" "), p...), testWebhookSecret, now),
	}
	for name, header := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := stripepay.ParseEvent(p, header, testWebhookSecret, now)
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("err = %v, want INVALID", err)
			}
		})
	}
	t.Run("the gateway uses its secret", func(t *testing.T) {
		g, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_1", WebhookSecret: testWebhookSecret, ConnectReturnURL: "https://x/r", ConnectRefreshURL: "https://x/f"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.ParseEvent(p, sign(p, testWebhookSecret, now), now); err != nil {
			t.Fatal(err)
		}
		if _, err := g.ParseEvent(p, sign(p, "whsec_other", now), now); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("err = %v, want INVALID", err)
		}
	})
}
