package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/stack"
)

// The two scenarios of issue 7, run one after the other against the same
// stack: 8 registers each in its own tenant (spread), and 8 registers at ONE
// location of one tenant, all selling the same 3 stock-tracked items (hot
// store). The targets — hot-store throughput ≥ 0.8× spread, hot p99 ≤
// 3× its p50, ≤ 5 % of transactions cancelled — are reported, not asserted.

const busyRegisters = 8

// runBusyStore runs the spread and hot-store scenarios as sub-benchmarks of
// b and reports the hot/spread throughput ratio on the hot-store line.
func runBusyStore(b *testing.B, l *stack.Local, meter *storageMeter, tenants []register) {
	spread := make([]register, 0, busyRegisters)
	for t := 0; t < busyRegisters; t++ {
		r := tenants[t*registersPerT]
		r.registerID, r.registerNo = firstRegister(b, l.URL, r.token, r.loc), 1
		spread = append(spread, r)
	}
	hot := setUpHotStore(b, l.URL)
	var spreadRate float64
	b.Run("spread", func(b *testing.B) {
		if f := runScenario(b, l, meter, spread); b.N > 1 {
			spreadRate = f
		}
	})
	b.Run("hot-store", func(b *testing.B) {
		if f := runScenario(b, l, meter, hot); b.N > 1 && spreadRate > 0 {
			b.ReportMetric(f/spreadRate, "hot/spread")
			b.Logf("hot-store throughput %.1f/s = %.2f× spread (%.1f/s); target ≥ 0.8×", f, f/spreadRate, spreadRate)
		}
	})
}

// setUpHotStore makes one tenant with one stocked location and its 8
// registers: register 1, which the location is created with, and 7 more
// created with createRegister.
func setUpHotStore(b *testing.B, url string) []register {
	b.Helper()
	token, vars := newBenchTenant(b, url, "hot")
	loc := newStockedLocation(b, url, token, "Busy store", vars)
	regs := []register{{token: token, loc: loc, registerID: firstRegister(b, url, token, loc), registerNo: 1, variants: vars, price: 600}}
	for i := 2; i <= busyRegisters; i++ {
		d := call(b, url, token, `mutation($in: CreateRegisterInput!) { createRegister(input: $in) { register { id number name } userErrors { field message code } } }`,
			map[string]any{"in": map[string]any{"locationId": loc, "name": fmt.Sprint("レジ ", i)}})
		res := d["createRegister"].(map[string]any)
		if ue := res["userErrors"].([]any); len(ue) > 0 {
			b.Fatalf("createRegister: %v", ue)
		}
		reg := res["register"].(map[string]any)
		regs = append(regs, register{token: token, loc: loc, registerID: reg["id"].(string), registerNo: int(reg["number"].(float64)), variants: vars, price: 600})
	}
	return regs
}

// firstRegister returns the id of the register a location is created with.
func firstRegister(b *testing.B, url, token, loc string) string {
	b.Helper()
	d := call(b, url, token, `query($loc: ID!) { registers(locationId: $loc) { id number } }`, map[string]any{"loc": loc})
	for _, r := range d["registers"].([]any) {
		if r := r.(map[string]any); r["number"].(float64) == 1 {
			return r["id"].(string)
		}
	}
	b.Fatalf("location %s has no register 1: %v", loc, d)
	return ""
}

// runScenario tries b.N sales, one worker per register, and reports
// throughput, latency, the share of TransactWriteItems attempts DynamoDB
// cancelled, attempts per sale, a sale transaction's actions, DynamoDB
// Local's CPU time per sale and the checkouts answered UNAVAILABLE
// (contention beyond the retries; they count in the latencies, not in the
// sales). It returns the throughput.
func runScenario(b *testing.B, l *stack.Local, meter *storageMeter, regs []register) float64 {
	meter.reset()
	pid := l.EnginePID()
	cpu0 := cpuTime(b, pid)
	lat, elapsed, unavailable := sell(b, l.URL, regs, len(regs))
	cpu := cpuTime(b, pid) - cpu0
	p := percentiles(lat)
	sold := int64(b.N) - unavailable
	rate := float64(sold) / elapsed.Seconds()
	txns, cancelled := meter.txns.Load(), meter.cancelled.Load()
	cancelledPct := 0.0
	if txns > 0 {
		cancelledPct = 100 * float64(cancelled) / float64(txns)
	}
	cpuPerSale := float64(cpu.Microseconds()) / 1000 / float64(max(sold, 1))
	b.ReportMetric(rate, "sales/s")
	b.ReportMetric(p[0], "p50-ms")
	b.ReportMetric(p[2], "p99-ms")
	b.ReportMetric(p[2]/p[0], "p99/p50")
	b.ReportMetric(cancelledPct, "cancelled-%")
	b.ReportMetric(float64(txns)/float64(max(sold, 1)), "txns/sale")
	b.ReportMetric(float64(unavailable), "unavailable")
	meter.mu.Lock()
	b.ReportMetric(float64(len(meter.lastTxn.TransactItems)), "actions/txn")
	meter.mu.Unlock()
	b.ReportMetric(cpuPerSale, "ddb-cpu-ms/sale")
	if b.N > 1 {
		b.Logf("%d sales from %d registers (%d more answered UNAVAILABLE): %.1f/s, p50 %.1f ms, p99 %.1f ms (%.2f× p50), %d of %d TransactWriteItems cancelled (%.1f %%), %.2f per sale, DynamoDB Local CPU %.1f ms per sale",
			sold, len(regs), unavailable, rate, p[0], p[2], p[2]/p[0], cancelled, txns, cancelledPct, float64(txns)/float64(max(sold, 1)), cpuPerSale)
	}
	return rate
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux architecture the project runs on.
const clockTick = 10 * time.Millisecond

// cpuTime is the user plus system CPU time a process has used so far.
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	if pid == 0 {
		b.Fatal("the stack did not start DynamoDB Local: no process to measure")
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime field 14, stime field 15.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	return time.Duration(utime+stime) * clockTick
}
