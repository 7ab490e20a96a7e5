package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/connectors/webhook"
	"github.com/renkei-pos/renkei/shared/stack"
)

// Issue 9's figures: how long a committed sale takes to reach a connected
// webhook endpoint while the store is selling (sync lag), also while another
// tenant's endpoint is slow, and how many jobs per second the local worker
// delivers from a burst. Each sub-benchmark measures once, whatever b.N is
// (`make bench` runs every benchmark 400×), and reports the same figures on
// every call.

const (
	lagClients  = 8 // concurrent clients selling, each at its own location
	slowDelay   = 200 * time.Millisecond
	slowBacklog = 300 // offline sales of the slow tenant before the run
	burstSales  = 500 // offline sales in the worker burst, split among its tenants
)

// hookSink is a webhook endpoint: it verifies each delivery's
// Renkei-Signature (as a merchant's receiver should; a failure is answered
// 400 and counted), records when the request arrived and when it was
// answered, and may answer slowly.
type hookSink struct {
	srv   *httptest.Server
	delay time.Duration

	mu       sync.Mutex
	secret   string
	got      []hookArrival
	byEvent  map[string]int
	rejected int
	changed  chan struct{}
}

type hookArrival struct {
	eventID, typ, orderID string
	arrived, answered     time.Time
}

func newHookSink(b *testing.B, delay time.Duration) *hookSink {
	s := &hookSink{delay: delay, byEvent: map[string]int{}, changed: make(chan struct{}, 1)}
	s.srv = httptest.NewServer(s)
	b.Cleanup(s.srv.Close)
	return s
}

func (s *hookSink) url() string { return s.srv.URL + "/hooks/renkei" }

func (s *hookSink) setSecret(secret string) {
	s.mu.Lock()
	s.secret = secret
	s.mu.Unlock()
}

func (s *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	secret := s.secret
	s.mu.Unlock()
	var ev struct {
		ID, Type string
		Data     struct {
			OrderID string `json:"orderId"`
		}
	}
	if err == nil {
		err = webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), webhook.DefaultTolerance)
	}
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	if err != nil || r.Header.Get(webhook.EventIDHeader) != ev.ID {
		s.mu.Lock()
		s.rejected++
		s.mu.Unlock()
		http.Error(w, "signature verification failed", http.StatusBadRequest)
		return
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	w.WriteHeader(http.StatusOK)
	s.mu.Lock()
	s.got = append(s.got, hookArrival{eventID: ev.ID, typ: ev.Type, orderID: ev.Data.OrderID, arrived: arrived, answered: time.Now()})
	s.byEvent[ev.ID]++
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// arrivals returns the deliveries so far.
func (s *hookSink) arrivals() []hookArrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// waitOrders waits until n distinct order.completed events have arrived.
func (s *hookSink) waitOrders(b *testing.B, n int, timeout time.Duration) {
	b.Helper()
	deadline := time.After(timeout)
	for {
		got := 0
		for _, a := range s.arrivals() {
			if a.typ == "order.completed" {
				got++
			}
		}
		if got >= n {
			return
		}
		select {
		case <-s.changed:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			b.Fatalf("%d of %d order.completed deliveries within %s", got, n, timeout)
		}
	}
}

// duplicates counts events delivered more than once.
func (s *hookSink) duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.byEvent {
		if c > 1 {
			n++
		}
	}
	return n
}

// connectWebhook connects a WEBHOOK integration for events to sink and
// gives the sink its signing secret.
func connectWebhook(b *testing.B, url, token string, sink *hookSink, events ...string) string {
	b.Helper()
	d := call(b, url, token, `mutation($in: ConnectIntegrationInput!) { connectIntegration(input: $in) { integration { id } signingSecret userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"provider": "WEBHOOK", "name": "bench", "settings": map[string]any{"url": sink.url(), "events": events}}})
	res := d["connectIntegration"].(map[string]any)
	if ue := res["userErrors"].([]any); len(ue) > 0 {
		b.Fatalf("connectIntegration: %v", ue)
	}
	sink.setSecret(res["signingSecret"].(string))
	return res["integration"].(map[string]any)["id"].(string)
}

// pendingJobs is the tenant's pendingJobs over its integrations.
func pendingJobs(b *testing.B, url, token string) int {
	b.Helper()
	n := 0
	for _, in := range call(b, url, token, `{ integrations { pendingJobs } }`, nil)["integrations"].([]any) {
		n += int(in.(map[string]any)["pendingJobs"].(float64))
	}
	return n
}

// offlineBatch is n cash sales of 1–3 lines of vars at loc, dated in the
// last hours, with fresh client ids.
func offlineBatch(loc string, vars [3]string, n int) []any {
	at := time.Now().Add(-3 * time.Hour)
	prefix := fmt.Sprintf("ib-%d-%d", time.Now().UnixNano(), rand.Int64())
	sales := make([]any, n)
	for i := range sales {
		var lines []any
		total := 0
		for j := range i%3 + 1 {
			lines = append(lines, map[string]any{"variantId": vars[j], "quantity": 1})
			total += 100 * (j + 1)
		}
		sales[i] = map[string]any{"clientSaleId": fmt.Sprintf("%s-%d", prefix, i), "occurredAt": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
			"locationId": loc, "lines": lines, "payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": total, "currency": "JPY"}}}}
	}
	return sales
}

func syncOffline(b *testing.B, url, token string, sales []any) {
	b.Helper()
	d := call(b, url, token, syncQ, map[string]any{"in": map[string]any{"sales": sales}})
	for _, r := range d["syncOfflineSales"].(map[string]any)["results"].([]any) {
		if st := r.(map[string]any)["status"]; st != "CREATED" {
			b.Fatalf("an offline sale is %v: %v", st, r)
		}
	}
}

// lagResult is one sync-lag scenario's figures.
type lagResult struct {
	lag                     []time.Duration
	rate                    float64
	dups, rejected, retries int
	slowBefore, slowAfter   int // the slow tenant's pending jobs around the run
	slowDelivered           int
	allDelivered            time.Duration
}

// lagScenario is how the healthy tenant sells.
type lagScenario struct {
	sales int
	// pace is each client's interval between checkouts (0: flat out).
	pace time.Duration
	// slow runs it beside a tenant whose endpoint is slow and backlogged.
	slow bool
}

// BenchmarkSyncLag: a tenant with 8 locations of 3 stock-tracked items,
// connected to a verifying webhook endpoint for order.completed, sells
// 3-line cash checkouts from 8 concurrent clients, one per location; each
// sale's lag is the order.completed delivery's arrival at the endpoint
// minus the moment the checkout's HTTP response arrived (the sale
// committed).
//
//   - flat-out: 400 checkouts, each client selling again as soon as it is
//     answered — faster than one tenant's jobs are delivered, so the lag is
//     the backlog's;
//   - paced/alone: 300 checkouts, each client one every 400 ms (20/s in all);
//   - paced/beside-slow-tenant: the same while another tenant, whose
//     endpoint answers after 200 ms, has a backlog of ≈ 330 jobs (an
//     offline sync of 300 sales made just before; order.completed and
//     inventory.changed) that the worker is draining.
func BenchmarkSyncLag(b *testing.B) {
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	var alone *lagResult
	for _, sc := range []struct {
		name string
		lagScenario
	}{
		{"flat-out", lagScenario{sales: 400}},
		{"paced/alone", lagScenario{sales: 300, pace: 400 * time.Millisecond}},
		{"paced/beside-slow-tenant", lagScenario{sales: 300, pace: 400 * time.Millisecond, slow: true}},
	} {
		var r *lagResult
		b.Run(sc.name, func(b *testing.B) {
			if r == nil {
				r = runSyncLag(b, l, sc.lagScenario)
			}
			reportLag(b, r)
			if sc.name == "paced/alone" {
				alone = r
			}
			if sc.slow && alone != nil && b.N > 1 {
				ap, bp := percentiles(alone.lag), percentiles(r.lag)
				b.Logf("beside a slow tenant / alone: p50 %.2f×, p99 %.2f×", bp[0]/ap[0], bp[2]/ap[2])
			}
		})
	}
}

func runSyncLag(b *testing.B, l *stack.Local, sc lagScenario) *lagResult {
	res := &lagResult{}
	slow := sc.slow
	var slowToken string
	var slowSink *hookSink
	if slow {
		var vars [3]string
		slowToken, vars = newBenchTenant(b, l.URL, fmt.Sprint("slow", time.Now().UnixNano()))
		loc := newStockedLocation(b, l.URL, slowToken, "Slow", vars)
		slowSink = newHookSink(b, slowDelay)
		connectWebhook(b, l.URL, slowToken, slowSink, "order.completed", "inventory.changed")
		syncOffline(b, l.URL, slowToken, offlineBatch(loc, vars, slowBacklog))
		// Wait until the dispatcher has made every job of the backlog (its
		// jobs pending plus delivered stop growing), so the healthy tenant's
		// events do not queue behind them in the stream.
		deadline := time.Now().Add(30 * time.Second)
		for made := -1; ; time.Sleep(time.Second) {
			res.slowBefore = pendingJobs(b, l.URL, slowToken)
			n := res.slowBefore + len(slowSink.arrivals())
			if n == made && n >= slowBacklog {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the slow tenant's backlog did not settle: %d pending, %d delivered", res.slowBefore, len(slowSink.arrivals()))
			}
			made = n
		}
	}
	token, vars := newBenchTenant(b, l.URL, fmt.Sprint("lag", time.Now().UnixNano()))
	// Each client sells at its own location (a chain's stores): the
	// busy-store benchmark measures the contention of one location.
	locs := make([]string, lagClients)
	for i := range locs {
		locs[i] = newStockedLocation(b, l.URL, token, fmt.Sprint("Lag ", i), vars)
	}
	sink := newHookSink(b, 0)
	connectWebhook(b, l.URL, token, sink, "order.completed")

	var mu sync.Mutex
	committed := make(map[string]time.Time, sc.sales)
	var next, retries atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range lagClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; next.Add(1) <= int64(sc.sales); k++ {
				if sc.pace > 0 {
					// The clients start spread over one interval.
					time.Sleep(time.Until(start.Add(time.Duration(w)*sc.pace/lagClients + time.Duration(k)*sc.pace)))
				}
				var lines []any
				for _, v := range vars {
					lines = append(lines, map[string]any{"variantId": v, "quantity": 1})
				}
				in := map[string]any{"idempotencyKey": fmt.Sprint("lag-", w, "-", rand.Int64()), "locationId": locs[w], "lines": lines,
					"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": 600, "currency": "JPY"}, "tendered": map[string]any{"amount": 1000, "currency": "JPY"}}}}
				d, errs := tryCall(b, l.URL, token, checkoutQ, map[string]any{"in": in})
				for try := 0; try < 5 && len(errs) == 1 && errs[0].Extensions.Code == "UNAVAILABLE"; try++ {
					retries.Add(1) // as the answer says: again, with the same key
					d, errs = tryCall(b, l.URL, token, checkoutQ, map[string]any{"in": in})
				}
				at := time.Now()
				if len(errs) > 0 {
					b.Errorf("checkout: %+v", errs)
					return
				}
				out := d["checkout"].(map[string]any)
				if ue := out["userErrors"].([]any); len(ue) > 0 {
					b.Errorf("checkout: %v", ue)
					return
				}
				mu.Lock()
				committed[out["order"].(map[string]any)["id"].(string)] = at
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sold := time.Since(start)
	if b.Failed() {
		b.FailNow()
	}
	res.rate, res.retries = float64(sc.sales)/sold.Seconds(), int(retries.Load())
	sink.waitOrders(b, sc.sales, 60*time.Second)
	res.allDelivered = time.Since(start)
	for _, a := range sink.arrivals() {
		if a.typ != "order.completed" {
			continue
		}
		at, ok := committed[a.orderID]
		if !ok {
			b.Fatalf("order.completed for an order not sold here: %q", a.orderID)
		}
		res.lag = append(res.lag, a.arrived.Sub(at))
	}
	res.dups, res.rejected = sink.duplicates(), sink.rejected
	if slow {
		res.slowAfter = pendingJobs(b, l.URL, slowToken)
		res.slowDelivered = len(slowSink.arrivals())
		res.rejected += slowSink.rejected
	}
	return res
}

func reportLag(b *testing.B, r *lagResult) {
	p := percentiles(r.lag)
	maxLag := slices.Max(r.lag)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(p[0], "lag-p50-ms")
	b.ReportMetric(p[1], "lag-p95-ms")
	b.ReportMetric(p[2], "lag-p99-ms")
	b.ReportMetric(ms(maxLag), "lag-max-ms")
	b.ReportMetric(r.rate, "checkouts/s")
	if r.dups > 0 || r.rejected > 0 {
		b.Errorf("%d events delivered more than once, %d deliveries failed verification", r.dups, r.rejected)
	}
	if b.N > 1 {
		b.Logf("%d checkouts from %d clients (each at its own location; %d answered UNAVAILABLE and retried) at %.1f/s; sale committed → signed order.completed at the endpoint: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; every order delivered %v after the first checkout started",
			len(r.lag), lagClients, r.retries, r.rate, p[0], p[1], p[2], ms(maxLag), r.allDelivered.Round(time.Millisecond))
		if r.slowBefore > 0 {
			b.Logf("meanwhile the slow tenant (endpoint answers after %v) had %d jobs pending at the start, %d at the end, and %d delivered",
				slowDelay, r.slowBefore, r.slowAfter, r.slowDelivered)
		}
	}
}

// opMeter counts the DynamoDB operations of a client by name.
type opMeter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (m *opMeter) reset() {
	m.mu.Lock()
	m.ops = map[string]int{}
	m.mu.Unlock()
}

// snapshot returns the total and "Name n, …" by count.
func (m *opMeter) snapshot() (int, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.ops))
	total := 0
	for k, n := range m.ops {
		names = append(names, k)
		total += n
	}
	sort.Slice(names, func(i, j int) bool { return m.ops[names[i]] > m.ops[names[j]] })
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, m.ops[k])
	}
	return total, strings.Join(parts, ", ")
}

// workerCtx marks the context the local stack's job poller (and so every
// worker call) runs under: StartLocal keeps the values of the context it
// is given, the API's requests and the scheduler do not carry it, and the
// stream consumer (the dispatcher) has its own, unmetered client.
type workerCtx struct{}

// burstResult is one worker-burst scenario's figures.
type burstResult struct {
	tenants, jobs, orders      int
	syncs                      time.Duration // the offline syncs, first request to last answer
	firstToLast, commitToLast  time.Duration
	firstAfterCommit           time.Duration // commit → first delivery (negative: before the last sync answered)
	startToLast                time.Duration // the first sync request → the last delivery
	engineCPU, selfCPU         time.Duration // DynamoDB Local's and this process's CPU, sync start → quiet
	rate                       float64
	workerCalls                int
	workerOps                  string
	dups, rejected, pendingEnd int
}

// BenchmarkWorkerThroughput: T tenants (each a location with 3
// stock-tracked items and a WEBHOOK integration for order.completed and
// inventory.changed to its own verifying endpoint that answers at once)
// sync 500 offline sales between them, each tenant its share in one
// syncOfflineSales, all at the same moment: ≈ 550 jobs (500
// order.completed and the inventory.changed of each stock write) reach the
// dispatcher within a couple of seconds. It reports the jobs delivered per
// second from the first delivery to the last, the time from the syncs'
// answers (committed) to the last delivery, the DynamoDB calls the worker
// made per job (counted on the API's client, which the local stack's
// worker shares, for calls under the poller's context only: not the API's,
// not the scheduler's — it is off — and not the dispatcher's, whose client
// is its own) and DynamoDB Local's CPU per job. tenants=1 is bounded by the
// poller's per-tenant cap (2 jobs of a tenant in flight); tenants=4 may
// use all 8 of its workers.
func BenchmarkWorkerThroughput(b *testing.B) {
	meter := &opMeter{ops: map[string]int{}}
	ctx := context.WithValue(b.Context(), workerCtx{}, true)
	l, err := stack.StartLocal(ctx, stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, SchedulerInterval: -1,
		DynamoDBOptions: []func(*dynamodb.Options){meter.workerOption}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	for _, tenants := range []int{1, 4} {
		var r *burstResult
		b.Run(fmt.Sprintf("tenants=%d", tenants), func(b *testing.B) {
			if r == nil {
				r = runBurst(b, l, meter, tenants)
			}
			b.ReportMetric(r.rate, "jobs/s")
			b.ReportMetric(float64(r.commitToLast.Milliseconds()), "commit-to-last-ms")
			b.ReportMetric(float64(r.workerCalls)/float64(r.jobs), "ddb-calls/job")
			b.ReportMetric(float64(r.jobs), "jobs")
			b.ReportMetric(float64(r.engineCPU.Microseconds())/1000/float64(r.jobs), "ddb-cpu-ms/job")
			if r.dups > 0 || r.rejected > 0 || r.pendingEnd > 0 {
				b.Errorf("%d events delivered more than once, %d deliveries failed verification, %d jobs still pending", r.dups, r.rejected, r.pendingEnd)
			}
			if b.N > 1 {
				b.Logf("%d tenant(s) × %d offline sales, synced at once (%v): %d jobs (%d order.completed) delivered at %.1f jobs/s from the first delivery to the last (%v); first sync sent → last delivery %v, syncs answered → first delivery %v, → last %v",
					r.tenants, burstSales/r.tenants, r.syncs.Round(time.Millisecond), r.jobs, r.orders, r.rate, r.firstToLast.Round(time.Millisecond), r.startToLast.Round(time.Millisecond), r.firstAfterCommit.Round(time.Millisecond), r.commitToLast.Round(time.Millisecond))
				b.Logf("worker DynamoDB calls: %.2f per job (%s); CPU per job over the burst (sync, dispatch, delivery): DynamoDB Local %.1f ms, the Go process (API, dispatcher, worker, SQS emulator, endpoints) %.1f ms",
					float64(r.workerCalls)/float64(r.jobs), r.workerOps, float64(r.engineCPU.Microseconds())/1000/float64(r.jobs), float64(r.selfCPU.Microseconds())/1000/float64(r.jobs))
			}
		})
	}
}

// workerOption counts only the calls made under the poller's context.
func (m *opMeter) workerOption(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("worker-meter", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if ctx.Value(workerCtx{}) != nil {
				name := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", in.Parameters), "*dynamodb."), "Input")
				m.mu.Lock()
				m.ops[name]++
				m.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
}

func runBurst(b *testing.B, l *stack.Local, meter *opMeter, tenants int) *burstResult {
	type shop struct {
		token, loc string
		vars       [3]string
		sink       *hookSink
	}
	shops := make([]shop, tenants)
	for i := range shops {
		s := &shops[i]
		s.token, s.vars = newBenchTenant(b, l.URL, fmt.Sprint("burst", i, "-", time.Now().UnixNano()))
		s.loc = newStockedLocation(b, l.URL, s.token, "Burst", s.vars)
		s.sink = newHookSink(b, 0)
		connectWebhook(b, l.URL, s.token, s.sink, "order.completed", "inventory.changed")
	}
	batches := make([][]any, tenants)
	for i, s := range shops {
		batches[i] = offlineBatch(s.loc, s.vars, burstSales/tenants)
	}
	// Let the set-up's own events (the stock adjustments) be delivered first.
	for _, s := range shops {
		deadline := time.Now().Add(20 * time.Second)
		for pendingJobs(b, l.URL, s.token) > 0 {
			if time.Now().After(deadline) {
				b.Fatal("the set-up's jobs were not delivered")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	pid := l.EnginePID()
	before := make([]int, tenants)
	for i, s := range shops {
		before[i] = len(s.sink.arrivals())
	}
	meter.reset()
	engine0, self0 := cpuTime(b, pid), cpuTime(b, os.Getpid())
	var wg sync.WaitGroup
	start := time.Now()
	for i, s := range shops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			syncOffline(b, l.URL, s.token, batches[i])
		}()
	}
	wg.Wait()
	committed := time.Now()
	r := &burstResult{tenants: tenants, syncs: committed.Sub(start)}
	for _, s := range shops {
		s.sink.waitOrders(b, burstSales/tenants, 120*time.Second)
	}
	// The inventory.changed jobs may still be running: wait for a quiet
	// second, then read the meter before asking the API anything.
	for n := -1; ; {
		total := 0
		for _, s := range shops {
			total += len(s.sink.arrivals())
		}
		if total == n {
			break
		}
		n = total
		time.Sleep(time.Second)
	}
	r.workerCalls, r.workerOps = meter.snapshot()
	r.engineCPU, r.selfCPU = cpuTime(b, pid)-engine0, cpuTime(b, os.Getpid())-self0
	var first, last time.Time
	for i, s := range shops {
		for _, a := range s.sink.arrivals()[before[i]:] {
			r.jobs++
			if a.typ == "order.completed" {
				r.orders++
			}
			if first.IsZero() || a.arrived.Before(first) {
				first = a.arrived
			}
			if a.arrived.After(last) {
				last = a.arrived
			}
		}
		r.dups += s.sink.duplicates()
		r.rejected += s.sink.rejected
		r.pendingEnd += pendingJobs(b, l.URL, s.token)
	}
	r.firstToLast, r.commitToLast, r.firstAfterCommit, r.startToLast = last.Sub(first), last.Sub(committed), first.Sub(committed), last.Sub(start)
	r.rate = float64(r.jobs-1) / r.firstToLast.Seconds()
	return r
}
