package bench

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/stack"
)

// BenchmarkGiftCardCheckout compares a 3-line checkout (¥600) paid in cash
// with the same checkout paid by gift card in a split tender (¥500 from the
// card, ¥100 in cash), and with one that also loads ¥1,000 onto another card
// (a load line beside the goods). One register, one client at a time; it
// reports DynamoDB calls and transaction attempts per checkout and latency
// percentiles. The target: still one read and one transaction.
// opCounter counts DynamoDB calls by operation name (as a metric per op).
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int64
}

func (m *opCounter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("op-meter", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			name := strings.TrimPrefix(fmt.Sprintf("%T", in.Parameters), "*dynamodb.")
			m.mu.Lock()
			if m.ops == nil {
				m.ops = map[string]int64{}
			}
			m.ops[strings.TrimSuffix(name, "Input")]++
			m.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
}

func (m *opCounter) reset() { m.mu.Lock(); m.ops = nil; m.mu.Unlock() }

func (m *opCounter) snapshot() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.ops)
}

func BenchmarkGiftCardCheckout(b *testing.B) {
	meter, byOp := &storageMeter{}, &opCounter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000},
		DynamoDBOptions: []func(*dynamodb.Options){meter.option, byOp.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	token, vars := newBenchTenant(b, l.URL, "giftcards")
	loc := newStockedLocation(b, l.URL, token, "Gift card store", vars)
	const total = 100 + 200 + 300
	lines := make([]any, len(vars))
	for i, v := range vars {
		lines[i] = map[string]any{"variantId": v, "quantity": 1}
	}
	yen := func(a int64) map[string]any { return map[string]any{"amount": a, "currency": "JPY"} }
	number := func() string {
		n, err := giftcards.NewNumber()
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	q := `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status } userErrors { code message } } }`
	sale := func(b *testing.B, lines []any, loads []any, payments ...map[string]any) {
		in := map[string]any{"idempotencyKey": fmt.Sprintf("gc-bench-%d-%d", time.Now().UnixNano(), seq.Add(1)), "locationId": loc,
			"lines": lines, "payments": payments}
		if loads != nil {
			in["giftCardLoads"] = loads
		}
		d := call(b, l.URL, token, q, map[string]any{"in": in})["checkout"].(map[string]any)
		if ue := d["userErrors"].([]any); len(ue) > 0 {
			b.Fatalf("checkout: %v", ue)
		}
	}
	// The card spent: loaded once with enough for every sale of the run.
	card := number()
	sale(b, []any{}, []any{map[string]any{"number": card, "amount": yen(5_000_000)}}, map[string]any{"method": "CASH", "amount": yen(5_000_000)})
	cash := map[string]any{"method": "CASH", "amount": yen(total)}
	split := []map[string]any{{"method": "GIFT_CARD", "amount": yen(500), "giftCardNumber": card}, {"method": "CASH", "amount": yen(100)}}
	// DynamoDB Local is a JVM: warm it with both kinds of sale first.
	for range 200 {
		sale(b, lines, nil, cash)
		sale(b, lines, nil, split...)
	}
	for _, tc := range []struct {
		name string
		run  func(b *testing.B)
	}{
		{"cash", func(b *testing.B) { sale(b, lines, nil, cash) }},
		{"gift-card-split", func(b *testing.B) { sale(b, lines, nil, split...) }},
		{"gift-card-split+load", func(b *testing.B) {
			sale(b, lines, []any{map[string]any{"number": number(), "amount": yen(1000)}},
				split[0], map[string]any{"method": "CASH", "amount": yen(1100)})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			meter.reset()
			byOp.reset()
			measure(b, 1, func() { tc.run(b) })
			b.ReportMetric(float64(meter.ops.Load())/float64(b.N), "storage-calls/op")
			b.ReportMetric(float64(meter.txns.Load())/float64(b.N), "txn-attempts/op")
			// The calls by operation: the request's BatchGetItem and
			// TransactWriteItems, and whatever else the process did meanwhile
			// (the in-process stream consumer's aggregation).
			for op, n := range byOp.snapshot() {
				b.ReportMetric(float64(n)/float64(b.N), op+"/op")
			}
		})
	}
}
