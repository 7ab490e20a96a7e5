package tests

import (
	"testing"
	"time"
)

const giftLiabilityQuery = `query($d: String!) { giftCardLiability(asOf: $d) {
  asOf unusedBalance { amount currency } thresholdExceeded depositRequired { amount } referenceDate previousReferenceDate nextReferenceDate } }`

func liability(tb testing.TB, token, date string) map[string]any {
	tb.Helper()
	r := gql(tb, token, giftLiabilityQuery, map[string]any{"d": date})
	mustOK(tb, r, "")
	return field(tb, r.Data, "giftCardLiability").(map[string]any)
}

// The liability as of a reference date is the loads less the redemptions
// (plus refunds paid back onto cards) up to it: every kind of activity —
// loads sold, an online spend, a refund back onto the card, an offline
// spend dated days ago — reaches the ledger through the stream.
func TestGiftCardLiability_LoadsLessRedemptionsUpToTheDate(t *testing.T) {
	s := newStore(t, "gc-liability", nil)
	a, b := newCardNumber(t), newCardNumber(t)
	loadCard(t, s, stockKey("la"), a, 5000)
	loadCard(t, s, stockKey("lb"), b, 3000)
	r := giftCheckout(t, s.m.token, s.basket(stockKey("sale"), giftPayment(a, 2185)))
	mustOK(t, r, "checkout")
	orderID := str(t, r.Data, "checkout.order.id")
	o := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { lines { id } } }`, map[string]any{"id": orderID})
	rr := giftRefund(t, s.m.token, map[string]any{"idempotencyKey": stockKey("rf"), "orderId": orderID, "restock": false,
		"lines": []any{refundLine(str(t, o.Data, "order.lines.0.id"), 1)}}) // one onigiri, 540, back onto a
	mustOK(t, rr, "refund")
	off := s.offlineSale(stockKey("off"), time.Now().Add(-48*time.Hour), 0) // one onigiri, 540
	off["lines"] = []any{map[string]any{"variantId": s.onigiri, "quantity": 1}}
	off["payments"] = []any{giftPayment(b, 540)}
	if res := offlineResults(t, syncOffline(t, s.m.token, []any{off})); res[0].status != "CREATED" {
		t.Fatalf("offline spend: %+v", res)
	}
	want := int64(5000 + 3000 - 2185 + 540 - 540)

	// The next reference date after today: everything so far counts. The
	// refund (+540) and the offline spend (-540) cancel out, so the total
	// alone could match before either is aggregated: wait for yesterday's
	// figure (the offline spend alone) too.
	next := str(t, map[string]any{"l": liability(t, s.m.token, time.Now().In(tokyo).Format(time.DateOnly))}, "l.nextReferenceDate")
	yesterday := time.Now().In(tokyo).AddDate(0, 0, -1).Format(time.DateOnly)
	deadline := time.Now().Add(20 * time.Second)
	var l map[string]any
	for {
		l = liability(t, s.m.token, next)
		y := liability(t, s.m.token, yesterday)
		if (int64(l["unusedBalance"].(map[string]any)["amount"].(float64)) == want && y["unusedBalance"].(map[string]any)["amount"].(float64) == -540) ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := int64(l["unusedBalance"].(map[string]any)["amount"].(float64)); got != want || l["referenceDate"] != true ||
		l["thresholdExceeded"] != false || l["depositRequired"].(map[string]any)["amount"].(float64) != 0 {
		t.Fatalf("liability as of %s: %v, want unused %d", next, l, want)
	}
	// The reference date before any of it: nothing.
	prev := str(t, map[string]any{"l": l}, "l.previousReferenceDate")
	if p := liability(t, s.m.token, prev); p["unusedBalance"].(map[string]any)["amount"].(float64) != 0 || p["referenceDate"] != true {
		t.Fatalf("liability as of %s: %v, want 0", prev, p)
	}
	// As of three days ago (before the offline spend of two days ago): 0;
	// as of yesterday: only that spend, before today's loads.
	if p := liability(t, s.m.token, time.Now().In(tokyo).AddDate(0, 0, -3).Format(time.DateOnly)); p["unusedBalance"].(map[string]any)["amount"].(float64) != 0 {
		t.Fatalf("liability three days ago: %v", p)
	}
	if p := liability(t, s.m.token, yesterday); p["unusedBalance"].(map[string]any)["amount"].(float64) != -540 {
		t.Fatalf("liability yesterday: %v, want -540 (the offline spend dated before the loads)", p)
	}
}
