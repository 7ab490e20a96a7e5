package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/quota"
	"github.com/renkei-pos/renkei/shared/stack"
)

// What the platform-wide tenant limit (shared/quota) adds to a checkout.
// Two API handlers on the same table and the same tenants, identical but
// for the limiter: per-instance (the in-process token bucket, no storage)
// and shared (leases from the tenant's quota item). Every worker alternates
// its checkouts between the two, so both see the same machine load (this
// machine is shared; a sequential A-then-B run measured mostly the load's
// drift). In 8 tenants (a worker each) and in one tenant (4 workers, one
// per location: the tenant's requests share leases, the chunking case).
// Then the limiter alone, one tenant paced at 5, 50 and 500 requests a
// second on one instance: the storage calls per request that leasing in
// chunks amortizes, and what one Allow costs. Reported, not asserted.

func BenchmarkTenantLimit(b *testing.B) {
	secret := []byte("bench-quota-signing-key-0123456789abcdef")
	// Tenant limits well above the load: this measures the cost of the
	// check, not refusals.
	rates := stack.Rates{Public: 100000, PublicBurst: 100000, Tenant: 5000, TenantBurst: 10000}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{JWTSecret: secret, Rates: rates})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	regs := setUpRegisters(b, l.URL)
	spread := make([]register, 0, benchTenants)
	for t := range benchTenants {
		spread = append(spread, regs[t*registersPerT])
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	quotaClient := newQuotaClient(b, l)
	// A lease on this loaded 2-core machine sometimes takes longer than
	// production's 250 ms call timeout, which would measure the fallback
	// instead: the limiter here waits for every lease (5 s).
	limiter := quota.New(quota.Config{Client: quotaClient, Table: l.Table, Rate: float64(rates.Tenant), Burst: rates.TenantBurst,
		Logger: logger, CallTimeout: 5 * time.Second})
	serve := func(r stack.Rates, q *quota.Limiter) string {
		h, err := stack.NewAPI(stack.APIConfig{DynamoDB: l.DynamoDB, Table: l.Table, JWTSecret: secret, Logger: logger, Rates: r, Quota: q})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		b.Cleanup(srv.Close)
		return srv.URL + "/graphql"
	}
	perInstance := rates
	perInstance.PerInstance = true
	urls := [2]string{serve(perInstance, nil), serve(rates, limiter)}
	for _, sc := range []struct {
		name string
		regs []register
	}{{"tenants=8", spread}, {"tenants=1", regs[:registersPerT]}} {
		b.Run(sc.name, func(b *testing.B) {
			if b.N < 2 {
				return // the framework's probe run: one checkout cannot alternate
			}
			before := limiter.Stats()
			lat, unavailable := sellAlternating(b, urls, sc.regs)
			after := limiter.Stats()
			base, shared := percentiles(lat[0]), percentiles(lat[1])
			calls := float64(after.Calls-before.Calls) / float64(len(lat[1]))
			b.ReportMetric(base[0], "per-instance-p50-ms")
			b.ReportMetric(base[2], "per-instance-p99-ms")
			b.ReportMetric(shared[0], "shared-p50-ms")
			b.ReportMetric(shared[2], "shared-p99-ms")
			b.ReportMetric(calls, "quota-calls/checkout")
			b.Logf("%d checkouts from %d workers, %s, alternating: per-instance limit p50 %.2f ms p99 %.2f ms; shared limit p50 %.2f ms p99 %.2f ms (%+.2f / %+.2f ms); %.3f quota calls per shared checkout (%d leases), %d refused, %d on the fallback; %d UNAVAILABLE",
				b.N, len(sc.regs), sc.name, base[0], base[2], shared[0], shared[2], shared[0]-base[0], shared[2]-base[2], calls, after.Leases-before.Leases,
				(after.Requests-before.Requests)-(after.Admitted-before.Admitted), after.Fallback-before.Fallback, unavailable)
		})
	}
	for _, perSecond := range []float64{5, 50, 500} {
		b.Run(fmt.Sprintf("allow/paced=%.0f-per-s", perSecond), func(b *testing.B) { paceAllow(b, quotaClient, l.Table, perSecond) })
	}
}

// sellAlternating sells b.N 3-line cash checkouts, one worker per register,
// each worker's checkouts going to urls[0] and urls[1] in turn; it returns
// the latencies at each and how many were UNAVAILABLE (contention).
func sellAlternating(b *testing.B, urls [2]string, regs []register) (lat [2][]time.Duration, unavailable int64) {
	var mu sync.Mutex
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w, reg := range regs {
		wg.Add(1)
		go func() {
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
				in := map[string]any{"idempotencyKey": fmt.Sprint("quota-bench-", w, "-", i, "-", seq.Add(1)), "locationId": reg.loc, "lines": lines,
					"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": reg.price, "currency": "JPY"}, "tendered": map[string]any{"amount": 1000, "currency": "JPY"}}}}
				t0 := time.Now()
				_, errs := tryCall(b, urls[i%2], reg.token, checkoutQ, map[string]any{"in": in})
				d := time.Since(t0)
				if len(errs) == 1 && errs[0].Extensions.Code == "UNAVAILABLE" {
					failed.Add(1)
				} else if len(errs) > 0 {
					b.Errorf("checkout: %+v", errs)
					return
				}
				mu.Lock()
				lat[i%2] = append(lat[i%2], d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	return lat, failed.Load()
}

// newQuotaClient is a DynamoDB client of the limiter's own, as each API
// instance has.
func newQuotaClient(b *testing.B, l *stack.Local) *dynamodb.Client {
	b.Helper()
	endpoint := l.DynamoDB.Options().BaseEndpoint
	if endpoint == nil {
		b.Fatal("the local stack's client has no endpoint")
	}
	c, err := dynamolocal.NewClient(b.Context(), *endpoint)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// paceAllow asks a fresh limiter (a tenant limit of 1,000/s, every lease
// waited for) for one
// tenant's requests at perSecond for 2–10 s, whatever b.N, and reports each
// Allow's latency and the storage calls per request.
func paceAllow(b *testing.B, c *dynamodb.Client, table string, perSecond float64) {
	if b.N == 1 {
		return // the framework's probe run: the paced run takes seconds whatever b.N
	}
	lim := quota.New(quota.Config{Client: c, Table: table, Rate: 1000, Burst: 2000, CallTimeout: 5 * time.Second})
	tid := fmt.Sprintf("tnt_01JBENCH%018d", seq.Add(1))
	pause := time.Duration(float64(time.Second) / perSecond)
	var lat []time.Duration
	b.ResetTimer()
	// About 100 requests, within 2–10 s: the chunk has time to settle.
	run := min(max(time.Duration(100/perSecond*float64(time.Second)), 2*time.Second), 10*time.Second)
	for next, end := time.Now(), time.Now().Add(run); next.Before(end); next = next.Add(pause) {
		time.Sleep(time.Until(next))
		t0 := time.Now()
		if !lim.Allow(b.Context(), tid) {
			b.Errorf("refused at %.0f/s under a limit of 1,000/s", perSecond)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	s := lim.Stats()
	p := percentiles(lat)
	perReq := float64(s.Calls) / float64(s.Requests)
	b.ReportMetric(p[0]*1000, "p50-µs")
	b.ReportMetric(p[2]*1000, "p99-µs")
	b.ReportMetric(perReq, "calls/request")
	b.Logf("one tenant at %.0f requests/s on one instance: Allow p50 %.0f µs p99 %.0f µs, %d storage calls for %d requests (%.3f each, %d leases, %d on the fallback)",
		perSecond, p[0]*1000, p[2]*1000, s.Calls, s.Requests, perReq, s.Leases, s.Fallback)
}
