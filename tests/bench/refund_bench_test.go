package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/stack"
)

// BenchmarkRefund refunds one unit of a 3-line cash sale with restock on
// the local stack, one refund of a distinct order per operation (the sales
// are made before the clock starts). It reports DynamoDB calls and the
// actions of the refund's transaction per refund, and latency percentiles.
func BenchmarkRefund(b *testing.B) {
	meter := &storageMeter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, DynamoDBOptions: []func(*dynamodb.Options){meter.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	token, vars := newBenchTenant(b, l.URL, "refunds")
	loc := newStockedLocation(b, l.URL, token, "Refund store", vars)
	lines := make([]any, len(vars))
	for i, v := range vars {
		lines[i] = map[string]any{"variantId": v, "quantity": 2}
	}
	const total = 2 * (100 + 200 + 300)
	sale := func() string {
		in := map[string]any{"idempotencyKey": fmt.Sprintf("refund-bench-sale-%d-%d", time.Now().UnixNano(), seq.Add(1)), "locationId": loc, "lines": lines,
			"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": total, "currency": "JPY"}}}}
		d := call(b, l.URL, token, `mutation($in: CheckoutInput!) { checkout(input: $in) { order { lines { id } } userErrors { code message } } }`, map[string]any{"in": in})["checkout"].(map[string]any)
		if ue := d["userErrors"].([]any); len(ue) > 0 {
			b.Fatalf("checkout: %v", ue)
		}
		return d["order"].(map[string]any)["lines"].([]any)[0].(map[string]any)["id"].(string)
	}
	refund := func(line string) {
		in := map[string]any{"idempotencyKey": fmt.Sprintf("refund-bench-%d-%d", time.Now().UnixNano(), seq.Add(1)), "orderId": line[:len(line)-2],
			"lines": []any{map[string]any{"lineId": line, "quantity": 1}}, "restock": true}
		d := call(b, l.URL, token, `mutation($in: RefundInput!) { refund(input: $in) { refund { id } userErrors { code message } } }`, map[string]any{"in": in})["refund"].(map[string]any)
		if ue := d["userErrors"].([]any); len(ue) > 0 {
			b.Fatalf("refund: %v", ue)
		}
	}
	for range 200 { // warm DynamoDB Local's JIT
		refund(sale())
	}
	pool := make([]string, b.N)
	for i := range pool {
		pool[i] = sale()
	}
	meter.reset()
	var next int
	measure(b, 1, func() { refund(pool[next]); next++ })
	b.ReportMetric(float64(meter.ops.Load())/float64(b.N), "storage-calls/op")
	if meter.lastTxn != nil {
		b.ReportMetric(float64(len(meter.lastTxn.TransactItems)), "actions/txn")
	}
}
