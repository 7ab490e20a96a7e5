package tests

import (
	"fmt"
	"testing"
)

const refundMutation = `mutation($in: RefundInput!) { refund(input: $in) {
  refund { id amount { amount currency } reason createdAt taxTotal { amount }
    taxBreakdown { taxCategory ratePercent taxableAmount { amount } tax { amount } } tenders { method amount { amount } reference } }
  order { id status total { amount } lines { id sku quantity refundedQuantity } refunds { id amount { amount } reason } }
  userErrors { field message code } } }`

func refund(tb testing.TB, token, key, orderID string, restock bool, lines ...map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, refundMutation, map[string]any{"in": map[string]any{"idempotencyKey": key, "orderId": orderID, "restock": restock, "lines": lines, "reason": "returned"}})
}

func refundLine(lineID string, qty int64) map[string]any {
	return map[string]any{"lineId": lineID, "quantity": qty}
}

// soldBasket sells the store's basket (2 onigiri at 540, a mug at 1105:
// 2185) and returns the order id and its two line ids.
func soldBasket(tb testing.TB, s store, key string) (order, onigiriLine, mugLine string) {
	tb.Helper()
	r := checkout(tb, s.m.token, s.basket(key, cashPayment(2185, 3000)))
	mustOK(tb, r, "checkout")
	return str(tb, r.Data, "checkout.order.id"), str(tb, r.Data, "checkout.order.lines.0.id"), str(tb, r.Data, "checkout.order.lines.1.id")
}

// orderState reads what a refund changes on an order.
func orderState(tb testing.TB, token, orderID string) string {
	tb.Helper()
	r := gql(tb, token, `query($id: ID!) { order(id: $id) { status lines { refundedQuantity } refunds { amount { amount } } payments { status } } }`, map[string]any{"id": orderID})
	return fmt.Sprint(field(tb, r.Data, "order"))
}

func TestRefund_RestockStatusAndReplay(t *testing.T) {
	s := newStore(t, "refund-shop", nil)
	manager, _ := createStaff(t, s.m, "MANAGER", nil)
	order, onigiriLine, mugLine := soldBasket(t, s, "sale-1")
	if onHand(t, s.m, s.loc, s.onigiri) != 98 || onHand(t, s.m, s.loc, s.mug) != 99 {
		t.Fatal("the sale did not take its stock")
	}

	r := refund(t, manager, "refund-1", order, true, refundLine(onigiriLine, 1))
	mustOK(t, r, "refund")
	refundID := str(t, r.Data, "refund.refund.id")
	if num(t, r.Data, "refund.refund.amount.amount") != 540 || str(t, r.Data, "refund.refund.reason") != "returned" ||
		str(t, r.Data, "refund.order.status") != "PARTIALLY_REFUNDED" || num(t, r.Data, "refund.order.lines.0.refundedQuantity") != 1 ||
		str(t, r.Data, "refund.order.refunds.0.id") != refundID {
		t.Fatalf("refund: %v", r.Data)
	}
	// One onigiri, reduced rate, tax-inclusive: ⌊540 × 8 / 108⌋ = 40, back in cash.
	if got := fmt.Sprint(field(t, r.Data, "refund.refund.taxBreakdown"), field(t, r.Data, "refund.refund.tenders")); got !=
		"[map[ratePercent:8 tax:map[amount:40] taxCategory:REDUCED taxableAmount:map[amount:540]]] [map[amount:map[amount:540] method:CASH reference:<nil>]]" {
		t.Fatalf("tax and tenders: %s", got)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("onigiri on hand %d after a restocked refund, want 99", got)
	}

	t.Run("the same key returns the same refund and writes nothing", func(t *testing.T) {
		again := refund(t, manager, "refund-1", order, true, refundLine(onigiriLine, 1))
		mustOK(t, again, "refund")
		if str(t, again.Data, "refund.refund.id") != refundID || onHand(t, s.m, s.loc, s.onigiri) != 99 ||
			len(field(t, again.Data, "refund.order.refunds").([]any)) != 1 {
			t.Fatalf("replay: %v", again.Data)
		}
	})

	t.Run("the rest without restock: REFUNDED, the refunds add up to the total", func(t *testing.T) {
		r := refund(t, s.m.token, "refund-2", order, false, refundLine(mugLine, 1), refundLine(onigiriLine, 1))
		mustOK(t, r, "refund")
		if str(t, r.Data, "refund.order.status") != "REFUNDED" || num(t, r.Data, "refund.refund.amount.amount") != 1105+540 {
			t.Fatalf("second refund: %v", r.Data)
		}
		if onHand(t, s.m, s.loc, s.onigiri) != 99 || onHand(t, s.m, s.loc, s.mug) != 99 {
			t.Fatal("a refund without restock changed stock")
		}
		q := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { refunds { amount { amount } } payments { status } } }`, map[string]any{"id": order})
		var sum int64
		for i := range field(t, q.Data, "order.refunds").([]any) {
			sum += num(t, q.Data, fmt.Sprintf("order.refunds.%d.amount.amount", i))
		}
		if sum != 2185 || str(t, q.Data, "order.payments.0.status") != "REFUNDED" {
			t.Fatalf("refunds sum to %d, want 2185: %v", sum, q.Data)
		}
		if r := refund(t, s.m.token, "refund-3", order, false, refundLine(mugLine, 1)); fmt.Sprint(userErrorCodes(t, r.Data, "refund")) != "[INVALID]" {
			t.Fatalf("refund of a refunded order: %v", r.Data)
		}
	})
}

func TestRefund_BadInputWritesNothing(t *testing.T) {
	a := newStore(t, "refund-alpha", nil)
	b := newStore(t, "refund-beta", nil)
	order, onigiriLine, mugLine := soldBasket(t, a, "sale-1")
	before := orderState(t, a.m.token, order)
	cashier, _ := createStaff(t, a.m, "CASHIER", nil)
	elsewhere, _ := createStaff(t, a.m, "MANAGER", []string{createLocation(t, a.m, "Umeda")})
	ordersRead, _ := createAPIKey(t, a.m, "ORDERS_READ")

	for _, tc := range []struct {
		name, token, key, orderID string
		lines                     []map[string]any
		want                      string
	}{
		{"more than sold", a.m.token, "bad-1", order, []map[string]any{refundLine(onigiriLine, 3)}, "[INVALID]"},
		{"zero", a.m.token, "bad-2", order, []map[string]any{refundLine(onigiriLine, 0)}, "[INVALID]"},
		{"negative", a.m.token, "bad-3", order, []map[string]any{refundLine(mugLine, -1)}, "[INVALID]"},
		{"unknown line", a.m.token, "bad-4", order, []map[string]any{refundLine(order+"-9", 1)}, "[INVALID]"},
		{"no lines", a.m.token, "bad-5", order, []map[string]any{}, "[INVALID]"},
		{"another tenant's order", b.m.token, "bad-6", order, []map[string]any{refundLine(onigiriLine, 1)}, "[NOT_FOUND]"},
		{"an order that does not exist", a.m.token, "bad-7", "ord_00000000000000000000000000", []map[string]any{refundLine(onigiriLine, 1)}, "[NOT_FOUND]"},
		{"a cashier", cashier, "bad-8", order, []map[string]any{refundLine(onigiriLine, 1)}, "[FORBIDDEN]"},
		{"an ORDERS_READ key", ordersRead, "bad-9", order, []map[string]any{refundLine(onigiriLine, 1)}, "[FORBIDDEN]"},
		{"a manager of another location", elsewhere, "bad-10", order, []map[string]any{refundLine(onigiriLine, 1)}, "[NOT_FOUND]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := refund(t, tc.token, tc.key, tc.orderID, true, tc.lines...)
			if got := fmt.Sprint(userErrorCodes(t, r.Data, "refund")); got != tc.want || field(t, r.Data, "refund.refund") != nil {
				t.Fatalf("codes %s, want %s: %v", got, tc.want, r.Data)
			}
		})
	}
	t.Run("nothing was written", func(t *testing.T) {
		if after := orderState(t, a.m.token, order); after != before {
			t.Fatalf("order changed: %s → %s", before, after)
		}
		if onHand(t, a.m, a.loc, a.onigiri) != 98 || onHand(t, a.m, a.loc, a.mug) != 99 || onHand(t, b.m, b.loc, b.onigiri) != 100 {
			t.Fatal("stock changed")
		}
	})
	t.Run("a refused key is free; a used key with another input is IDEMPOTENCY_KEY_REUSED", func(t *testing.T) {
		mustOK(t, refund(t, a.m.token, "bad-1", order, true, refundLine(onigiriLine, 1)), "refund")
		r := refund(t, a.m.token, "bad-1", order, true, refundLine(onigiriLine, 2))
		if got := fmt.Sprint(userErrorCodes(t, r.Data, "refund")); got != "[IDEMPOTENCY_KEY_REUSED]" {
			t.Fatalf("codes %s", got)
		}
	})
}
