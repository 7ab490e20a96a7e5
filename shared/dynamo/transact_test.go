package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/idempotency"
)

// injectConflicts makes the first n TransactWriteItems calls fail the way
// DynamoDB does under contention (DynamoDB Local never does).
func injectConflicts(n int64, calls *atomic.Int64) func(*dynamodb.Options) {
	var left atomic.Int64
	left.Store(n)
	return conflictInjector(&left, calls)
}

// conflictInjector fails TransactWriteItems while *left is positive, so a
// test can arm it after its setup transactions.
func conflictInjector(left, calls *atomic.Int64) func(*dynamodb.Options) {
	return injectFailures(left, calls, cancelledFor("TransactionConflict"))
}

// cancelledFor returns a failure that cancels a transaction with one action
// (the last) failing for reason.
func cancelledFor(reason string) func(any) error {
	return func(params any) error {
		tw, ok := params.(*dynamodb.TransactWriteItemsInput)
		if !ok {
			return nil
		}
		reasons := make([]types.CancellationReason, len(tw.TransactItems))
		for i := range reasons {
			reasons[i] = types.CancellationReason{Code: aws.String("None")}
		}
		reasons[len(reasons)-1] = types.CancellationReason{Code: aws.String(reason), Message: aws.String("injected")}
		return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
	}
}

// injectFailures makes calls fail with fail(params) while *left is
// positive; fail returns nil for the operations it leaves alone. calls
// counts the operations fail applies to. Injected errors do not pass
// through the SDK's retryer, so every one reaches renkei's own handling.
func injectFailures(left, calls *atomic.Int64, fail func(params any) error) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("injectFailure",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					err := fail(in.Parameters)
					if err == nil {
						return next.HandleInitialize(ctx, in)
					}
					calls.Add(1)
					if left.Add(-1) >= 0 {
						return middleware.InitializeOutput{}, middleware.Metadata{}, err
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}

func counterPut(t *Table, pk string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &t.name, Key: key(pk, "C"),
		UpdateExpression:          aws.String("ADD n :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
	}}
}

func readCounter(tb testing.TB, t *Table, pk string) int {
	tb.Helper()
	out, err := t.client.GetItem(tb.Context(), &dynamodb.GetItemInput{TableName: &t.name, Key: key(pk, "C"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		tb.Fatal(err)
	}
	if out.Item == nil {
		return 0
	}
	n, _ := strconv.Atoi(out.Item["n"].(*types.AttributeValueMemberN).Value)
	return n
}

func TestTransact_RetriesConflicts(t *testing.T) {
	var calls atomic.Int64
	tb := mustTable(t, injectConflicts(3, &calls))
	if err := tb.Transact(t.Context(), []types.TransactWriteItem{counterPut(tb, "c1")}); err != nil {
		t.Fatalf("Transact after 3 conflicts: %v", err)
	}
	if calls.Load() != 4 {
		t.Fatalf("calls = %d, want 3 conflicts + 1 success", calls.Load())
	}
	if n := readCounter(t, tb, "c1"); n != 1 {
		t.Fatalf("counter = %d, want exactly one write", n)
	}
}

func TestTransact_GivesUpAsUnavailable(t *testing.T) {
	var calls atomic.Int64
	tb := mustTable(t, injectConflicts(1000, &calls))
	err := tb.Transact(t.Context(), []types.TransactWriteItem{counterPut(tb, "c2")})
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if calls.Load() != int64(backoff.Contention.Attempts) {
		t.Fatalf("calls = %d, want %d (bounded)", calls.Load(), backoff.Contention.Attempts)
	}
}

// DynamoDB Local never throttles: every throttling path is injected.
func TestTransact_Throttling(t *testing.T) {
	throughput := func(params any) error {
		if _, ok := params.(*dynamodb.TransactWriteItemsInput); !ok {
			return nil
		}
		return &types.ProvisionedThroughputExceededException{Message: aws.String("injected")}
	}
	tests := []struct {
		name      string
		fail      func(any) error
		failures  int64
		wantCode  apperr.Code // "" for success
		wantCalls int64
	}{
		{"cancelled for throttling, then written", cancelledFor("ThrottlingError"), 2, "", 3},
		{"cancelled for throttling until the retries run out", cancelledFor("ThrottlingError"), 1000, apperr.Unavailable, int64(backoff.Contention.Attempts)},
		{"throughput exceeded, then written", throughput, 1, "", 2},
		{"throughput exceeded until the retries run out", throughput, 1000, apperr.Unavailable, int64(backoff.Contention.Attempts)},
		{"a validation cancellation is not retried", cancelledFor("ValidationError"), 1000, apperr.Internal, 1},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls, left atomic.Int64
			left.Store(tc.failures)
			tb := mustTable(t, injectFailures(&left, &calls, tc.fail))
			pk := fmt.Sprint("throttle", i)
			err := tb.Transact(t.Context(), []types.TransactWriteItem{counterPut(tb, pk)})
			if apperr.CodeOf(err) != tc.wantCode || calls.Load() != tc.wantCalls {
				t.Fatalf("err = %v (code %q), calls %d; want code %q after %d calls", err, apperr.CodeOf(err), calls.Load(), tc.wantCode, tc.wantCalls)
			}
			want := 0
			if tc.wantCode == "" {
				want = 1
			}
			if n := readCounter(t, tb, pk); n != want {
				t.Fatalf("counter = %d, want %d", n, want)
			}
		})
	}
}

// Reads refused for capacity after the SDK's own retries are UNAVAILABLE
// wherever they happen, not INTERNAL.
func TestTable_ThrottledReadsAreUnavailable(t *testing.T) {
	var calls, left atomic.Int64
	left.Store(1 << 40)
	tb := mustTable(t, injectFailures(&left, &calls, func(params any) error {
		switch params.(type) {
		case *dynamodb.BatchGetItemInput, *dynamodb.QueryInput, *dynamodb.GetItemInput:
			return &types.RequestLimitExceeded{Message: aws.String("injected")}
		}
		return nil
	}))
	ctx := tenantCtx(t)
	if _, err := tb.BatchGet(ctx, []map[string]types.AttributeValue{key("a", "b")}); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("BatchGet: %v", err)
	}
	if _, err := NewTenantStore(tb).ListLocations(ctx); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("Query: %v", err)
	}
	if _, err := NewTenantStore(tb).GetTenant(ctx); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("GetItem: %v", err)
	}
}

func TestTransact_ConditionFailureIsNotRetried(t *testing.T) {
	tb := mustTable(t)
	put := types.TransactWriteItem{Put: &types.Put{TableName: &tb.name, Item: key("x", "y"), ConditionExpression: aws.String("attribute_not_exists(pk)")}}
	if err := tb.Transact(t.Context(), []types.TransactWriteItem{put}); err != nil {
		t.Fatal(err)
	}
	err := tb.Transact(t.Context(), []types.TransactWriteItem{counterPut(tb, "c3"), put})
	var ce *CanceledError
	if !errors.As(err, &ce) || ce.Failed(0) || !ce.Failed(1) {
		t.Fatalf("err = %v, want condition failure on action 1", err)
	}
	if n := readCounter(t, tb, "c3"); n != 0 {
		t.Fatal("a cancelled transaction wrote")
	}
}

// lookupIdempotency reads req's record: its result and true when the same
// request was done, IDEMPOTENCY_KEY_REUSED for another, false when unused.
func lookupIdempotency(tb testing.TB, t *Table, ctx context.Context, req idempotency.Request) ([]byte, bool, error) {
	tb.Helper()
	k, err := t.idempotencyKey(ctx, req)
	if err != nil {
		return nil, false, err
	}
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return nil, false, err
	}
	res, err := matchIdempotency(out.Item, req.Hash)
	return res, err == nil, err
}

func TestTransactIdempotent(t *testing.T) {
	tb := mustTable(t)
	ctx := tenantCtx(t)
	req := idempotency.New("test", "k1", idempotency.Fields{"req": "a"})
	now := time.Now()

	res, replayed, err := tb.TransactIdempotent(ctx, req, []byte("order-1"), []types.TransactWriteItem{counterPut(tb, "i1")}, now)
	if err != nil || replayed || string(res) != "order-1" {
		t.Fatalf("first: %q %v %v", res, replayed, err)
	}
	t.Run("same request replays without writing", func(t *testing.T) {
		res, replayed, err := tb.TransactIdempotent(ctx, req, []byte("order-2"), []types.TransactWriteItem{counterPut(tb, "i1")}, now)
		if err != nil || !replayed || string(res) != "order-1" {
			t.Fatalf("replay: %q %v %v", res, replayed, err)
		}
		if n := readCounter(t, tb, "i1"); n != 1 {
			t.Fatalf("counter = %d after replay", n)
		}
		got, ok, err := lookupIdempotency(t, tb, ctx, req)
		if err != nil || !ok || string(got) != "order-1" {
			t.Fatalf("lookup: %q %v %v", got, ok, err)
		}
	})
	t.Run("different request is refused", func(t *testing.T) {
		other := idempotency.New("test", "k1", idempotency.Fields{"req": "b"})
		_, _, err := tb.TransactIdempotent(ctx, other, []byte("x"), []types.TransactWriteItem{counterPut(tb, "i1")}, now)
		if apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("err = %v", err)
		}
		if n := readCounter(t, tb, "i1"); n != 1 {
			t.Fatalf("counter = %d after a refused request", n)
		}
	})
	t.Run("an invalid key is refused before any write", func(t *testing.T) {
		bad := idempotency.New("test", "k\x00", idempotency.Fields{})
		if _, _, err := tb.TransactIdempotent(ctx, bad, nil, []types.TransactWriteItem{counterPut(tb, "i5")}, now); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("same key in another tenant is independent", func(t *testing.T) {
		_, replayed, err := tb.TransactIdempotent(tenantCtx(t), req, []byte("order-3"), []types.TransactWriteItem{counterPut(tb, "i2")}, now)
		if err != nil || replayed {
			t.Fatalf("other tenant: %v %v", replayed, err)
		}
	})
	t.Run("concurrent requests with one key write once and replay from the cancellation", func(t *testing.T) {
		req := idempotency.New("test", "k-concurrent", idempotency.Fields{"req": "c"})
		var wg sync.WaitGroup
		var written, replays atomic.Int64
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, replayed, err := tb.TransactIdempotent(ctx, req, []byte("r"), []types.TransactWriteItem{counterPut(tb, "i3")}, now)
				if err != nil || string(res) != "r" {
					t.Errorf("concurrent: %q %v", res, err)
					return
				}
				if replayed {
					replays.Add(1)
				} else {
					written.Add(1)
				}
			}()
		}
		wg.Wait()
		if written.Load() != 1 || replays.Load() != 19 || readCounter(t, tb, "i3") != 1 {
			t.Fatalf("written %d replays %d counter %d", written.Load(), replays.Load(), readCounter(t, tb, "i3"))
		}
	})
	t.Run("caller's condition failures keep caller indexes", func(t *testing.T) {
		put := types.TransactWriteItem{Put: &types.Put{TableName: &tb.name, Item: key("dup", "dup"), ConditionExpression: aws.String("attribute_not_exists(pk)")}}
		if err := tb.Transact(ctx, []types.TransactWriteItem{put}); err != nil {
			t.Fatal(err)
		}
		req := idempotency.New("test", "k-fail", idempotency.Fields{})
		_, _, err := tb.TransactIdempotent(ctx, req, []byte("x"), []types.TransactWriteItem{counterPut(tb, "i4"), put}, now)
		var ce *CanceledError
		if !errors.As(err, &ce) || len(ce.Reasons) != 2 || !ce.Failed(1) {
			t.Fatalf("err = %v", err)
		}
		if _, ok, _ := lookupIdempotency(t, tb, ctx, req); ok {
			t.Fatal("a failed write left an idempotency record")
		}
	})
}

// A checkout whose transaction DynamoDB keeps cancelling for throttling is
// UNAVAILABLE (retry with the same key), never INTERNAL, and writes nothing;
// once the throttling passes, the same key sells once.
func TestSalesStore_CheckoutThrottled(t *testing.T) {
	var calls, left atomic.Int64
	tb := mustTable(t, injectFailures(&left, &calls, cancelledFor("ThrottlingError")))
	sh := newShop(t, tb, 5)
	calls.Store(0)
	left.Store(1 << 40)
	if _, err := sh.checkout(t, "throttled", 1); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if calls.Load() != int64(backoff.Contention.Attempts) {
		t.Fatalf("transactions = %d, want %d", calls.Load(), backoff.Contention.Attempts)
	}
	if l := sh.level(t); l.OnHand != 5 || l.Version != 1 {
		t.Fatalf("a throttled sale wrote: %+v", l)
	}
	left.Store(0)
	o, err := sh.checkout(t, "throttled", 1)
	if err != nil || o.Number != "001-01-000001" {
		t.Fatalf("retry with the same key: %+v %v", o, err)
	}
	if l := sh.level(t); l.OnHand != 4 {
		t.Fatalf("level after the retry: %+v", l)
	}
}
