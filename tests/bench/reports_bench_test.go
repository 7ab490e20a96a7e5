package bench

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/reports"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/stack"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

const (
	historyOrders     = 100_000
	historyOneByOne   = 500 // of them applied as the stream consumer does, one transaction per event
	historySKUs       = 120
	historyStaff      = 10
	historyWriteProcs = 8
)

const summaryQ = `query($in: SalesSummaryInput!) { salesSummary(input: $in) { key orderCount quantity grossSales { amount } discounts { amount }
  refunds { amount } netSales { amount } tax { amount } asOf } }`

// BenchmarkSalesSummary generates a year of history for one location —
// 100k orders priced by the tax rules, each turned into the order.completed
// event checkout writes and decoded back as the stream consumer does — and
// aggregates it through the aggregator's code path (reports.Deltas): the
// first 500 one event per transaction with its marker, as the stream
// consumer does (its cost is reported), the rest summed per aggregate item
// and written with the store's backfill — the same items with the same
// figures, in minutes instead of the hour 100k transactions take on
// DynamoDB Local. Then it asks
// salesSummary over HTTP for the whole year by each grouping.
func BenchmarkSalesSummary(b *testing.B) {
	l := startStack(b)
	token := call(b, l.URL, "", signUpQ, signUpVars())["signUp"].(map[string]any)["accessToken"].(string)
	d := call(b, l.URL, token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id timezone } } }`, map[string]any{"in": map[string]any{"name": "Year"}})
	locJSON := d["createLocation"].(map[string]any)["location"].(map[string]any)
	loc := locJSON["id"].(string)
	zone, err := tenant.LoadZone(locJSON["timezone"].(string))
	if err != nil {
		b.Fatal(err)
	}
	tid := call(b, l.URL, token, `{ me { tenant { id } } }`, nil)["me"].(map[string]any)["tenant"].(map[string]any)["id"].(string)
	ctx := tenant.WithID(b.Context(), tid)
	table := dynamo.New(l.DynamoDB, l.Table)
	svc := stack.NewReports(table)
	store := dynamo.NewAggregateStore(table)

	to := time.Now().Truncate(time.Hour)
	from := to.AddDate(-1, 0, 0)
	movements, want := generateHistory(b, tid, loc, zone, from, to)

	// The consumer's path: one transaction per event with its marker.
	var actions atomic.Int64
	lat := make([]time.Duration, historyOneByOne)
	t0 := time.Now()
	parallel(historyWriteProcs, historyOneByOne, func(i int) {
		m := movements[i]
		actions.Add(int64(len(reports.Deltas(m, zone)) + 1))
		s := time.Now()
		if err := svc.Aggregate(ctx, m); err != nil {
			b.Error(err)
		}
		lat[i] = time.Since(s)
	})
	oneByOne := time.Since(t0)
	p := percentiles(lat)
	b.Logf("reports_bench: aggregating one event per transaction (%d events, %d workers): %.0f events/s, p50 %.1f ms, p99 %.1f ms, %.1f actions (items) per event",
		historyOneByOne, historyWriteProcs, float64(historyOneByOne)/oneByOne.Seconds(), p[0], p[2], float64(actions.Load())/historyOneByOne)
	t0 = time.Now()
	parallel(historyWriteProcs, 200, func(i int) {
		if err := svc.Aggregate(ctx, movements[i]); err != nil {
			b.Error(err)
		}
	})
	b.Logf("reports_bench: redelivered events (marker found, nothing added): %.1f ms each", float64(time.Since(t0).Microseconds())/1000/200*historyWriteProcs)

	// The rest, summed per item and written with the store's backfill
	// (the items' final figures, 25 to a BatchWriteItem).
	t0 = time.Now()
	summed := map[reports.Delta]reports.Figures{}
	for _, m := range movements[historyOneByOne:] {
		for _, d := range reports.Deltas(m, zone) {
			k := reports.Delta{Month: d.Month, SK: d.SK}
			summed[k] = summed[k].Add(d.Figures)
		}
	}
	// The first events' items hold their sums already: add them in.
	for _, m := range movements[:historyOneByOne] {
		for _, d := range reports.Deltas(m, zone) {
			k := reports.Delta{Month: d.Month, SK: d.SK}
			summed[k] = summed[k].Add(d.Figures)
		}
	}
	var bulk []reports.Delta
	for k, f := range summed {
		bulk = append(bulk, reports.Delta{Month: k.Month, SK: k.SK, Figures: f})
	}
	const part = 500
	parallel(historyWriteProcs, (len(bulk)+part-1)/part, func(i int) {
		if err := store.Backfill(ctx, loc, bulk[i*part:min((i+1)*part, len(bulk))]); err != nil {
			b.Error(err)
		}
	})
	b.Logf("reports_bench: %d orders of history in %d aggregate items, written in %v", historyOrders, len(bulk), time.Since(t0).Round(time.Millisecond))

	// The local stream consumer reads every one of those writes (they are
	// no events: it skips them); wait until it has passed them so that it
	// does not share the machine with the measurements.
	written := time.Now()
	for {
		rows := call(b, l.URL, token, summaryQ, map[string]any{"in": map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "groupBy": "LOCATION"}})["salesSummary"].([]any)
		if len(rows) > 0 {
			if s, _ := rows[0].(map[string]any)["asOf"].(string); s != "" {
				if at, _ := time.Parse(time.RFC3339Nano, s); at.After(written) {
					break
				}
			}
		}
		if time.Since(written) > 5*time.Minute {
			b.Fatal("the stream consumer did not catch up in 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Logf("reports_bench: the local stream consumer caught up with those writes %v after them", time.Since(written).Round(time.Millisecond))

	in := func(g string) map[string]any {
		return map[string]any{"in": map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "groupBy": g, "locationId": loc}}
	}
	// The year's figures are the orders' to the yen.
	rows := call(b, l.URL, token, summaryQ, in("LOCATION"))["salesSummary"].([]any)
	if len(rows) != 1 {
		b.Fatalf("LOCATION rows %v", rows)
	}
	row := rows[0].(map[string]any)
	amount := func(k string) int64 { return int64(row[k].(map[string]any)["amount"].(float64)) }
	got := reports.Figures{Orders: int64(row["orderCount"].(float64)), Quantity: int64(row["quantity"].(float64)), Gross: amount("grossSales"),
		Discounts: amount("discounts"), Tax: amount("tax")}
	if got != want || amount("netSales") != want.Net() {
		b.Fatalf("a year at the location: %+v, the orders: %+v", got, want)
	}
	// So are the ITEM rows' (read through year items less the months
	// outside the range), summed.
	var items reports.Figures
	for _, raw := range call(b, l.URL, token, summaryQ, in("ITEM"))["salesSummary"].([]any) {
		row := raw.(map[string]any)
		amount := func(k string) int64 { return int64(row[k].(map[string]any)["amount"].(float64)) }
		items = items.Add(reports.Figures{Quantity: int64(row["quantity"].(float64)), Gross: amount("grossSales"), Discounts: amount("discounts"), Tax: amount("tax")})
	}
	if wantItems := (reports.Figures{Quantity: want.Quantity, Gross: want.Gross, Discounts: want.Discounts, Tax: want.Tax}); items != wantItems {
		b.Fatalf("a year's ITEM rows sum to %+v, the orders: %+v", items, wantItems)
	}
	for _, g := range []string{"DAY", "HOUR", "LOCATION", "ITEM", "PAYMENT_METHOD", "TAX_CATEGORY", "STAFF"} {
		b.Run("groupBy="+g, func(b *testing.B) {
			var n int
			measure(b, 1, func() {
				n = len(call(b, l.URL, token, summaryQ, in(g))["salesSummary"].([]any))
			})
			b.ReportMetric(float64(n), "rows")
		})
	}
}

// generateHistory prices historyOrders sales spread over [from, to) in the
// location's opening hours (09:00–21:00) and returns their movements, as
// decoded from their order.completed events, and their sum.
func generateHistory(b *testing.B, tid, loc string, zone *time.Location, from, to time.Time) ([]reports.Movement, reports.Figures) {
	b.Helper()
	r := rand.New(rand.NewPCG(8, 2026))
	cats := []tax.Category{tax.Standard, tax.Reduced, tax.Standard, tax.Exempt}
	days := int(to.Sub(from).Hours() / 24)
	var sum reports.Figures
	out := make([]reports.Movement, 0, historyOrders)
	for i := range historyOrders {
		day := from.In(zone).AddDate(0, 0, r.IntN(days))
		at := time.Date(day.Year(), day.Month(), day.Day(), 9+r.IntN(12), r.IntN(60), r.IntN(60), 0, zone)
		if !at.Before(to) || at.Before(from) {
			at = from.Add(time.Duration(r.Int64N(int64(to.Sub(from)))))
		}
		var lines []tax.Line
		var skus []int
		for range 1 + r.IntN(4) {
			sku := r.IntN(historySKUs)
			skus = append(skus, sku)
			lines = append(lines, tax.Line{UnitPrice: int64(100 + 50*(sku%40)), Quantity: int64(1 + r.IntN(3)), Category: cats[sku%len(cats)]})
		}
		in := tax.Input{Lines: lines, PricesIncludeTax: true, Rounding: tax.Floor}
		if r.IntN(10) == 0 {
			in.OrderDiscount = tax.PercentOff(10)
		}
		res, err := tax.Compute(in)
		if err != nil {
			b.Fatal(err)
		}
		o := sales.Order{ID: fmt.Sprint("ord_bench_", i), LocationID: loc, StaffID: fmt.Sprint("usr_bench_", r.IntN(historyStaff)), Currency: "JPY", PricesIncludeTax: true,
			Subtotal: res.Subtotal, OrderDiscount: res.OrderDiscount, DiscountTotal: res.DiscountTotal, TaxTotal: res.TaxTotal, Total: res.Total, CreatedAt: at.UTC(),
			Status: sales.StatusCompleted}
		for j, lr := range res.Lines {
			o.Lines = append(o.Lines, sales.Line{SKU: fmt.Sprintf("SKU-%03d", skus[j]), Quantity: lines[j].Quantity, UnitPrice: lines[j].UnitPrice,
				Discount: lr.Discount(), Total: lr.Total, TaxCategory: lr.Category, TaxRatePercent: lr.RatePercent})
		}
		for _, rr := range res.Rates {
			o.Taxes = append(o.Taxes, sales.TaxLine{Category: rr.Category, RatePercent: rr.RatePercent, Taxable: rr.Taxable, Tax: rr.Tax})
		}
		switch k := r.IntN(10); {
		case k < 6 || res.Total < 2:
			o.Payments = []sales.Payment{{Method: sales.Cash, Amount: res.Total}}
		case k < 9:
			o.Payments = []sales.Payment{{Method: sales.Card, Amount: res.Total}}
		default:
			o.Payments = []sales.Payment{{Method: sales.Cash, Amount: res.Total / 2}, {Method: sales.External, Amount: res.Total - res.Total/2}}
		}
		e, err := dynamo.OrderCompletedEvent(tid, o)
		if err != nil {
			b.Fatal(err)
		}
		m, ok, err := dynamo.MovementFromEvent(e)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		out = append(out, m)
		sum = sum.Add(reports.Figures{Orders: 1, Gross: res.Gross, Discounts: res.DiscountTotal, Tax: res.TaxTotal})
		for _, l := range lines {
			sum.Quantity += l.Quantity
		}
	}
	return out, sum
}

// parallel calls fn(0…n-1) on workers goroutines.
func parallel(workers, n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
