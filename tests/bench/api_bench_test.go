// Package bench measures the API over HTTP on the local stack. It prints
// figures (latency percentiles, sizes, start times); it asserts no timings.
// Run with `make bench`; results go in docs/benchmarks.md.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/stack"
)

var seq atomic.Int64

func startStack(b *testing.B) *stack.Local {
	b.Helper()
	t0 := time.Now()
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close(context.Background()) })
	b.Logf("local stack start-to-ready (DynamoDB Local JVM, SQS, table, API): %v", time.Since(t0).Round(time.Millisecond))
	return l
}

func call(b *testing.B, url, token, query string, vars map[string]any) map[string]any {
	data, errs := tryCall(b, url, token, query, vars)
	if len(errs) > 0 {
		b.Fatalf("errors: %+v", errs)
	}
	return data
}

// gqlError is a top-level GraphQL error.
type gqlError struct {
	Message    string
	Extensions struct{ Code string }
}

// tryCall sends one request and returns its data and top-level errors; a
// transport failure or a response that is not GraphQL's is fatal.
func tryCall(b *testing.B, url, token, query string, vars map[string]any) (map[string]any, []gqlError) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		Data   map[string]any
		Errors []gqlError
	}
	if err := json.Unmarshal(raw, &out); err != nil || res.StatusCode != 200 {
		b.Fatalf("status %d: %s", res.StatusCode, raw)
	}
	return out.Data, out.Errors
}

const signUpQ = `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken userErrors { code } } }`

func signUpVars() map[string]any {
	return map[string]any{"in": map[string]any{"businessName": "Bench", "email": fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), seq.Add(1)), "password": "benchmark password", "ownerName": "B"}}
}

// measure runs fn b.N times on `workers` goroutines and reports percentiles.
func measure(b *testing.B, workers int, fn func()) {
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				fn()
				lat[i] = time.Since(t0)
			}
		}()
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

func BenchmarkMe(b *testing.B) {
	l := startStack(b)
	token := call(b, l.URL, "", signUpQ, signUpVars())["signUp"].(map[string]any)["accessToken"].(string)
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			measure(b, workers, func() { call(b, l.URL, token, `{ me { user { id email role } tenant { id businessName } } }`, nil) })
		})
	}
}

func BenchmarkSignUp(b *testing.B) {
	l := startStack(b)
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			measure(b, workers, func() { call(b, l.URL, "", signUpQ, signUpVars()) })
		})
	}
}
