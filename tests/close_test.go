package tests

import (
	"fmt"
	"testing"
	"time"
)

const closeMutation = `mutation($in: CloseRegisterInput!) { closeRegister(input: $in) {
  registerClose { id revision businessDate orderCount location { id } register { id }
    grossSales { amount } discounts { amount } refunds { amount } netSales { amount currency }
    taxBreakdown { taxCategory ratePercent taxableAmount { amount } tax { amount } }
    paymentTotals { method amount { amount } }
    expectedCash { amount } countedCash { amount } difference { amount } closedAt }
  userErrors { field code message } } }`

func closeRegister(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, closeMutation, map[string]any{"in": in})
}

func closeInput(loc, register, date string, counted int64) map[string]any {
	in := map[string]any{"idempotencyKey": stockKey("close"), "locationId": loc, "businessDate": date,
		"countedCash": map[string]any{"amount": counted, "currency": "JPY"}}
	if register != "" {
		in["registerId"] = register
	}
	return in
}

var tokyo = func() *time.Location {
	z, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return z
}()

const dayOrdersQuery = `query($loc: ID!, $from: Time!, $to: Time!) { orders(filter: {locationId: $loc, from: $from, to: $to}, first: 20) {
  nodes { id register { id } total { amount } discountTotal { amount }
    lines { quantity unitPrice { amount } }
    taxBreakdown { taxCategory taxableAmount { amount } tax { amount } }
    payments { method amount { amount } } } } }`

// dayRefund is a cash refund the test made, with the tax it gave back.
type dayRefund struct {
	register, category string
	amount, tax        int64
}

// expectedClose adds up, from the orders as the API lists them and the
// cash refunds the test made that day, what a close of date (of register,
// or the whole location when "") must say.
func expectedClose(tb testing.TB, token, loc, register, date string, refunds ...dayRefund) map[string]int64 {
	tb.Helper()
	day, _ := time.ParseInLocation(time.DateOnly, date, tokyo)
	r := gql(tb, token, dayOrdersQuery, map[string]any{"loc": loc, "from": day.UTC().Format(time.RFC3339), "to": day.AddDate(0, 0, 1).Add(-time.Millisecond).UTC().Format(time.RFC3339Nano)})
	mustOK(tb, r, "")
	want := map[string]int64{}
	for _, n := range field(tb, r.Data, "orders.nodes").([]any) {
		o := n.(map[string]any)
		if register != "" && o["register"].(map[string]any)["id"] != register {
			continue
		}
		want["orders"]++
		for _, l := range o["lines"].([]any) {
			lm := l.(map[string]any)
			want["gross"] += int64(lm["quantity"].(float64)) * int64(lm["unitPrice"].(map[string]any)["amount"].(float64))
		}
		want["discounts"] += int64(o["discountTotal"].(map[string]any)["amount"].(float64))
		for _, t := range o["taxBreakdown"].([]any) {
			tm := t.(map[string]any)
			want["tax:"+tm["taxCategory"].(string)] += int64(tm["tax"].(map[string]any)["amount"].(float64))
			want["taxable:"+tm["taxCategory"].(string)] += int64(tm["taxableAmount"].(map[string]any)["amount"].(float64))
		}
		for _, p := range o["payments"].([]any) {
			pm := p.(map[string]any)
			want["pay:"+pm["method"].(string)] += int64(pm["amount"].(map[string]any)["amount"].(float64))
		}
	}
	for _, r := range refunds {
		if register == "" || r.register == register {
			want["refunds"] += r.amount
			want["tax:"+r.category] -= r.tax
			want["taxable:"+r.category] -= r.amount
			want["pay:CASH"] -= r.amount
		}
	}
	want["net"] = want["gross"] - want["discounts"] - want["refunds"]
	return want
}

// closeFigures reads a close back into the same shape.
func closeFigures(tb testing.TB, c map[string]any) map[string]int64 {
	tb.Helper()
	amount := func(k string) int64 { return int64(c[k].(map[string]any)["amount"].(float64)) }
	got := map[string]int64{"orders": int64(c["orderCount"].(float64)), "gross": amount("grossSales"), "discounts": amount("discounts"), "net": amount("netSales")}
	if amount("refunds") != 0 {
		got["refunds"] = amount("refunds")
	}
	for _, t := range c["taxBreakdown"].([]any) {
		tm := t.(map[string]any)
		got["tax:"+tm["taxCategory"].(string)] = int64(tm["tax"].(map[string]any)["amount"].(float64))
		got["taxable:"+tm["taxCategory"].(string)] = int64(tm["taxableAmount"].(map[string]any)["amount"].(float64))
	}
	for _, p := range c["paymentTotals"].([]any) {
		pm := p.(map[string]any)
		got["pay:"+pm["method"].(string)] = int64(pm["amount"].(map[string]any)["amount"].(float64))
	}
	return got
}

func sameFigures(tb testing.TB, what string, got, want map[string]int64) {
	tb.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestCloseRegister_FiguresAreTheDaysOrders(t *testing.T) {
	s := newStore(t, "close-figures", nil)
	reg2 := str(t, createRegister(t, s.m.token, s.loc, "Till 2").Data, "createRegister.register.id")
	reg1 := str(t, gql(t, s.m.token, `query($loc: ID!) { registers(locationId: $loc) { id } }`, map[string]any{"loc": s.loc}).Data, "registers.0.id")

	// Register 1: a cash sale, one of its onigiri refunded in cash, and a
	// sale with ¥185 off the order paid by an external tender; register 2:
	// a cash sale and an offline card sale.
	order, onigiriLine, _ := soldBasket(t, s, stockKey("c1"))
	rr := refund(t, s.m.token, stockKey("refund"), order, false, refundLine(onigiriLine, 1))
	mustOK(t, rr, "refund")
	// ¥540 of a reduced-rate line, prices tax-inclusive: tax 540 × 8 / 108 = 40.
	refunds := []dayRefund{{register: reg1, category: "REDUCED", amount: num(t, rr.Data, "refund.refund.amount.amount"), tax: 40}}
	if refunds[0].amount != 540 {
		t.Fatalf("refund of one onigiri: %d", refunds[0].amount)
	}
	disc := s.basket(stockKey("c2"), map[string]any{"method": "EXTERNAL", "amount": map[string]any{"amount": 2000, "currency": "JPY"}, "reference": "PayPay 123"})
	disc["orderDiscount"] = map[string]any{"amount": map[string]any{"amount": 185, "currency": "JPY"}}
	mustOK(t, checkout(t, s.m.token, disc), "checkout")
	at2 := s.basket(stockKey("c3"), cashPayment(2185, 2185))
	at2["registerId"] = reg2
	mustOK(t, checkout(t, s.m.token, at2), "checkout")
	card := s.offlineSale(stockKey("off"), time.Now().Add(-time.Minute), 1)
	card["registerId"] = reg2
	card["payments"] = []any{map[string]any{"method": "CARD", "amount": map[string]any{"amount": 1645, "currency": "JPY"}, "reference": "pi_offline"}}
	if res := offlineResults(t, syncOffline(t, s.m.token, []any{card})); res[0].status != "CREATED" {
		t.Fatalf("offline sale: %+v", res)
	}

	today := time.Now().In(tokyo).Format(time.DateOnly)
	for _, tc := range []struct {
		name, register string
		counted        int64
	}{{"register 1", reg1, 1600}, {"register 2", reg2, 2185}, {"whole location", "", 3830}} {
		t.Run(tc.name, func(t *testing.T) {
			r := closeRegister(t, s.m.token, closeInput(s.loc, tc.register, today, tc.counted))
			mustOK(t, r, "closeRegister")
			c := field(t, r.Data, "closeRegister.registerClose").(map[string]any)
			want := expectedClose(t, s.m.token, s.loc, tc.register, today, refunds...)
			sameFigures(t, "close figures", closeFigures(t, c), want)
			if got := int64(c["expectedCash"].(map[string]any)["amount"].(float64)); got != want["pay:CASH"] {
				t.Fatalf("expectedCash = %d, want %d", got, want["pay:CASH"])
			}
			if got := int64(c["difference"].(map[string]any)["amount"].(float64)); got != tc.counted-want["pay:CASH"] {
				t.Fatalf("difference = %d, want %d", got, tc.counted-want["pay:CASH"])
			}
			if c["revision"].(float64) != 1 || c["businessDate"] != today {
				t.Fatalf("close %v", c)
			}
			if (tc.register == "") != (c["register"] == nil) {
				t.Fatalf("register = %v", c["register"])
			}
			// The same request, and the same close under a new key, are the same close.
			again := closeRegister(t, s.m.token, closeInput(s.loc, tc.register, today, tc.counted))
			mustOK(t, again, "closeRegister")
			if str(t, again.Data, "closeRegister.registerClose.id") != c["id"] {
				t.Fatal("a close with the same figures made a new close")
			}
		})
	}
	if want := expectedClose(t, s.m.token, s.loc, "", today, refunds...); want["orders"] != 4 || want["pay:CARD"] != 1645 || want["pay:EXTERNAL"] != 2000 ||
		want["discounts"] == 0 || want["refunds"] != 540 || want["pay:CASH"] != 2185+2185-540 {
		t.Fatalf("the day's orders are not the ones sold: %v", want)
	}
}

func TestCloseRegister_BadDatesAreInvalid(t *testing.T) {
	s := newStore(t, "close-dates", nil)
	tomorrow := time.Now().In(tokyo).AddDate(0, 0, 1).Format(time.DateOnly)
	for _, date := range []string{tomorrow, "2026-13-01", "2026-02-30", "26-11-01", "", "2026-11-01T00:00:00Z"} {
		r := closeRegister(t, s.m.token, closeInput(s.loc, "", date, 0))
		if codes := userErrorCodes(t, r.Data, "closeRegister"); len(codes) != 1 || codes[0] != "INVALID" {
			t.Fatalf("date %q: userErrors %v", date, codes)
		}
	}
	cashier, _ := staffWithEmail(t, s.m, "CASHIER", nil)
	r := closeRegister(t, cashier, closeInput(s.loc, "", time.Now().In(tokyo).Format(time.DateOnly), 0))
	if codes := userErrorCodes(t, r.Data, "closeRegister"); len(codes) != 1 || codes[0] != "FORBIDDEN" {
		t.Fatalf("a cashier's close: %v", codes)
	}
}

func TestCloseRegister_LateOfflineSaleMakesRevision2(t *testing.T) {
	s := newStore(t, "close-late", nil)
	yesterdayNoon := time.Now().In(tokyo).AddDate(0, 0, -1)
	yesterdayNoon = time.Date(yesterdayNoon.Year(), yesterdayNoon.Month(), yesterdayNoon.Day(), 12, 0, 0, 0, tokyo)
	date := yesterdayNoon.Format(time.DateOnly)
	if res := offlineResults(t, syncOffline(t, s.m.token, []any{s.offlineSale(stockKey("early"), yesterdayNoon, 1)})); res[0].status != "CREATED" {
		t.Fatalf("%+v", res)
	}
	r := closeRegister(t, s.m.token, closeInput(s.loc, "", date, 1645))
	mustOK(t, r, "closeRegister")
	first := field(t, r.Data, "closeRegister.registerClose").(map[string]any)
	if first["orderCount"].(float64) != 1 || first["difference"].(map[string]any)["amount"].(float64) != 0 {
		t.Fatalf("first close %v", first)
	}

	// The device that was offline longest syncs a sale of that day.
	if res := offlineResults(t, syncOffline(t, s.m.token, []any{s.offlineSale(stockKey("late"), yesterdayNoon.Add(3*time.Hour), 2)})); res[0].status != "CREATED" {
		t.Fatalf("%+v", res)
	}
	// The sync itself made revision 2 (the same counted cash, the new
	// figures), so a recount now is revision 3.
	r = closeRegister(t, s.m.token, closeInput(s.loc, "", date, 1645+2750))
	mustOK(t, r, "closeRegister")
	rev := field(t, r.Data, "closeRegister.registerClose").(map[string]any)
	if rev["revision"].(float64) != 3 || rev["id"] == first["id"] {
		t.Fatalf("a recount after a late sale: %v, want revision 3 (the sync made revision 2)", rev)
	}
	sameFigures(t, "revision 3", closeFigures(t, rev), expectedClose(t, s.m.token, s.loc, "", date))
	if rev["difference"].(map[string]any)["amount"].(float64) != 0 || rev["orderCount"].(float64) != 2 {
		t.Fatalf("revision 3: %v", rev)
	}
}
