package graph

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
)

// A resolver error that is a deadline — the request's budget, a storage
// call's timeout — is the retryable UNAVAILABLE, never INTERNAL.
func TestTop_DeadlineIsUnavailable(t *testing.T) {
	rq := &request{id: "rid", log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ctx := withRequest(t.Context(), rq)
	for _, err := range []error{
		context.DeadlineExceeded,
		fmt.Errorf("operation TransactWriteItems: %w", context.DeadlineExceeded),
		context.Canceled,
		deadline.OutOfTime(nil),
	} {
		te, ok := top(ctx, err).(*topError)
		if !ok || te.code != apperr.Unavailable || te.requestID != "rid" {
			t.Errorf("top(%v) = %#v, want UNAVAILABLE with the request id", err, te)
		}
	}
	if te := top(ctx, fmt.Errorf("boom")).(*topError); te.code != apperr.Internal {
		t.Fatalf("a plain fault became %s", te.code)
	}
}

// Every route runs under the request budget, the local server's as much as
// the Lambda's.
func TestHandler_EveryRequestHasTheBudget(t *testing.T) {
	var left time.Duration
	var had bool
	h, err := NewHandler(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), RequestBudget: 3 * time.Second,
		Routes: map[string]http.Handler{"GET /probe": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			left, had = deadline.Remaining(r.Context())
		})}})
	if err != nil {
		t.Fatal(err)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe", nil))
	if !had || left > 3*time.Second || left <= 0 {
		t.Fatalf("remaining budget %v (deadline %v), want within 3 s", left, had)
	}
	def, err := NewHandler(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Routes: map[string]http.Handler{"GET /probe": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			left, had = deadline.Remaining(r.Context())
		})}})
	if err != nil {
		t.Fatal(err)
	}
	def.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe", nil))
	if !had || left > deadline.Request {
		t.Fatalf("default budget: %v (deadline %v), want ≤ %v", left, had, deadline.Request)
	}
}
