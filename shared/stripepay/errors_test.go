package stripepay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

// TestGateway_ErrorMapping answers Stripe's error shapes from a stand-in
// server: stripe-mock cannot decline a card.
func TestGateway_ErrorMapping(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   apperr.Code
	}{
		{"decline", 402, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","payment_intent":{"id":"pi_d","status":"requires_payment_method","amount":1200,"client_secret":"pi_d_secret_zzz"}}}`, apperr.PaymentDeclined},
		{"rate limited", 429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`, apperr.Unavailable},
		{"outage", 500, `{"error":{"type":"api_error","message":"boom"}}`, apperr.Unavailable},
		{"concurrent key", 409, `{"error":{"type":"idempotency_error","message":"in progress"}}`, apperr.Unavailable},
		{"key reused with other parameters", 400, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`, apperr.Conflict},
		{"state changed", 400, `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state","message":"already succeeded"}}`, apperr.Conflict},
		{"our bug", 400, `{"error":{"type":"invalid_request_error","code":"parameter_unknown","param":"foo","message":"Received unknown parameter: foo"}}`, apperr.Internal},
		{"bad key", 401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_***"}}`, apperr.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Stripe-Should-Retry", "false")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			g, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_1", WebhookSecret: "whsec_1", ConnectReturnURL: "https://x/r", ConnectRefreshURL: "https://x/f", APIBase: srv.URL, Local: true})
			if err != nil {
				t.Fatal(err)
			}
			in, err := g.CreateIntent(context.Background(), payments.IntentRequest{AccountID: "acct_1", Amount: 1200, Currency: "JPY", PaymentMethodID: "pm_card_visa", IdempotencyKey: "k"})
			if got := apperr.CodeOf(err); got != tc.want {
				t.Fatalf("code = %s (%v), want %s", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "sk_test_1") {
				t.Fatalf("error carries a secret: %v", err)
			}
			if tc.want == apperr.PaymentDeclined {
				if _, ok := apperr.Expected(err); !ok || !strings.Contains(err.Error(), "insufficient_funds") {
					t.Fatalf("decline = %v, want an expected error naming the decline code", err)
				}
				if in.ID != "pi_d" || in.DeclineCode != "insufficient_funds" {
					t.Fatalf("declined intent = %+v", in)
				}
			}
		})
	}
}
