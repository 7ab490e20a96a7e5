package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// Gift card + CARD split tender (issue 10): the card sale's reservation
// redeems the gift card at once; a sale completed by its card keeps the
// redemption, and one cancelled before it was paid (declined, expired)
// gives it back onto the gift card in the transaction that gives the stock
// back, as a REFUND activity with the reason "card payment failed".

type giftActivity struct {
	Kind, Reason, OrderID string
	Amount                int64
}

// giftActivities reads a card's activities as stored, oldest first.
func giftActivities(tb testing.TB, m merchant, number string) []giftActivity {
	tb.Helper()
	acts, err := local.DynamoDB.Query(tenant.WithID(tb.Context(), m.tenantID), &dynamodb.QueryInput{TableName: aws.String(local.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :act)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "T#" + m.tenantID + "#GIFTCARD#" + number},
			":act": &types.AttributeValueMemberS{Value: "ACT#"}}})
	if err != nil {
		tb.Fatal(err)
	}
	var out []giftActivity
	for _, it := range acts.Items {
		var a giftActivity
		if v, ok := it["kind"].(*types.AttributeValueMemberS); ok {
			a.Kind = v.Value
		}
		if v, ok := it["reason"].(*types.AttributeValueMemberS); ok {
			a.Reason = v.Value
		}
		if v, ok := it["orderId"].(*types.AttributeValueMemberS); ok {
			a.OrderID = v.Value
		}
		if v, ok := it["amount"].(*types.AttributeValueMemberN); ok {
			fmt.Sscan(v.Value, &a.Amount)
		}
		out = append(out, a)
	}
	return out
}

// giftCardBasket is one onigiri (¥540): `gift` of it from the gift card,
// the rest by card (pm "" for a reader).
func (s store) giftCardBasket(key, number string, gift int64, pm string) map[string]any {
	card := map[string]any{"method": "CARD", "amount": yen(540 - gift)}
	if pm != "" {
		card["paymentMethodId"] = pm
	}
	return map[string]any{"idempotencyKey": key, "locationId": s.loc,
		"lines":    []any{map[string]any{"variantId": s.onigiri, "quantity": 1}},
		"payments": []any{giftPayment(number, gift), card}}
}

const giftCardSplitMutation = `mutation($in: CheckoutInput!) { checkout(input: $in) {
  order { id status payments { method status amount { amount } giftCardNumber reference } }
  userErrors { field message code } } }`

func giftCardSplit(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, giftCardSplitMutation, map[string]any{"in": in})
}

func wantBalance(tb testing.TB, m merchant, number string, want int64) {
	tb.Helper()
	if got, _, _ := cardState(tb, m, number); got != want {
		tb.Fatalf("balance %d, want %d", got, want)
	}
}

func TestGiftCardCardSplit_CompletesWithTheBalanceReducedOnce(t *testing.T) {
	s := cardStore(t, "GCCardSplit")
	number := newCardNumber(t)
	loadCard(t, s, "gccs-load", number, 1000)

	r := giftCardSplit(t, s.m.token, s.giftCardBasket("gccs-visa", number, 300, "pm_card_visa"))
	mustOK(t, r, "checkout")
	if str(t, r.Data, "checkout.order.status") != "COMPLETED" || str(t, r.Data, "checkout.order.payments.0.method") != "GIFT_CARD" ||
		str(t, r.Data, "checkout.order.payments.1.status") != "SUCCEEDED" || num(t, r.Data, "checkout.order.payments.1.amount.amount") != 240 {
		t.Fatalf("order %v", r.Data)
	}
	id := str(t, r.Data, "checkout.order.id")
	wantBalance(t, s.m, number, 700)
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("on hand %d, want 99", got)
	}
	// A replay answers the same sale and spends nothing more.
	again := giftCardSplit(t, s.m.token, s.giftCardBasket("gccs-visa", number, 300, "pm_card_visa"))
	mustOK(t, again, "checkout")
	if str(t, again.Data, "checkout.order.id") != id {
		t.Fatalf("replay answered %v", again.Data)
	}
	orderStatus(t, s.m.token, id, "COMPLETED")
	wantBalance(t, s.m, number, 700)
	acts := giftActivities(t, s.m, number)
	if len(acts) != 2 || acts[0].Kind != "LOAD" || acts[1] != (giftActivity{Kind: "REDEEM", Amount: -300, OrderID: id}) {
		t.Fatalf("activities %+v", acts)
	}

	t.Run("beyond the balance: INSUFFICIENT_BALANCE, nothing charged or written", func(t *testing.T) {
		r := giftCardSplit(t, s.m.token, s.giftCardBasket("gccs-over", number, 500, "pm_card_visa"))
		mustOK(t, r, "checkout")
		wantBalance(t, s.m, number, 200)
		over := giftCardSplit(t, s.m.token, s.giftCardBasket("gccs-over-2", number, 300, "pm_card_visa"))
		wantCheckoutError(t, over, "INSUFFICIENT_BALANCE", "input.payments.0.giftCardNumber")
		wantBalance(t, s.m, number, 200)
		if got := onHand(t, s.m, s.loc, s.onigiri); got != 98 {
			t.Fatalf("on hand %d, want 98", got)
		}
	})

	t.Run("a load beside a CARD payment is still refused", func(t *testing.T) {
		other := newCardNumber(t)
		r := giftCardSplit(t, s.m.token, map[string]any{"idempotencyKey": "gccs-load-card", "locationId": s.loc, "lines": []any{},
			"giftCardLoads": []any{giftLoad(other, 1000)}, "payments": []any{map[string]any{"method": "CARD", "amount": yen(1000), "paymentMethodId": "pm_card_visa"}}})
		wantCheckoutError(t, r, "INVALID", "input.payments.0.method")
		if b, st, n := cardState(t, s.m, other); b != 0 || st != "" || n != 0 {
			t.Fatalf("card written: %d %s %d", b, st, n)
		}
	})
}

func TestGiftCardCardSplit_DeclinedCardGivesTheBalanceBack(t *testing.T) {
	s := cardStore(t, "GCCardDeclined")
	number := newCardNumber(t)
	loadCard(t, s, "gccd-load", number, 1000)

	r := giftCardSplit(t, s.m.token, s.giftCardBasket("gccd-declined", number, 300, "pm_card_chargeDeclined"))
	if codes := userErrorCodes(t, r.Data, "checkout"); len(codes) != 1 || codes[0] != "PAYMENT_DECLINED" || field(t, r.Data, "checkout.order") != nil {
		t.Fatalf("answer %v", r.Data)
	}
	wantBalance(t, s.m, number, 1000)
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 100 {
		t.Fatalf("on hand %d, want 100", got)
	}
	acts := giftActivities(t, s.m, number)
	if len(acts) != 3 || acts[1].Kind != "REDEEM" || acts[1].Amount != -300 ||
		acts[2].Kind != "REFUND" || acts[2].Amount != 300 || acts[2].Reason != "card payment failed" || acts[2].OrderID != acts[1].OrderID {
		t.Fatalf("activities %+v", acts)
	}
	// The replay answers the decline again and gives nothing back twice.
	again := giftCardSplit(t, s.m.token, s.giftCardBasket("gccd-declined", number, 300, "pm_card_chargeDeclined"))
	if codes := userErrorCodes(t, again.Data, "checkout"); len(codes) != 1 || codes[0] != "PAYMENT_DECLINED" {
		t.Fatalf("replay %v", again.Data)
	}
	wantBalance(t, s.m, number, 1000)
	if n := len(giftActivities(t, s.m, number)); n != 3 {
		t.Fatalf("%d activities after the replay, want 3", n)
	}
	// The whole balance can still be spent.
	mustOK(t, giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": "gccd-spend", "locationId": s.loc,
		"lines": []any{map[string]any{"variantId": s.onigiri, "quantity": 1}}, "payments": []any{giftPayment(number, 540)}}), "checkout")
	wantBalance(t, s.m, number, 460)
}

func TestGiftCardCardSplit_ExpiredReaderSaleGivesTheBalanceBack(t *testing.T) {
	s := cardStore(t, "GCCardExpiry")
	number, gone := newCardNumber(t), newCardNumber(t)
	loadCard(t, s, "gcce-load", number, 1000)
	loadCard(t, s, "gcce-load-2", gone, 500)

	r := giftCardSplit(t, s.m.token, s.giftCardBasket("gcce-reader", number, 300, ""))
	mustOK(t, r, "checkout")
	id := str(t, r.Data, "checkout.order.id")
	if str(t, r.Data, "checkout.order.status") != "PENDING_PAYMENT" {
		t.Fatalf("order %v", r.Data)
	}
	// The balance is taken at once: another register cannot spend it meanwhile.
	wantBalance(t, s.m, number, 700)
	// A second pending sale whose gift card is deactivated while it waits:
	// the balance still goes back (it stays owed).
	r2 := giftCardSplit(t, s.m.token, s.giftCardBasket("gcce-reader-2", gone, 200, ""))
	mustOK(t, r2, "checkout")
	id2 := str(t, r2.Data, "checkout.order.id")
	wantBalance(t, s.m, gone, 300)
	deactivateCard(t, s.m, gone)
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 98 {
		t.Fatalf("on hand %d while pending", got)
	}

	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	later := time.Now().Add(16 * time.Minute)
	errs := make(chan error, 2)
	for range 2 { // twice at once: the balance goes back once
		go func() { errs <- local.ExpirePendingPayments(t.Context(), later, log) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	orderStatus(t, s.m.token, id, "CANCELED")
	orderStatus(t, s.m.token, id2, "CANCELED")
	wantBalance(t, s.m, number, 1000)
	b, st, _ := cardState(t, s.m, gone)
	if b != 500 || st != "DEACTIVATED" {
		t.Fatalf("deactivated card: balance %d, state %s; want 500 DEACTIVATED", b, st)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 100 {
		t.Fatalf("on hand %d after expiry, want 100", got)
	}
	acts := giftActivities(t, s.m, number)
	if last := acts[len(acts)-1]; len(acts) != 3 || last != (giftActivity{Kind: "REFUND", Reason: "card payment failed", OrderID: id, Amount: 300}) {
		t.Fatalf("activities %+v", acts)
	}
}

func TestGiftCardCardSplit_ReaderSaleCompletedByTheWebhookKeepsTheRedemption(t *testing.T) {
	s := cardStore(t, "GCCardReader")
	number := newCardNumber(t)
	loadCard(t, s, "gccr-load", number, 1000)
	r := giftCardSplit(t, s.m.token, s.giftCardBasket("gccr-reader", number, 300, ""))
	mustOK(t, r, "checkout")
	id, intent := str(t, r.Data, "checkout.order.id"), str(t, r.Data, "checkout.order.payments.1.reference")
	wantBalance(t, s.m, number, 700)
	body, _ := json.Marshal(map[string]string{"paymentIntentId": intent, "paymentMethod": "pm_card_visa"})
	res, err := http.Post(baseURL()+"/simulator/terminal/present", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("present card: %d", res.StatusCode)
	}
	orderStatus(t, s.m.token, id, "COMPLETED")
	// Expiry past the sale's TTL finds nothing to cancel any more.
	if err := local.ExpirePendingPayments(t.Context(), time.Now().Add(16*time.Minute), slog.New(slog.NewJSONHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	wantBalance(t, s.m, number, 700)
	if acts := giftActivities(t, s.m, number); len(acts) != 2 || acts[1].Kind != "REDEEM" {
		t.Fatalf("activities %+v", acts)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("on hand %d, want 99", got)
	}
}

// A refund of a completed gift card + card sale goes back the way it was
// paid: the gift card part onto the card, the rest to the card at the
// processor.
func TestGiftCardCardSplit_RefundGoesBackToBoth(t *testing.T) {
	s := cardStore(t, "GCCardRefund")
	number := newCardNumber(t)
	loadCard(t, s, "gcrf-load", number, 1000)
	r := giftCardSplit(t, s.m.token, s.giftCardBasket("gcrf-sale", number, 300, "pm_card_visa"))
	mustOK(t, r, "checkout")
	order := str(t, r.Data, "checkout.order.id")
	wantBalance(t, s.m, number, 700)
	q := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { lines { id } } }`, map[string]any{"id": order})
	rf := refund(t, s.m.token, "gcrf-refund", order, true, refundLine(str(t, q.Data, "order.lines.0.id"), 1))
	mustOK(t, rf, "refund")
	if num(t, rf.Data, "refund.refund.amount.amount") != 540 || str(t, rf.Data, "refund.refund.tenders.0.method") != "GIFT_CARD" ||
		num(t, rf.Data, "refund.refund.tenders.0.amount.amount") != 300 || str(t, rf.Data, "refund.refund.tenders.1.method") != "CARD" ||
		num(t, rf.Data, "refund.refund.tenders.1.amount.amount") != 240 {
		t.Fatalf("refund %v", rf.Data)
	}
	wantBalance(t, s.m, number, 1000)
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 100 {
		t.Fatalf("on hand %d, want 100", got)
	}
}
