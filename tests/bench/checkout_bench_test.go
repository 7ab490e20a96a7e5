package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/stack"
)

// storageMeter counts DynamoDB operations and keeps the last checkout
// transaction, so the storage floor can replay its exact shape.
type storageMeter struct {
	ops     atomic.Int64
	mu      sync.Mutex
	lastTxn *dynamodb.TransactWriteItemsInput
}

func (m *storageMeter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("meter", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			m.ops.Add(1)
			if tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && len(tw.TransactItems) > 3 {
				m.mu.Lock()
				m.lastTxn = tw
				m.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
}

type register struct {
	token, loc string
	variants   [3]string
	price      int64
}

const (
	benchTenants  = 8
	registersPerT = 4
	checkoutLines = 3
	benchStock    = 1_000_000
)

func setUpRegisters(b *testing.B, url string) []register {
	b.Helper()
	var regs []register
	for t := 0; t < benchTenants; t++ {
		d := call(b, url, "", signUpQ, signUpVars())
		token := d["signUp"].(map[string]any)["accessToken"].(string)
		var vars [3]string
		for i := range vars {
			d := call(b, url, token, `mutation($in: UpsertItemInput!) { upsertItem(input: $in) { item { variants { id } } userErrors { code message } } }`,
				map[string]any{"in": map[string]any{"name": fmt.Sprint("Item ", i), "taxCategory": []string{"STANDARD", "REDUCED", "STANDARD"}[i],
					"variants": []any{map[string]any{"name": "Default", "sku": fmt.Sprintf("SKU-%d-%d", t, i), "price": map[string]any{"amount": 100 * (i + 1), "currency": "JPY"}}}}})
			vars[i] = d["upsertItem"].(map[string]any)["item"].(map[string]any)["variants"].([]any)[0].(map[string]any)["id"].(string)
		}
		for r := 0; r < registersPerT; r++ {
			d := call(b, url, token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } } }`, map[string]any{"in": map[string]any{"name": fmt.Sprint("Store ", r)}})
			loc := d["createLocation"].(map[string]any)["location"].(map[string]any)["id"].(string)
			var changes []any
			for _, v := range vars {
				changes = append(changes, map[string]any{"variantId": v, "setTo": benchStock, "reason": "RECEIVED"})
			}
			call(b, url, token, `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) { userErrors { code } } }`,
				map[string]any{"in": map[string]any{"idempotencyKey": fmt.Sprint("stock-", loc), "locationId": loc, "changes": changes}})
			regs = append(regs, register{token: token, loc: loc, variants: vars, price: 100 + 200 + 300})
		}
	}
	return regs
}

const checkoutQ = `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id number total { amount } } userErrors { code message } } }`

// BenchmarkCheckout drives 3-line cash checkouts from many registers across
// many tenants, then issues the same TransactWriteItems directly with the SDK
// (the storage floor) from as many workers, and reports both and the ratio.
func BenchmarkCheckout(b *testing.B) {
	meter := &storageMeter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, DynamoDBOptions: []func(*dynamodb.Options){meter.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	regs := setUpRegisters(b, l.URL)
	for _, workers := range []int{1, 8, len(regs)} {
		b.Run(fmt.Sprintf("registers=%d", workers), func(b *testing.B) { runCheckouts(b, l, meter, regs, workers) })
	}
}

func runCheckouts(b *testing.B, l *stack.Local, meter *storageMeter, regs []register, workers int) {
	var seq atomic.Int64
	meter.ops.Store(0)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(reg register) {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				var lines []any
				for _, v := range reg.variants {
					lines = append(lines, map[string]any{"variantId": v, "quantity": 1})
				}
				in := map[string]any{"idempotencyKey": fmt.Sprint("bench-", seq.Add(1), "-", rand.Int64()), "locationId": reg.loc, "lines": lines,
					"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": reg.price, "currency": "JPY"}, "tendered": map[string]any{"amount": 1000, "currency": "JPY"}}}}
				t0 := time.Now()
				d := call(b, l.URL, reg.token, checkoutQ, map[string]any{"in": in})
				lat[i] = time.Since(t0)
				if ue := d["checkout"].(map[string]any)["userErrors"].([]any); len(ue) > 0 {
					b.Errorf("checkout: %v", ue)
					return
				}
			}
		}(regs[w%len(regs)])
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	ops := meter.ops.Load()
	cp := percentiles(lat)
	floor := storageFloor(b, l.DynamoDB, meter.lastTxn, b.N, workers)
	fp := percentiles(floor)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "checkouts/s")
	b.ReportMetric(cp[0], "p50-ms")
	b.ReportMetric(cp[1], "p95-ms")
	b.ReportMetric(cp[2], "p99-ms")
	b.ReportMetric(float64(ops)/float64(b.N), "ddb-calls/checkout")
	b.ReportMetric(fp[0], "floor-p50-ms")
	b.ReportMetric(fp[2], "floor-p99-ms")
	b.ReportMetric(cp[0]/fp[0], "ratio-p50")
	if b.N > 1 {
		b.Logf("%d checkouts from %d registers (%d tenants): %.0f/s, p50 %.2f ms p95 %.2f ms p99 %.2f ms, %.2f DynamoDB calls each; floor (same TransactWriteItems via SDK) p50 %.2f ms p99 %.2f ms; ratio p50 %.2f",
			b.N, workers, min(workers, benchTenants), float64(b.N)/elapsed.Seconds(), cp[0], cp[1], cp[2], float64(ops)/float64(b.N), fp[0], fp[2], cp[0]/fp[0])
	}
}

// floorSeq makes every replayed transaction's keys unique across runs.
var floorSeq atomic.Int64

// storageFloor replays the captured checkout transaction n times from the
// same number of workers, with fresh keys for the items it creates.
func storageFloor(b *testing.B, c *dynamodb.Client, tmpl *dynamodb.TransactWriteItemsInput, n, workers int) []time.Duration {
	if tmpl == nil {
		b.Fatal("no checkout transaction captured")
	}
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				in := freshKeys(tmpl, fmt.Sprint("#floor", floorSeq.Add(1)))
				t0 := time.Now()
				if _, err := c.TransactWriteItems(b.Context(), in); err != nil {
					b.Errorf("floor transaction: %v", err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return lat
}

// freshKeys copies a transaction, giving every item a new partition key so
// the copy writes what the original wrote, once more: the same actions, each
// still conditional (new items must not exist, the counter and the levels
// are conditioned on their previous state).
func freshKeys(tmpl *dynamodb.TransactWriteItemsInput, suffix string) *dynamodb.TransactWriteItemsInput {
	out := &dynamodb.TransactWriteItemsInput{}
	for _, it := range tmpl.TransactItems {
		if it.Put != nil {
			p := *it.Put
			item := make(map[string]types.AttributeValue, len(p.Item))
			for k, v := range p.Item {
				item[k] = v
			}
			pk := item["pk"].(*types.AttributeValueMemberS).Value
			item["pk"] = &types.AttributeValueMemberS{Value: pk + suffix}
			p.Item = item
			it = types.TransactWriteItem{Put: &p}
		}
		if u := it.Update; u != nil {
			pk := u.Key["pk"].(*types.AttributeValueMemberS).Value
			c := *u
			c.Key = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk + suffix}, "sk": u.Key["sk"]}
			vals := make(map[string]types.AttributeValue, len(u.ExpressionAttributeValues))
			for k, v := range u.ExpressionAttributeValues {
				vals[k] = v
			}
			switch {
			case strings.Contains(pk, "#ORDERSEQ#"): // the first number of a new counter
				vals[":prev"], vals[":seq"] = &types.AttributeValueMemberN{Value: "0"}, &types.AttributeValueMemberN{Value: "1"}
			case strings.Contains(pk, "#STOCK#"): // a level's first write: conditioned on its absence
				delete(vals, ":read")
				c.ConditionExpression = aws.String("attribute_not_exists(pk)")
			}
			c.ExpressionAttributeValues = vals
			it = types.TransactWriteItem{Update: &c}
		}
		out.TransactItems = append(out.TransactItems, it)
	}
	return out
}

func percentiles(lat []time.Duration) [3]float64 {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	p := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000 }
	return [3]float64{p(0.50), p(0.95), p(0.99)}
}
