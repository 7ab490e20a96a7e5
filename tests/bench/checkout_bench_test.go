package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/stack"
)

// storageMeter counts DynamoDB operations and keeps the last checkout
// transaction, so the storage floor can replay its exact shape. It also
// counts every TransactWriteItems attempt (the SDK's retries included) and
// those DynamoDB answered with TransactionCanceledException.
type storageMeter struct {
	ops       atomic.Int64
	txns      atomic.Int64
	cancelled atomic.Int64
	mu        sync.Mutex
	lastTxn   *dynamodb.TransactWriteItemsInput
}

func (m *storageMeter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("meter", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			m.ops.Add(1)
			if tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && len(tw.TransactItems) > 3 {
				m.mu.Lock()
				m.lastTxn = tw
				m.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
		if err != nil {
			return err
		}
		// The deserialize step runs once per attempt, inside the retry loop,
		// and (added first) sees the response already decoded.
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("meter-attempts", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if awsmiddleware.GetOperationName(ctx) == "TransactWriteItems" {
				m.txns.Add(1)
				var tce *types.TransactionCanceledException
				if errors.As(err, &tce) {
					m.cancelled.Add(1)
				}
			}
			return out, md, err
		}), middleware.Before)
	})
}

func (m *storageMeter) reset() {
	m.ops.Store(0)
	m.txns.Store(0)
	m.cancelled.Store(0)
}

// register is where a benchmark worker sells: a location and, when
// registerID is set, one of its registers (otherwise the checkout names none,
// as clients from before registers do).
type register struct {
	token, loc string
	registerID string
	registerNo int
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
		token, vars := newBenchTenant(b, url, fmt.Sprint(t))
		for r := 0; r < registersPerT; r++ {
			regs = append(regs, register{token: token, loc: newStockedLocation(b, url, token, fmt.Sprint("Store ", r), vars), variants: vars, price: 100 + 200 + 300})
		}
	}
	return regs
}

// newBenchTenant signs up a tenant with 3 stock-tracked items (¥100, ¥200,
// ¥300) and returns the owner's token and the items' variant ids.
func newBenchTenant(b *testing.B, url, name string) (token string, vars [3]string) {
	b.Helper()
	token = call(b, url, "", signUpQ, signUpVars())["signUp"].(map[string]any)["accessToken"].(string)
	for i := range vars {
		d := call(b, url, token, `mutation($in: UpsertItemInput!) { upsertItem(input: $in) { item { variants { id } } userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprint("Item ", i), "taxCategory": []string{"STANDARD", "REDUCED", "STANDARD"}[i],
				"variants": []any{map[string]any{"name": "Default", "sku": fmt.Sprintf("SKU-%s-%d", name, i), "trackStock": true, "price": map[string]any{"amount": 100 * (i + 1), "currency": "JPY"}}}}})
		vars[i] = d["upsertItem"].(map[string]any)["item"].(map[string]any)["variants"].([]any)[0].(map[string]any)["id"].(string)
	}
	return token, vars
}

// newStockedLocation creates a location holding benchStock of each variant.
func newStockedLocation(b *testing.B, url, token, name string, vars [3]string) string {
	b.Helper()
	d := call(b, url, token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } } }`, map[string]any{"in": map[string]any{"name": name}})
	loc := d["createLocation"].(map[string]any)["location"].(map[string]any)["id"].(string)
	var changes []any
	for _, v := range vars {
		changes = append(changes, map[string]any{"variantId": v, "setTo": benchStock, "reason": "RECEIVED"})
	}
	d = call(b, url, token, `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) { userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": fmt.Sprint("stock-", loc), "locationId": loc, "changes": changes}})
	if ue := d["adjustInventory"].(map[string]any)["userErrors"].([]any); len(ue) > 0 {
		b.Fatalf("stock %s: %v", loc, ue)
	}
	return loc
}

const checkoutQ = `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id number total { amount } } userErrors { code message } } }`

// BenchmarkCheckout drives 3-line cash checkouts from many registers across
// many tenants, then issues the same TransactWriteItems directly with the SDK
// (the storage floor) from as many workers, and reports both and the ratio.
// Then, in the same run, the two scenarios of issue 7: spread (8 registers in
// 8 tenants) and hot-store (8 registers at one location selling the same 3
// items); see busystore_bench_test.go.
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
	runBusyStore(b, l, meter, regs)
}

func runCheckouts(b *testing.B, l *stack.Local, meter *storageMeter, regs []register, workers int) {
	meter.reset()
	lat, elapsed, unavailable := sell(b, l.URL, regs, workers)
	if unavailable > 0 {
		b.Errorf("%d checkouts UNAVAILABLE", unavailable)
	}
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

// sell runs b.N 3-line cash checkouts over HTTP from `workers` goroutines,
// worker w selling at regs[w%len(regs)] with its own idempotency keys. It
// returns each checkout's latency, the wall time of the whole run and how
// many checkouts were answered UNAVAILABLE (contention beyond the retries).
// A checkout at a named register must come back numbered by that register.
func sell(b *testing.B, url string, regs []register, workers int) (lat []time.Duration, elapsed time.Duration, unavailable int64) {
	lat = make([]time.Duration, b.N)
	var next, keys, failed atomic.Int64
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
				in := map[string]any{"idempotencyKey": fmt.Sprint("bench-", w, "-", keys.Add(1), "-", rand.Int64()), "locationId": reg.loc, "lines": lines,
					"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": reg.price, "currency": "JPY"}, "tendered": map[string]any{"amount": 1000, "currency": "JPY"}}}}
				if reg.registerID != "" {
					in["registerId"] = reg.registerID
				}
				t0 := time.Now()
				d, errs := tryCall(b, url, reg.token, checkoutQ, map[string]any{"in": in})
				lat[i] = time.Since(t0)
				if len(errs) == 1 && errs[0].Extensions.Code == "UNAVAILABLE" {
					failed.Add(1) // contention outlasted the retries: a figure, not a harness fault
					continue
				}
				if len(errs) > 0 {
					b.Errorf("checkout: %+v", errs)
					return
				}
				res := d["checkout"].(map[string]any)
				if ue := res["userErrors"].([]any); len(ue) > 0 {
					b.Errorf("checkout: %v", ue)
					return
				}
				if reg.registerNo > 0 {
					number := res["order"].(map[string]any)["number"].(string)
					if parts := strings.Split(number, "-"); len(parts) != 3 || parts[1] != fmt.Sprintf("%02d", reg.registerNo) {
						b.Errorf("order %s sold at register %d", number, reg.registerNo)
						return
					}
				}
			}
		}(regs[w%len(regs)])
	}
	wg.Wait()
	elapsed = time.Since(start)
	b.StopTimer()
	return lat, elapsed, failed.Load()
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
// still conditional. Puts keep their conditions (new items must not exist);
// an update or a condition check, whose original condition is on the state
// it read (a counter, a version, enough stock), is conditioned on the fresh
// item's absence instead, so it holds without a read.
func freshKeys(tmpl *dynamodb.TransactWriteItemsInput, suffix string) *dynamodb.TransactWriteItemsInput {
	out := &dynamodb.TransactWriteItemsInput{}
	fresh := func(k map[string]types.AttributeValue) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k["pk"].(*types.AttributeValueMemberS).Value + suffix}, "sk": k["sk"]}
	}
	absent := aws.String("attribute_not_exists(pk)")
	for _, it := range tmpl.TransactItems {
		switch {
		case it.Put != nil:
			p := *it.Put
			item := make(map[string]types.AttributeValue, len(p.Item))
			for k, v := range p.Item {
				item[k] = v
			}
			maps.Copy(item, fresh(p.Item))
			p.Item = item
			it = types.TransactWriteItem{Put: &p}
		case it.Update != nil:
			c := *it.Update
			c.Key, c.ConditionExpression = fresh(c.Key), absent
			c.ExpressionAttributeNames, c.ExpressionAttributeValues = usedIn(*c.UpdateExpression, c.ExpressionAttributeNames), usedIn(*c.UpdateExpression, c.ExpressionAttributeValues)
			it = types.TransactWriteItem{Update: &c}
		case it.ConditionCheck != nil:
			c := *it.ConditionCheck
			c.Key, c.ConditionExpression, c.ExpressionAttributeNames, c.ExpressionAttributeValues = fresh(c.Key), absent, nil, nil
			it = types.TransactWriteItem{ConditionCheck: &c}
		}
		out.TransactItems = append(out.TransactItems, it)
	}
	return out
}

var placeholder = regexp.MustCompile(`[:#][A-Za-z0-9_]+`)

// usedIn keeps the expression names or values an expression refers to:
// DynamoDB refuses unused ones.
func usedIn[V any](expr string, m map[string]V) map[string]V {
	if len(m) == 0 {
		return m
	}
	out := map[string]V{}
	for _, p := range placeholder.FindAllString(expr, -1) {
		if v, ok := m[p]; ok {
			out[p] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func percentiles(lat []time.Duration) [3]float64 {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	p := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000 }
	return [3]float64{p(0.50), p(0.95), p(0.99)}
}
