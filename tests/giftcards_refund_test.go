package tests

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// Gift cards after the sale (issue 10): a refund goes back onto the card
// that paid, or onto a card named; an offline spend beyond the balance
// applies and flags the card; the close and salesSummary show loads apart
// from net sales.

const giftRefundMutation = `mutation($in: RefundInput!) { refund(input: $in) {
  refund { id amount { amount } tenders { method amount { amount } giftCardNumber } }
  order { id status }
  userErrors { field message code } } }`

func giftRefund(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, giftRefundMutation, map[string]any{"in": in})
}

// cardFlagged reads whether the card is flagged, straight from the table.
func cardFlagged(tb testing.TB, m merchant, number string) bool {
	tb.Helper()
	got, err := local.DynamoDB.GetItem(tenant.WithID(tb.Context(), m.tenantID), &dynamodb.GetItemInput{TableName: aws.String(local.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "T#" + m.tenantID + "#GIFTCARD#" + number},
			"sk": &types.AttributeValueMemberS{Value: "CARD"}}})
	if err != nil {
		tb.Fatal(err)
	}
	_, ok := got.Item["flaggedAt"]
	return ok
}

func TestGiftCardRefund_BackToTheCard(t *testing.T) {
	s := newStore(t, "gc-refund", nil)
	manager, _ := createStaff(t, s.m, "MANAGER", nil)
	card, other := newCardNumber(t), newCardNumber(t)
	loadCard(t, s, stockKey("load"), card, 5000)
	loadCard(t, s, stockKey("load2"), other, 100)

	// The basket (2185): 2000 from the card, 185 in cash.
	r := giftCheckout(t, s.m.token, s.basket(stockKey("sale"), giftPayment(card, 2000), cashPayment(185, 185)))
	mustOK(t, r, "checkout")
	orderID := str(t, r.Data, "checkout.order.id")
	o := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { lines { id } } }`, map[string]any{"id": orderID})
	onigiriLine, mugLine := str(t, o.Data, "order.lines.0.id"), str(t, o.Data, "order.lines.1.id")
	if b, _, _ := cardState(t, s.m, card); b != 3000 {
		t.Fatalf("balance after the sale %d, want 3000", b)
	}

	// The mug (1105) back: by default it goes back the way it was paid, the
	// payments in order: all of it onto the card (REFUND activity).
	_, _, acts := cardState(t, s.m, card)
	rr := giftRefund(t, manager, map[string]any{"idempotencyKey": stockKey("rf1"), "orderId": orderID, "restock": false,
		"lines": []any{refundLine(mugLine, 1)}})
	mustOK(t, rr, "refund")
	tender := field(t, rr.Data, "refund.refund.tenders.0").(map[string]any)
	if tender["method"] != "GIFT_CARD" || tender["giftCardNumber"] != "************"+card[12:] ||
		len(field(t, rr.Data, "refund.refund.tenders").([]any)) != 1 {
		t.Fatalf("tenders %v", field(t, rr.Data, "refund.refund.tenders"))
	}
	if b, _, a := cardState(t, s.m, card); b != 3000+1105 || a != acts+1 {
		t.Fatalf("card after the refund: balance %d (want %d), activities %d (want %d)", b, 3000+1105, a, acts+1)
	}
	// Spending exactly that balance works; a yen more does not.
	wantCheckoutError(t, giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": stockKey("over"), "locationId": s.loc,
		"lines": []any{map[string]any{"variantId": s.mug, "quantity": 4}}, "payments": []any{giftPayment(card, 4420)}}),
		"INSUFFICIENT_BALANCE", "input.payments.0.giftCardNumber")

	// An onigiri (540) onto another card by toGiftCardNumber: the rest of
	// the card payment (895) was 2000 − 1105; 540 of it goes to the other card.
	rr = giftRefund(t, manager, map[string]any{"idempotencyKey": stockKey("rf2"), "orderId": orderID, "restock": false,
		"lines": []any{refundLine(onigiriLine, 1)}, "toGiftCardNumber": other})
	mustOK(t, rr, "refund")
	if b, _, _ := cardState(t, s.m, other); b != 100+540 {
		t.Fatalf("the named card holds %d, want %d", b, 100+540)
	}
	if b, _, _ := cardState(t, s.m, card); b != 4105 {
		t.Fatalf("the paying card changed to %d", b)
	}

	// A deactivated card takes nothing back: userError, nothing written.
	deactivateCard(t, s.m, other)
	before, _, actsBefore := cardState(t, s.m, other)
	rr = giftRefund(t, manager, map[string]any{"idempotencyKey": stockKey("rf3"), "orderId": orderID, "restock": false,
		"lines": []any{refundLine(onigiriLine, 1)}, "toGiftCardNumber": other})
	if codes := userErrorCodes(t, rr.Data, "refund"); len(codes) != 1 || codes[0] != "INVALID" {
		t.Fatalf("refund onto a deactivated card: %v", rr.Data)
	}
	if b, _, a := cardState(t, s.m, other); b != before || a != actsBefore {
		t.Fatal("a refused refund changed the card")
	}
	if st := str(t, gql(t, s.m.token, `query($id: ID!) { order(id: $id) { status } }`, map[string]any{"id": orderID}).Data, "order.status"); st != "PARTIALLY_REFUNDED" {
		t.Fatalf("order %s after a refused refund", st)
	}
	// A wrong check digit is INVALID at the field.
	bad := other[:15] + string('0'+(other[15]-'0'+1)%10)
	rr = giftRefund(t, manager, map[string]any{"idempotencyKey": stockKey("rf4"), "orderId": orderID, "restock": false,
		"lines": []any{refundLine(onigiriLine, 1)}, "toGiftCardNumber": bad})
	if codes := userErrorCodes(t, rr.Data, "refund"); len(codes) != 1 || codes[0] != "INVALID" {
		t.Fatalf("a bad card number: %v", rr.Data)
	}
}

func TestGiftCardOffline_SpendBeyondTheBalanceFlagsTheCard(t *testing.T) {
	s := newStore(t, "gc-offline", nil)
	card := newCardNumber(t)
	loadCard(t, s, stockKey("load"), card, 1000)
	at := time.Now().Add(-time.Hour)
	sale := s.offlineSale(stockKey("off"), at, 1) // 540 + 1105 = 1645
	sale["payments"] = []any{giftPayment(card, 1645)}
	missing := s.offlineSale(stockKey("off2"), at.Add(time.Minute), 1)
	missing["payments"] = []any{giftPayment(newCardNumber(t), 1645)}
	res := offlineResults(t, syncOffline(t, s.m.token, []any{sale, missing}))
	if res[0].status != "CREATED" {
		t.Fatalf("an offline gift card sale was refused: %+v", res)
	}
	if res[1].status != "REJECTED" || len(res[1].codes) != 1 || res[1].codes[0] != "NOT_FOUND" {
		t.Fatalf("a card the tenant does not have: %+v", res[1])
	}
	if b, _, _ := cardState(t, s.m, card); b != 1000-1645 {
		t.Fatalf("balance %d, want %d", b, 1000-1645)
	}
	if !cardFlagged(t, s.m, card) {
		t.Fatal("a card taken below zero is not flagged")
	}
	// The same batch again writes nothing more.
	if res := offlineResults(t, syncOffline(t, s.m.token, []any{sale})); res[0].status != "DUPLICATE" {
		t.Fatalf("resent: %+v", res)
	}
	if b, _, _ := cardState(t, s.m, card); b != 1000-1645 {
		t.Fatalf("a duplicate spent again: %d", b)
	}
	// Online, a card below zero spends nothing.
	wantCheckoutError(t, giftCheckout(t, s.m.token, s.basket(stockKey("on"), giftPayment(card, 2185))),
		"INSUFFICIENT_BALANCE", "input.payments.0.giftCardNumber")
}

const giftCloseMutation = `mutation($in: CloseRegisterInput!) { closeRegister(input: $in) {
  registerClose { orderCount grossSales { amount } netSales { amount } giftCardLoads { amount }
    paymentTotals { method amount { amount } } expectedCash { amount } }
  userErrors { field code message } } }`

func TestGiftCardClose_LoadsApartFromNetSales(t *testing.T) {
	s := newStore(t, "gc-close", nil)
	card := newCardNumber(t)
	loadCard(t, s, stockKey("load"), card, 5000) // a load alone, cash
	// The basket (2185) and a 3000 load, paid 2000 by the card and 3185 cash.
	in := s.basket(stockKey("sale"), giftPayment(card, 2000), cashPayment(3185, 3185))
	in["giftCardLoads"] = []any{giftLoad(newCardNumber(t), 3000)}
	mustOK(t, giftCheckout(t, s.m.token, in), "checkout")
	last := time.Now()

	today := time.Now().In(tokyo).Format(time.DateOnly)
	r := gql(t, s.m.token, giftCloseMutation, map[string]any{"in": closeInput(s.loc, "", today, 8185)})
	mustOK(t, r, "closeRegister")
	c := field(t, r.Data, "closeRegister.registerClose").(map[string]any)
	money := func(k string) int64 { return int64(c[k].(map[string]any)["amount"].(float64)) }
	if c["orderCount"].(float64) != 1 || money("grossSales") != 2185 || money("netSales") != 2185 || money("giftCardLoads") != 8000 ||
		money("expectedCash") != 5000+3185 {
		t.Fatalf("close %v", c)
	}
	pays := map[string]int64{}
	for _, p := range c["paymentTotals"].([]any) {
		pm := p.(map[string]any)
		pays[pm["method"].(string)] = int64(pm["amount"].(map[string]any)["amount"].(float64))
	}
	if pays["CASH"] != 8185 || pays["GIFT_CARD"] != 2000 || pays["CASH"]+pays["GIFT_CARD"] != money("netSales")+money("giftCardLoads") {
		t.Fatalf("payment totals %v", pays)
	}

	// salesSummary: the day's net sales are the basket's; the loads apart.
	from := last.Truncate(time.Hour).Add(-48 * time.Hour)
	to := last.Truncate(time.Hour).Add(2 * time.Hour)
	sum := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "groupBy": "LOCATION", "locationId": s.loc}
	waitForAsOf(t, s.m.token, sum, last)
	q := gql(t, s.m.token, `query($in: SalesSummaryInput!) { salesSummary(input: $in) { key orderCount netSales { amount } giftCardLoads { amount } } }`,
		map[string]any{"in": sum})
	mustOK(t, q, "")
	row := field(t, q.Data, "salesSummary.0").(map[string]any)
	if row["orderCount"].(float64) != 1 || row["netSales"].(map[string]any)["amount"].(float64) != 2185 ||
		row["giftCardLoads"].(map[string]any)["amount"].(float64) != 8000 {
		t.Fatalf("summary row %v", row)
	}
}
