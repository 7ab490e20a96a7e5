package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/stack"
)

const syncQ = `mutation($in: SyncOfflineSalesInput!) { syncOfflineSales(input: $in) {
  results { clientSaleId status order { id number } userErrors { code message } } userErrors { code message } } }`

// offlineRounds is how many 500-sale syncs the benchmark times, whatever
// b.N is (`make bench` runs every benchmark 400×; one round is seconds).
const offlineRounds = 5

// BenchmarkOfflineSync times syncOfflineSales of 500 sales (1–3 lines of
// the same 3 items each, cash, at one register) over HTTP on the local
// stack: a fresh batch per round, then the last batch again (all
// DUPLICATE). It reports the sync's wall time and its storage calls and
// transactions.
func BenchmarkOfflineSync(b *testing.B) {
	meter := &storageMeter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, DynamoDBOptions: []func(*dynamodb.Options){meter.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	token, vars := newBenchTenant(b, l.URL, fmt.Sprint("offline", time.Now().UnixNano()))
	loc := newStockedLocation(b, l.URL, token, "Offline", vars)

	batch := func(round int) []any {
		at := time.Now().Add(-3 * time.Hour)
		sales := make([]any, 500)
		for i := range sales {
			n := i%3 + 1
			var lines []any
			total := 0
			for j := range n {
				lines = append(lines, map[string]any{"variantId": vars[j], "quantity": 1})
				total += 100 * (j + 1)
			}
			sales[i] = map[string]any{"clientSaleId": fmt.Sprintf("bench-%d-%d-%d", time.Now().UnixNano(), round, i), "occurredAt": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
				"locationId": loc, "lines": lines, "payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": total, "currency": "JPY"}}}}
		}
		return sales
	}
	sync := func(sales []any, want string) (time.Duration, int64, int64) {
		meter.reset()
		t0 := time.Now()
		d := call(b, l.URL, token, syncQ, map[string]any{"in": map[string]any{"sales": sales}})
		took := time.Since(t0)
		results := d["syncOfflineSales"].(map[string]any)["results"].([]any)
		for _, r := range results {
			if st := r.(map[string]any)["status"]; st != want {
				b.Fatalf("a sale is %v, want %s: %v", st, want, r)
			}
		}
		if len(results) != len(sales) {
			b.Fatalf("%d results for %d sales", len(results), len(sales))
		}
		return took, meter.ops.Load(), meter.txns.Load()
	}

	b.ResetTimer()
	var took []time.Duration
	var ops, txns int64
	var last []any
	for round := range offlineRounds {
		last = batch(round)
		d, o, t := sync(last, "CREATED")
		took, ops, txns = append(took, d), o, t
	}
	replay, replayOps, _ := sync(last, "DUPLICATE")
	b.StopTimer()
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(took[len(took)/2]), "sync500-p50-ms")
	b.ReportMetric(ms(took[len(took)-1]), "sync500-max-ms")
	b.ReportMetric(float64(ops), "storage-calls/sync")
	b.ReportMetric(float64(txns), "transactions/sync")
	b.ReportMetric(ms(replay), "replay500-ms")
	b.Logf("500 offline sales: %v (p50 of %d syncs; max %v); %d storage calls, %d TransactWriteItems; the same batch again (all DUPLICATE): %v, %d storage calls",
		took[len(took)/2].Round(time.Millisecond), offlineRounds, took[len(took)-1].Round(time.Millisecond), ops, txns, replay.Round(time.Millisecond), replayOps)
}
