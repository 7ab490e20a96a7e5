package tests

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/stack"
)

// slowStorage is a DynamoDB client middleware that makes chosen operations
// slow: it sleeps before sending the request (nothing reaches the table)
// or after the answer came back (the write landed; the answer is late).
// Either way the sleep ends with the call's context, as a real slow
// network would.
type slowStorage struct {
	op    atomic.Pointer[string] // the operation that is slow; nil: none
	after atomic.Bool            // sleep after the call instead of before
	skip  atomic.Int32           // calls of op let through before the slow ones
	sleep time.Duration
}

func (s *slowStorage) set(op string, after bool) { s.op.Store(&op); s.after.Store(after) }

// slowFrom lets the first skip calls of op through, then makes op slow
// (before sending).
func (s *slowStorage) slowFrom(op string, skip int32) {
	s.skip.Store(skip)
	s.set(op, false)
}
func (s *slowStorage) heal() { s.op.Store(nil) }

func (s *slowStorage) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("slowStorage",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				op := s.op.Load()
				if op == nil || *op != middleware.GetOperationName(ctx) || s.skip.Add(-1) >= 0 {
					return next.HandleFinalize(ctx, in)
				}
				wait := func() error {
					select {
					case <-time.After(s.sleep):
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if !s.after.Load() {
					if err := wait(); err != nil {
						return middleware.FinalizeOutput{}, middleware.Metadata{}, err
					}
					return next.HandleFinalize(ctx, in)
				}
				out, md, err := next.HandleFinalize(ctx, in)
				if err == nil {
					if werr := wait(); werr != nil {
						return middleware.FinalizeOutput{}, md, werr
					}
				}
				return out, md, err
			}), middleware.After)
	})
}

// TestDeadline_SlowStorageAnswersUnavailable drives checkouts through an API
// whose storage is slow, with a short request budget: each must answer the
// retryable UNAVAILABLE within its budget (never hang into a gateway 5xx,
// never INTERNAL), leave nothing half-written, and a retry with the same
// idempotency key must succeed — once — when storage is healthy again.
func TestDeadline_SlowStorageAnswersUnavailable(t *testing.T) {
	const budget = 2 * time.Second
	slow := &slowStorage{sleep: time.Minute}
	client, err := dynamolocal.NewClient(t.Context(), aws.ToString(local.DynamoDB.Options().BaseEndpoint), slow.option)
	if err != nil {
		t.Fatal(err)
	}
	h, err := stack.NewAPI(stack.APIConfig{DynamoDB: client, Table: local.Table, JWTSecret: testJWTSecret, RequestBudget: budget,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Rates: stack.Rates{Tenant: 1000, TenantBurst: 1000, Public: 1000, PublicBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	checkoutAt := func(token string, in map[string]any) (gqlResponse, time.Duration) {
		body, _ := json.Marshal(map[string]any{"query": checkoutMutation, "variables": map[string]any{"in": in}})
		start := time.Now()
		r := post(t, srv.URL+"/graphql", "application/json", token, body)
		return r, time.Since(start)
	}
	orderCount := func(s store) int {
		r := gql(t, s.m.token, `{ orders { nodes { id } } }`, nil)
		mustOK(t, r, "")
		return len(field(t, r.Data, "orders.nodes").([]any))
	}

	for _, tc := range []struct {
		name  string
		op    string
		after bool
		// landed: the write reached the table before the answer was lost.
		landed bool
	}{
		{"the checkout's reads are slow", "BatchGetItem", false, false},
		{"the checkout's write is slow to send", "TransactWriteItems", false, false},
		{"the checkout's write landed but its answer is late", "TransactWriteItems", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, "deadline", nil)
			in := s.basket("slow-key", cashPayment(2185, 3000))
			slow.set(tc.op, tc.after)
			r, took := checkoutAt(s.m.token, in)
			slow.heal()
			if r.Status != 200 || r.code() != "UNAVAILABLE" || r.Errors[0].Extensions["requestId"] == "" {
				t.Fatalf("slow storage: status %d, errors %+v; want 200 with a top-level UNAVAILABLE and a request id", r.Status, r.Errors)
			}
			// Not a speed check: without the budget the slow call would run
			// into its own 5 s timeout (and be retried) before any answer,
			// so an answer under that floor is the budget at work, however
			// loaded the machine.
			if took >= dynamo.DefaultCallTimeout {
				t.Fatalf("answered after %v: the %v budget did not end the request before the %v call timeout", took, budget, dynamo.DefaultCallTimeout)
			}
			// Nothing half-done: either the whole sale is there or none of it.
			wantOrders, wantOnigiri, wantMug := 0, int64(100), int64(100)
			if tc.landed {
				wantOrders, wantOnigiri, wantMug = 1, 98, 99
			}
			n, oni, mug := orderCount(s), onHand(t, s.m, s.loc, s.onigiri), onHand(t, s.m, s.loc, s.mug)
			if n != wantOrders || oni != wantOnigiri || mug != wantMug {
				t.Fatalf("after UNAVAILABLE: %d orders, on hand %d and %d; want %d, %d and %d", n, oni, mug, wantOrders, wantOnigiri, wantMug)
			}
			// Storage is healthy: the same key succeeds, and only once.
			r, _ = checkoutAt(s.m.token, in)
			mustOK(t, r, "checkout")
			id := str(t, r.Data, "checkout.order.id")
			again, _ := checkoutAt(s.m.token, in)
			mustOK(t, again, "checkout")
			if str(t, again.Data, "checkout.order.id") != id {
				t.Fatal("a replay made another order")
			}
			if n, oni, mug := orderCount(s), onHand(t, s.m, s.loc, s.onigiri), onHand(t, s.m, s.loc, s.mug); n != 1 || oni != 98 || mug != 99 {
				t.Fatalf("after the retries: %d orders, on hand %d and %d; want 1, 98 and 99", n, oni, mug)
			}
		})
	}
}

// TestDeadline_CardSettlementRunsOut: the card was charged, then recording
// it met slow storage. The completion gets deadline.Grace past the budget,
// then the checkout answers UNAVAILABLE with the sale PENDING_PAYMENT (never
// a completed sale without its payment, nor a lost charge); the retry with
// the same key completes it with the charge the processor already made.
func TestDeadline_CardSettlementRunsOut(t *testing.T) {
	const budget = 2 * time.Second
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	slow := &slowStorage{sleep: time.Minute}
	client, err := dynamolocal.NewClient(t.Context(), aws.ToString(local.DynamoDB.Options().BaseEndpoint), slow.option)
	if err != nil {
		t.Fatal(err)
	}
	// This server's own card simulator: the tenant onboards through it.
	gw, sim, err := stack.NewCardGateway(stack.CardSettings{}, true, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	h, err := stack.NewAPI(stack.APIConfig{DynamoDB: client, Table: local.Table, JWTSecret: testJWTSecret, RequestBudget: budget, Logger: logger,
		Cards: stack.CardConfig{Payments: gw}, Rates: stack.Rates{Tenant: 1000, TenantBurst: 1000, Public: 1000, PublicBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	at := func(token, query string, vars map[string]any) (gqlResponse, time.Duration) {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		start := time.Now()
		r := post(t, srv.URL+"/graphql", "application/json", token, body)
		return r, time.Since(start)
	}

	s := newStore(t, "deadlinecard", nil)
	r, _ := at(s.m.token, `mutation { startCardPaymentsOnboarding { url userErrors { code message } } }`, nil)
	mustOK(t, r, "startCardPaymentsOnboarding")
	in := s.cardBasket("slow-settle", "pm_card_visa", 0)

	// The first transaction (the PENDING_PAYMENT order) goes through; the
	// second (its settlement, after the charge) hangs.
	slow.slowFrom("TransactWriteItems", 1)
	r, took := at(s.m.token, cardCheckoutMutation, map[string]any{"in": in})
	slow.heal()
	if r.Status != 200 || r.code() != "UNAVAILABLE" {
		t.Fatalf("status %d, errors %+v; want 200 with a top-level UNAVAILABLE", r.Status, r.Errors)
	}
	// As above: without the budget (and the completion's grace) the slow
	// settlement would hold the answer past the 5 s call timeout.
	if took >= dynamo.DefaultCallTimeout {
		t.Fatalf("answered after %v: the budget (%v) and the completion's grace did not end it before the %v call timeout", took, budget, dynamo.DefaultCallTimeout)
	}
	orders := gql(t, s.m.token, `{ orders { nodes { id status } } }`, nil)
	mustOK(t, orders, "")
	nodes := field(t, orders.Data, "orders.nodes").([]any)
	if len(nodes) != 1 || nodes[0].(map[string]any)["status"] != "PENDING_PAYMENT" {
		t.Fatalf("after UNAVAILABLE: orders %v, want the one sale still PENDING_PAYMENT", nodes)
	}
	pending := nodes[0].(map[string]any)["id"]

	r, _ = at(s.m.token, cardCheckoutMutation, map[string]any{"in": in})
	mustOK(t, r, "checkout")
	if str(t, r.Data, "checkout.order.id") != pending || str(t, r.Data, "checkout.order.status") != "COMPLETED" ||
		str(t, r.Data, "checkout.order.payments.0.status") != "SUCCEEDED" {
		t.Fatalf("the retry: %v; want order %v COMPLETED", r.Data, pending)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("on hand %d, want 99 (taken once)", got)
	}
}
