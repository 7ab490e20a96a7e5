package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/tenant"
)

const salesSummaryQuery = `query($in: SalesSummaryInput!) { salesSummary(input: $in) {
  key orderCount quantity grossSales { amount currency } discounts { amount } refunds { amount } netSales { amount } tax { amount } asOf } }`

// salesRow is one SalesRow as figures.
type salesRow struct {
	orders, qty, gross, disc, refunds, net, tax int64
}

func (a salesRow) add(b salesRow) salesRow {
	return salesRow{a.orders + b.orders, a.qty + b.qty, a.gross + b.gross, a.disc + b.disc, a.refunds + b.refunds, a.net + b.net, a.tax + b.tax}
}

// summary asks salesSummary and returns its rows by key and its asOf.
func summary(tb testing.TB, token string, in map[string]any) (map[string]salesRow, time.Time, gqlResponse) {
	tb.Helper()
	r := gql(tb, token, salesSummaryQuery, map[string]any{"in": in})
	if len(r.Errors) > 0 {
		return nil, time.Time{}, r
	}
	rows := map[string]salesRow{}
	var asOf time.Time
	for _, raw := range field(tb, r.Data, "salesSummary").([]any) {
		m := raw.(map[string]any)
		money := func(k string) int64 { return int64(m[k].(map[string]any)["amount"].(float64)) }
		if m["grossSales"].(map[string]any)["currency"] != "JPY" {
			tb.Fatalf("row %v: currency", m)
		}
		rows[m["key"].(string)] = salesRow{orders: int64(m["orderCount"].(float64)), qty: int64(m["quantity"].(float64)), gross: money("grossSales"),
			disc: money("discounts"), refunds: money("refunds"), net: money("netSales"), tax: money("tax")}
		if s, ok := m["asOf"].(string); ok {
			asOf, _ = time.Parse(time.RFC3339Nano, s)
		}
	}
	return rows, asOf, r
}

// soldOrder is what a checkout answered, as a report counts it.
type soldOrder struct {
	id        string
	lineIDs   map[string]string // by SKU
	createdAt time.Time
	row       salesRow
	items     map[string]salesRow // by SKU
	taxes     map[string]salesRow // by tax category
	payments  map[string]int64    // by method
}

func sold(tb testing.TB, r gqlResponse) soldOrder {
	tb.Helper()
	mustOK(tb, r, "checkout")
	o := field(tb, r.Data, "checkout.order").(map[string]any)
	amt := func(m map[string]any, k string) int64 { return int64(m[k].(map[string]any)["amount"].(float64)) }
	at, err := time.Parse(time.RFC3339Nano, o["createdAt"].(string))
	if err != nil {
		tb.Fatal(err)
	}
	s := soldOrder{id: o["id"].(string), lineIDs: map[string]string{}, createdAt: at, items: map[string]salesRow{}, taxes: map[string]salesRow{}, payments: map[string]int64{}}
	taxOf := map[string]int64{}
	for _, raw := range o["taxBreakdown"].([]any) {
		t := raw.(map[string]any)
		taxOf[t["taxCategory"].(string)] = amt(t, "tax")
	}
	for _, raw := range o["lines"].([]any) {
		l := raw.(map[string]any)
		q := int64(l["quantity"].(float64))
		line := salesRow{orders: 1, qty: q, gross: amt(l, "unitPrice") * q, disc: amt(l, "discount")}
		cat := l["taxCategory"].(string)
		// The baskets here have one line per rate: a line's tax is its rate's.
		line.tax = taxOf[cat]
		line.net = line.gross - line.disc
		s.items[l["sku"].(string)] = line
		s.lineIDs[l["sku"].(string)] = l["id"].(string)
		s.taxes[cat] = line
		s.row = s.row.add(line)
	}
	s.row.orders = 1
	if s.row.disc != amt(o, "discountTotal") || s.row.tax != amt(o, "taxTotal") || s.row.net != amt(o, "total") {
		tb.Fatalf("order %v: lines do not add up to its totals", o)
	}
	for _, raw := range o["payments"].([]any) {
		p := raw.(map[string]any)
		s.payments[p["method"].(string)] += amt(p, "amount")
	}
	return s
}

// waitForAsOf asks the summary until its asOf passes at (the stream
// consumer has aggregated everything written before), for at most 20 s.
func waitForAsOf(tb testing.TB, token string, in map[string]any, at time.Time) map[string]salesRow {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows, asOf, r := summary(tb, token, in)
		if len(r.Errors) > 0 {
			tb.Fatalf("salesSummary: %v", r.Errors)
		}
		if asOf.After(at) {
			return rows
		}
		if time.Now().After(deadline) {
			tb.Fatalf("asOf %v has not passed %v after 20 s", asOf, at)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSalesSummary_MatchesOrders sells a few baskets (cash, split
// cash/external, an order discount), refunds one onigiri, and checks
// salesSummary by DAY, ITEM, PAYMENT_METHOD, TAX_CATEGORY, LOCATION, HOUR,
// STAFF and REGISTER (one basket on a second till) against the orders and the refund to the yen, once asOf has
// passed the last of them.
func TestSalesSummary_MatchesOrders(t *testing.T) {
	s := newStore(t, "reports", nil)
	till1 := tenant.RegisterID(s.loc, 1)
	rg := createRegister(t, s.m.token, s.loc, "Till 2")
	mustOK(t, rg, "createRegister")
	till2 := str(t, rg.Data, "createRegister.register.id")
	var orders []soldOrder
	orders = append(orders, sold(t, checkout(t, s.m.token, s.basket("r1", cashPayment(2185, 3000)))))
	onTill2 := s.basket("r2", cashPayment(1000, 1000), external(1185, "voucher-1"))
	onTill2["registerId"] = till2
	orders = append(orders, sold(t, checkout(t, s.m.token, onTill2)))
	registerOf := []string{till1, till2, till1}
	discounted := s.basket("r3")
	discounted["orderDiscount"] = map[string]any{"percent": 10}
	discounted["lines"] = []any{map[string]any{"variantId": s.onigiri, "quantity": 3}, map[string]any{"variantId": s.mug, "quantity": 2}}
	// 3×540 + 2×1105 = 3830, 10% off: 3447.
	discounted["payments"] = []any{cashPayment(3447, 5000)}
	orders = append(orders, sold(t, checkout(t, s.m.token, discounted)))
	// A manager refunds one of the first order's onigiri (cash).
	manager, managerID := createStaff(t, s.m, "MANAGER", nil)
	rr := gql(t, manager, `mutation($in: RefundInput!) { refund(input: $in) { refund { amount { amount } taxTotal { amount } createdAt } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "rf1", "orderId": orders[0].id, "restock": false,
			"lines": []any{map[string]any{"lineId": orders[0].lineIDs[s.onigiriSKU], "quantity": 1}}}})
	mustOK(t, rr, "refund")
	refunded := salesRow{refunds: num(t, rr.Data, "refund.refund.amount.amount"), tax: -num(t, rr.Data, "refund.refund.taxTotal.amount")}
	refunded.net = -refunded.refunds
	refundedAt, err := time.Parse(time.RFC3339Nano, str(t, rr.Data, "refund.refund.createdAt"))
	if err != nil || refunded.refunds != 540 || refunded.tax != -40 {
		t.Fatalf("refund %v %v", rr.Data, err)
	}
	last := refundedAt

	jst, _ := time.LoadLocation("Asia/Tokyo")
	from := last.Truncate(time.Hour).Add(-48 * time.Hour)
	to := last.Truncate(time.Hour).Add(2 * time.Hour)
	in := func(groupBy string) map[string]any {
		return map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "groupBy": groupBy, "locationId": s.loc}
	}
	waitForAsOf(t, s.m.token, in("DAY"), last)

	want := map[string]map[string]salesRow{"DAY": {}, "HOUR": {}, "LOCATION": {}, "STAFF": {}, "ITEM": {}, "TAX_CATEGORY": {}, "REGISTER": {}}
	var total salesRow
	for i, o := range orders {
		local := o.createdAt.In(jst)
		for g, k := range map[string]string{"DAY": local.Format("2006-01-02"), "HOUR": local.Format("15"), "LOCATION": s.loc, "STAFF": s.m.userID,
			"REGISTER": registerOf[i]} {
			want[g][k] = want[g][k].add(o.row)
		}
		for sku, f := range o.items {
			want["ITEM"][sku] = want["ITEM"][sku].add(f)
		}
		for cat, f := range o.taxes {
			want["TAX_CATEGORY"][cat] = want["TAX_CATEGORY"][cat].add(f)
		}
		total = total.add(o.row)
	}
	// The refund counts when it was made, under who made it, and under the
	// register whose drawer the cash went out of (the order's: a manager's
	// session names none).
	local := refundedAt.In(jst)
	for g, k := range map[string]string{"DAY": local.Format("2006-01-02"), "HOUR": local.Format("15"), "LOCATION": s.loc, "STAFF": managerID,
		"ITEM": s.onigiriSKU, "TAX_CATEGORY": "REDUCED", "REGISTER": till1} {
		want[g][k] = want[g][k].add(refunded)
	}
	total = total.add(refunded)
	for g, w := range want {
		t.Run(g, func(t *testing.T) {
			rows, _, r := summary(t, s.m.token, in(g))
			if len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			if fmt.Sprint(rows) != fmt.Sprint(w) {
				t.Fatalf("rows %+v\nwant %+v", rows, w)
			}
		})
	}
	t.Run("REGISTER rows name their register", func(t *testing.T) {
		r := gql(t, s.m.token, `query($in: SalesSummaryInput!) { salesSummary(input: $in) { key netSales { amount } register { id number location { id } } } }`,
			map[string]any{"in": in("REGISTER")})
		mustOK(t, r, "")
		rows := field(t, r.Data, "salesSummary").([]any)
		if len(rows) != 2 {
			t.Fatalf("rows %v", rows)
		}
		for i, raw := range rows {
			row := raw.(map[string]any)
			reg, _ := row["register"].(map[string]any)
			key := row["key"].(string)
			if reg == nil || reg["id"] != key || reg["location"].(map[string]any)["id"] != s.loc || int(reg["number"].(float64)) != i+1 {
				t.Errorf("row %v", row)
			}
		}
		r = gql(t, s.m.token, `query($in: SalesSummaryInput!) { salesSummary(input: $in) { key register { id } } }`, map[string]any{"in": in("STAFF")})
		mustOK(t, r, "")
		for _, raw := range field(t, r.Data, "salesSummary").([]any) {
			if raw.(map[string]any)["register"] != nil {
				t.Errorf("a STAFF row names a register: %v", raw)
			}
		}
	})
	t.Run("PAYMENT_METHOD", func(t *testing.T) {
		rows, _, _ := summary(t, s.m.token, in("PAYMENT_METHOD"))
		paid := map[string]int64{}
		for _, o := range orders {
			for m, a := range o.payments {
				paid[m] += a
			}
		}
		paid["CASH"] -= refunded.refunds // given back in cash
		var sum salesRow
		for m, row := range rows {
			// Prices include tax: what a method took is its net sales.
			if row.net != paid[m] {
				t.Errorf("%s: net %d, paid %d", m, row.net, paid[m])
			}
			sum = sum.add(row)
		}
		sum.orders = total.orders
		if len(rows) != 2 || rows["CASH"].orders != 3 || rows["EXTERNAL"].orders != 1 || sum != total {
			t.Fatalf("rows %+v, want CASH in 3 orders, EXTERNAL in 1, summing to %+v", rows, total)
		}
	})
	t.Run("a range after the sales has no rows", func(t *testing.T) {
		later := map[string]any{"from": to.Format(time.RFC3339), "to": to.Add(24 * time.Hour).Format(time.RFC3339), "groupBy": "DAY"}
		if rows, _, r := summary(t, s.m.token, later); len(r.Errors) > 0 || len(rows) != 0 {
			t.Fatalf("%v %v", rows, r.Errors)
		}
	})
	t.Run("without a location, every location the caller may see", func(t *testing.T) {
		all := in("LOCATION")
		delete(all, "locationId")
		rows, _, _ := summary(t, s.m.token, all)
		if len(rows) != 1 || rows[s.loc] != total {
			t.Fatalf("%+v", rows)
		}
		other := createLocation(t, s.m, "reports Umeda")
		restricted, _ := createStaff(t, s.m, "MANAGER", []string{other})
		if rows, _, r := summary(t, restricted, all); len(r.Errors) > 0 || len(rows) != 0 {
			t.Fatalf("a manager of another location sees %v %v", rows, r.Errors)
		}
		if _, _, r := summary(t, restricted, in("DAY")); r.code() != "FORBIDDEN" {
			t.Fatalf("a manager of another location asking for this one: %v", r.Errors)
		}
	})
	t.Run("a cashier may not read reports", func(t *testing.T) {
		cashier, _ := createStaff(t, s.m, "CASHIER", nil)
		if _, _, r := summary(t, cashier, in("DAY")); r.code() != "FORBIDDEN" {
			t.Fatalf("cashier: %v", r.Errors)
		}
	})
	t.Run("bad ranges are INVALID", func(t *testing.T) {
		for name, in := range map[string]map[string]any{
			"over 366 days": {"from": "2025-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z", "groupBy": "DAY"},
			"backwards":     {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z", "groupBy": "DAY"},
			"not an hour":   {"from": "2026-01-01T00:30:00Z", "to": "2026-01-02T00:00:00Z", "groupBy": "DAY"},
		} {
			if _, _, r := summary(t, s.m.token, in); r.code() != "INVALID" {
				t.Errorf("%s: %v", name, r.Errors)
			}
		}
		if _, _, r := summary(t, s.m.token, map[string]any{"from": "2025-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "groupBy": "DAY"}); len(r.Errors) > 0 {
			t.Errorf("366 days: %v", r.Errors)
		}
	})
}
