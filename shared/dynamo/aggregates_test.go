package dynamo

import (
	"fmt"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/reports"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TestAggregateStore_ExactlyOnce applies movements as a redelivering stream
// would — the same event twice, concurrently and again later — and reads
// the figures back: each event counts once; an event of more items than
// one transaction carries counts once too.
func TestAggregateStore_ExactlyOnce(t *testing.T) {
	tbl := mustTable(t)
	st := NewAggregateStore(tbl)
	ctx := tenantCtx(t)
	tid, _ := tenant.IDFrom(ctx)
	loc := ids.New(ids.Location)
	at := time.Date(2026, 11, 26, 4, 10, 0, 0, time.UTC) // 13:10 in Tokyo
	sale := func(id string, skus int) reports.Movement {
		m := reports.Movement{EventID: id, TenantID: tid, LocationID: loc, StaffKey: "usr_1", At: at,
			Payments: []reports.MethodAmount{{Method: "CASH", Amount: int64(skus) * 110}}, Taxes: []reports.RateTax{{Category: tax.Standard, Tax: int64(skus) * 10}}}
		for i := range skus {
			m.Lines = append(m.Lines, reports.MovementLine{SKU: fmt.Sprintf("SKU-%03d", i), Quantity: 1, Gross: 110, Total: 110, TaxCategory: tax.Standard})
		}
		return m
	}
	zone, _ := time.LoadLocation("Asia/Tokyo")
	apply := func(m reports.Movement) {
		t.Helper()
		if err := st.ApplyMovement(ctx, loc, m.EventID, reports.Deltas(m, zone)); err != nil {
			t.Fatal(err)
		}
	}
	small, big := sale("evt_a", 2), sale("evt_b", 60) // 60 SKUs: 3×(1+60+1+1+1) = 192 items, two transactions
	errs := make(chan error, 4)
	for range 2 {
		for _, m := range []reports.Movement{small, big} {
			go func() { errs <- st.ApplyMovement(ctx, loc, m.EventID, reports.Deltas(m, zone)) }()
		}
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	apply(small)
	apply(big)

	day := time.Date(2026, 11, 26, 0, 0, 0, 0, zone)
	read := func(g reports.Grouping, from, to time.Time) map[string]reports.Figures {
		t.Helper()
		out := map[string]reports.Figures{}
		for _, q := range reports.Plan(from, to, zone, g) {
			items, err := st.Aggregates(ctx, loc, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				k, _ := reports.RowKey(g, loc, it.SK)
				out[k] = out[k].Add(it.Figures.Times(q.Sign))
			}
		}
		return out
	}
	want := reports.Figures{Orders: 2, Quantity: 62, Gross: 62 * 110, Tax: 620}
	for _, c := range []struct {
		g        reports.Grouping
		from, to time.Time
		key      string
	}{
		{reports.ByDay, day, day.AddDate(0, 0, 1), "2026-11-26"},
		{reports.ByHour, day, day.AddDate(0, 0, 1), "13"},
		{reports.ByLocation, day.AddDate(0, -1, 0), day.AddDate(0, 1, 0), loc},
		{reports.ByHour, day.Add(13 * time.Hour), day.Add(14 * time.Hour), "13"},
	} {
		got := read(c.g, c.from, c.to)
		if len(got) != 1 || got[c.key] != want {
			t.Errorf("%s [%s, %s): %+v, want %s: %+v", c.g, c.from, c.to, got, c.key, want)
		}
	}
	if got := read(reports.ByDay, day.Add(14*time.Hour), day.AddDate(0, 0, 1)); len(got) != 0 {
		t.Errorf("after the sale's hour: %+v", got)
	}
	items := read(reports.ByItem, day.AddDate(0, -2, 0), day.AddDate(0, 2, 0))
	if len(items) != 60 || items["SKU-000"] != (reports.Figures{Orders: 2, Quantity: 2, Gross: 220, Tax: 20}) || items["SKU-059"].Orders != 1 {
		t.Errorf("%d item rows; SKU-000 %+v, SKU-059 %+v", len(items), items["SKU-000"], items["SKU-059"])
	}

	t.Run("a backfill replaces items' figures", func(t *testing.T) {
		month := reports.Deltas(small, zone)[0].Month
		sk := "T#D#2026-11-26#"
		if err := st.Backfill(ctx, loc, []reports.Delta{{Month: month, SK: sk, Figures: reports.Figures{Orders: 7, Gross: 700}}}); err != nil {
			t.Fatal(err)
		}
		got := read(reports.ByDay, day, day.AddDate(0, 0, 1))
		if got["2026-11-26"] != (reports.Figures{Orders: 7, Gross: 700}) {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("another tenant reads none of it", func(t *testing.T) {
		other := tenantCtx(t)
		for _, q := range reports.Plan(day, day.AddDate(0, 0, 1), zone, reports.ByDay) {
			if items, err := st.Aggregates(other, loc, q); err != nil || len(items) != 0 {
				t.Fatalf("%v %v", items, err)
			}
		}
	})
}

func TestStreamPositions(t *testing.T) {
	sp := NewStreamPositions(mustTable(t))
	ctx := t.Context()
	if seq, err := sp.Checkpoint(ctx, "arn:s", "shard-1"); err != nil || seq != "" {
		t.Fatalf("%q %v", seq, err)
	}
	if err := sp.SaveCheckpoint(ctx, "arn:s", "shard-1", "000123", time.Now()); err != nil {
		t.Fatal(err)
	}
	if seq, err := sp.Checkpoint(ctx, "arn:s", "shard-1"); err != nil || seq != "000123" {
		t.Fatalf("%q %v", seq, err)
	}
	if at, err := sp.Watermark(ctx); err != nil || !at.IsZero() {
		t.Fatalf("%v %v", at, err)
	}
	t1 := time.Date(2026, 11, 26, 1, 2, 3, 500000000, time.UTC)
	for _, at := range []time.Time{t1, t1.Add(-time.Second), t1.Add(-400 * time.Millisecond)} {
		if err := sp.AdvanceWatermark(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	if at, err := sp.Watermark(ctx); err != nil || !at.Equal(t1) {
		t.Fatalf("watermark %v %v: it only moves forward", at, err)
	}
}

// TestMovementFromEvent_Checkout: the order.completed a checkout writes,
// read back from the table's stream, is the sale's movement: its lines,
// per-rate tax, payments and seller are the order's.
func TestMovementFromEvent_Checkout(t *testing.T) {
	sh := newShop(t, mustTable(t), 100)
	regs := sh.registers(t, 1)
	o, err := sh.sell(t, "k1", regs[0], 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []reports.Movement
	for _, e := range streamEvents(t, sh.tb, sh.ctx) {
		m, ok, err := MovementFromEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, m)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d movements, want 1", len(got))
	}
	m := got[0]
	if m.TenantID != mustTenantID(t, sh.ctx) || m.LocationID != o.LocationID || m.StaffKey == "" || m.StaffKey != o.StaffID || !m.At.Equal(o.CreatedAt) || m.Refund ||
		m.RegisterID == "" || m.RegisterID != o.RegisterID {
		t.Fatalf("movement %+v of order %+v", m, o)
	}
	total := reports.Figures{}
	for _, c := range reports.Deltas(m, time.UTC) {
		if c.SK[:4] == "T#M#" {
			total = c.Figures
		}
	}
	want := reports.Figures{Orders: 1, Quantity: 3, Gross: o.Subtotal + o.DiscountTotal - o.OrderDiscount, Discounts: o.DiscountTotal, Tax: o.TaxTotal}
	if total != want || len(m.Payments) != len(o.Payments) || m.Payments[0].Amount != o.Total {
		t.Fatalf("figures %+v, want %+v (order %+v)", total, want, o)
	}
}

// TestMovementFromEvent_Refund decodes the order.refunded event as
// docs/data-model.md documents it: a refund movement at the refund's time.
func TestMovementFromEvent_Refund(t *testing.T) {
	data := `{"refundId": "rfd_1", "orderId": "ord_1", "orderNumber": "001-01-000042", "locationId": "loc_1", "registerId": "reg_1",
	 "businessDate": "2026-11-28", "orderBusinessDate": "2026-11-27", "staffId": "usr_9", "currency": "JPY", "pricesIncludeTax": true,
	 "amount": 1476, "taxTotal": 126, "restock": true, "orderStatus": "PARTIALLY_REFUNDED",
	 "lines": [{"lineId": "ord_1-2", "variantId": "var_1", "sku": "MUG-1", "quantity": 1, "amount": 990, "taxCategory": "STANDARD", "taxRatePercent": 10},
	           {"lineId": "ord_1-3", "variantId": "var_2", "sku": "TEA", "quantity": 1, "amount": 486, "taxCategory": "REDUCED", "taxRatePercent": 8}],
	 "taxes": [{"taxCategory": "STANDARD", "ratePercent": 10, "taxable": 990, "tax": 90}, {"taxCategory": "REDUCED", "ratePercent": 8, "taxable": 486, "tax": 36}],
	 "tenders": [{"method": "CASH", "amount": 1476}], "occurredAt": "2026-11-27T15:30:00Z"}`
	m, ok, err := MovementFromEvent(Event{ID: "evt_r", Type: "order.refunded", TenantID: "tnt_x", Data: []byte(data)})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !m.Refund || m.LocationID != "loc_1" || m.RegisterID != "reg_1" || m.StaffKey != "usr_9" || !m.At.Equal(time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)) ||
		len(m.Lines) != 2 || len(m.Taxes) != 2 || m.Payments[0].Amount != 1476 {
		t.Fatalf("%+v", m)
	}
	for _, d := range reports.Deltas(m, time.UTC) {
		switch d.SK {
		case "T#M#2026-11#":
			if d.Figures != (reports.Figures{Refunds: 1476, Tax: -126}) {
				t.Errorf("totals %+v", d.Figures)
			}
		case "I#M#2026-11#MUG-1":
			if d.Figures != (reports.Figures{Refunds: 990, Tax: -90}) {
				t.Errorf("MUG-1 %+v", d.Figures)
			}
		}
	}
}
