package stripepay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

// A Stripe that hangs, or fails with 5xx (which stripe-go retries after
// sleeps that do not watch the context), still answers UNAVAILABLE inside
// the request's budget: the call ends a retry pause before the deadline.
func TestGateway_StaysInsideTheBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second): // lets srv.Close finish
			}
		}},
		{"fails with 503", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"type":"api_error","message":"down"}}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.handler(w, r)
			}))
			defer func() { srv.CloseClientConnections(); srv.Close() }()
			g, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_1", WebhookSecret: "whsec_1", ConnectReturnURL: "https://x/r", ConnectRefreshURL: "https://x/f", APIBase: srv.URL, Local: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
			defer cancel()
			_, err = g.CreateIntent(ctx, payments.IntentRequest{AccountID: "acct_1", Amount: 100, Currency: "jpy", CardPresent: true, IdempotencyKey: "k"})
			if apperr.CodeOf(err) != apperr.Unavailable {
				t.Fatalf("err = %v, want UNAVAILABLE", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the call outlived the request's budget (%d attempts)", calls.Load())
			}
		})
	}
}
