package tests

import (
	"fmt"
	"strings"
	"testing"
)

// TestRefund_CardSale refunds a split card sale on the local card simulator:
// the money goes back through the payments in their order (cash, then the
// card at the processor), and the units back to stock.
func TestRefund_CardSale(t *testing.T) {
	s := cardStore(t, "refund-cards")
	r := cardCheckout(t, s.m.token, s.cardBasket("card-sale", "pm_card_visa", 140))
	mustOK(t, r, "checkout")
	order := str(t, r.Data, "checkout.order.id")
	if str(t, r.Data, "checkout.order.status") != "COMPLETED" || onHand(t, s.m, s.loc, s.onigiri) != 99 {
		t.Fatalf("card sale: %v", r.Data)
	}
	q := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { lines { id } } }`, map[string]any{"id": order})
	line := str(t, q.Data, "order.lines.0.id")

	rf := refund(t, s.m.token, "card-refund", order, true, refundLine(line, 1))
	mustOK(t, rf, "refund")
	if num(t, rf.Data, "refund.refund.amount.amount") != 540 || str(t, rf.Data, "refund.order.status") != "REFUNDED" || onHand(t, s.m, s.loc, s.onigiri) != 100 {
		t.Fatalf("card refund: %v", rf.Data)
	}
	if num(t, rf.Data, "refund.refund.tenders.0.amount.amount") != 140 || str(t, rf.Data, "refund.refund.tenders.0.method") != "CASH" ||
		num(t, rf.Data, "refund.refund.tenders.1.amount.amount") != 400 || str(t, rf.Data, "refund.refund.tenders.1.method") != "CARD" ||
		!strings.HasPrefix(str(t, rf.Data, "refund.refund.tenders.1.reference"), "re_") {
		t.Fatalf("tenders: %v", field(t, rf.Data, "refund.refund.tenders"))
	}
	pays := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { payments { method status } } }`, map[string]any{"id": order})
	if got := fmt.Sprint(field(t, pays.Data, "order.payments")); got != "[map[method:CASH status:REFUNDED] map[method:CARD status:REFUNDED]]" {
		t.Fatalf("payments after the refund: %s", got)
	}
	again := refund(t, s.m.token, "card-refund", order, true, refundLine(line, 1))
	mustOK(t, again, "refund")
	if str(t, again.Data, "refund.refund.id") != str(t, rf.Data, "refund.refund.id") || onHand(t, s.m, s.loc, s.onigiri) != 100 {
		t.Fatalf("replay: %v", again.Data)
	}
}
