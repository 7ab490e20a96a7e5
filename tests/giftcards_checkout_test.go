package tests

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Gift cards in checkout (issue 10): a card sold (loaded) and spent in a
// split tender, concurrent spends that never take more than the card holds,
// and refusals that write nothing.

const giftCheckoutMutation = `mutation($in: CheckoutInput!) { checkout(input: $in) {
  order { id number status total { amount } subtotal { amount } taxTotal { amount }
    giftCardLoads { id cardNumber amount { amount currency } } giftCardLoadTotal { amount }
    payments { method status amount { amount } change { amount } giftCardNumber }
    receipt { text } }
  userErrors { field message code } } }`

func giftCheckout(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, giftCheckoutMutation, map[string]any{"in": in})
}

func newCardNumber(tb testing.TB) string {
	tb.Helper()
	n, err := giftcards.NewNumber()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func yen(amount int64) map[string]any { return map[string]any{"amount": amount, "currency": "JPY"} }

func giftPayment(number string, amount int64) map[string]any {
	return map[string]any{"method": "GIFT_CARD", "amount": yen(amount), "giftCardNumber": number}
}

func giftLoad(number string, amount int64) map[string]any {
	return map[string]any{"number": number, "amount": yen(amount)}
}

// cardState reads a card as stored (balance, state) and the number of its
// activities, straight from the table: what a refused checkout must not
// have changed.
func cardState(tb testing.TB, m merchant, number string) (balance int64, state string, activities int) {
	tb.Helper()
	pk := "T#" + m.tenantID + "#GIFTCARD#" + number
	got, err := local.DynamoDB.GetItem(tenant.WithID(tb.Context(), m.tenantID), &dynamodb.GetItemInput{TableName: aws.String(local.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "CARD"}}})
	if err != nil {
		tb.Fatal(err)
	}
	if got.Item != nil {
		if v, ok := got.Item["balance"].(*types.AttributeValueMemberN); ok {
			fmt.Sscan(v.Value, &balance)
		}
		if v, ok := got.Item["state"].(*types.AttributeValueMemberS); ok {
			state = v.Value
		}
	}
	acts, err := local.DynamoDB.Query(tenant.WithID(tb.Context(), m.tenantID), &dynamodb.QueryInput{TableName: aws.String(local.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :act)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk},
			":act": &types.AttributeValueMemberS{Value: "ACT#"}}})
	if err != nil {
		tb.Fatal(err)
	}
	return balance, state, len(acts.Items)
}

// loadCard sells a load of amount onto number (a sale of the load alone,
// paid in cash) and returns the order.
func loadCard(tb testing.TB, s store, key, number string, amount int64) map[string]any {
	tb.Helper()
	r := giftCheckout(tb, s.m.token, map[string]any{"idempotencyKey": key, "locationId": s.loc, "lines": []any{},
		"giftCardLoads": []any{giftLoad(number, amount)}, "payments": []any{cashPayment(amount, amount)}})
	mustOK(tb, r, "checkout")
	return field(tb, r.Data, "checkout.order").(map[string]any)
}

func wantCheckoutError(tb testing.TB, r gqlResponse, code, path string) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("top-level errors: %+v", r.Errors)
	}
	list, _ := field(tb, r.Data, "checkout.userErrors").([]any)
	for _, e := range list {
		em := e.(map[string]any)
		var parts []string
		for _, p := range em["field"].([]any) {
			parts = append(parts, p.(string))
		}
		if em["code"] == code && strings.Join(parts, ".") == path {
			if o := field(tb, r.Data, "checkout.order"); o != nil {
				tb.Fatalf("an order with a userError: %v", o)
			}
			return
		}
	}
	tb.Fatalf("want %s at %s, got %v", code, path, list)
}

func TestGiftCardCheckout_SoldLoadedAndSpentInSplitTender(t *testing.T) {
	s := newStore(t, "gcsplit", nil)
	number := newCardNumber(t)
	masked := giftcards.Mask(number)

	// Sold and loaded: ¥5,000 onto a card never seen (a printed card) next
	// to an onigiri (¥540), paid in cash. The load carries no tax and is
	// not in the order's total.
	r := giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": "gc-sell", "locationId": s.loc,
		"lines":         []any{map[string]any{"variantId": s.onigiri, "quantity": 1}},
		"giftCardLoads": []any{giftLoad(number, 5000)}, "payments": []any{cashPayment(5540, 6000)}})
	mustOK(t, r, "checkout")
	d := r.Data
	if got := num(t, d, "checkout.order.total.amount"); got != 540 {
		t.Fatalf("total = %d, want 540 (the load is not a sale)", got)
	}
	if got := num(t, d, "checkout.order.taxTotal.amount"); got != 40 {
		t.Fatalf("taxTotal = %d, want 40 (8%% of the onigiri only)", got)
	}
	if got := num(t, d, "checkout.order.giftCardLoadTotal.amount"); got != 5000 {
		t.Fatalf("giftCardLoadTotal = %d", got)
	}
	if got := str(t, d, "checkout.order.giftCardLoads.0.cardNumber"); got != masked {
		t.Fatalf("load card number %q, want %q (masked)", got, masked)
	}
	if got := num(t, d, "checkout.order.payments.0.change.amount"); got != 460 {
		t.Fatalf("change = %d, want 460", got)
	}
	receipt := str(t, d, "checkout.order.receipt.text")
	if !strings.Contains(receipt, "ギフトカード入金 *"+number[12:]) || strings.Contains(receipt, number) {
		t.Fatalf("receipt does not show the load masked:\n%s", receipt)
	}
	if bal, state, acts := cardState(t, s.m, number); bal != 5000 || state != "ACTIVE" || acts != 1 {
		t.Fatalf("card after the load: balance %d, state %s, %d activities", bal, state, acts)
	}

	// Spent in a split tender: the basket (¥2,185) paid ¥2,000 by the card
	// and ¥185 in cash.
	spend := s.basket("gc-spend", giftPayment(number, 2000), cashPayment(185, 185))
	r = giftCheckout(t, s.m.token, spend)
	mustOK(t, r, "checkout")
	d = r.Data
	orderID := str(t, d, "checkout.order.id")
	if got := str(t, d, "checkout.order.status"); got != "COMPLETED" {
		t.Fatalf("status %s", got)
	}
	if str(t, d, "checkout.order.payments.0.method") != "GIFT_CARD" || str(t, d, "checkout.order.payments.0.giftCardNumber") != masked ||
		num(t, d, "checkout.order.payments.0.amount.amount") != 2000 || str(t, d, "checkout.order.payments.1.method") != "CASH" {
		t.Fatalf("payments %v", field(t, d, "checkout.order.payments"))
	}
	if receipt := str(t, d, "checkout.order.receipt.text"); !strings.Contains(receipt, "ギフトカード *"+number[12:]) || strings.Contains(receipt, number) {
		t.Fatalf("receipt does not show the card payment masked:\n%s", receipt)
	}
	if bal, _, acts := cardState(t, s.m, number); bal != 3000 || acts != 2 {
		t.Fatalf("card after the spend: balance %d, %d activities", bal, acts)
	}
	if onHand(t, s.m, s.loc, s.onigiri) != 97 || onHand(t, s.m, s.loc, s.mug) != 99 {
		t.Fatal("stock not taken")
	}

	// The same request again replays the order and spends nothing more.
	r = giftCheckout(t, s.m.token, spend)
	mustOK(t, r, "checkout")
	if got := str(t, r.Data, "checkout.order.id"); got != orderID {
		t.Fatalf("replay answered %s, want %s", got, orderID)
	}
	if bal, _, acts := cardState(t, s.m, number); bal != 3000 || acts != 2 {
		t.Fatalf("card after the replay: balance %d, %d activities", bal, acts)
	}

	// giftCard answers the balance and the sale's activities, newest first.
	g := gql(t, s.m.token, `query($n: String!) { giftCard(number: $n) { state balance { amount } expiresAt activities { nodes { kind amount { amount } orderId } } } }`,
		map[string]any{"n": number})
	mustOK(t, g, "")
	if str(t, g.Data, "giftCard.state") != "ACTIVE" || num(t, g.Data, "giftCard.balance.amount") != 3000 || str(t, g.Data, "giftCard.expiresAt") == "" ||
		str(t, g.Data, "giftCard.activities.nodes.0.kind") != "REDEEM" || num(t, g.Data, "giftCard.activities.nodes.0.amount.amount") != -2000 ||
		str(t, g.Data, "giftCard.activities.nodes.0.orderId") != orderID || str(t, g.Data, "giftCard.activities.nodes.1.kind") != "LOAD" {
		t.Fatalf("giftCard: %v", g.Data)
	}

	// The order read back keeps the load and the card payment.
	o := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { giftCardLoadTotal { amount } payments { method giftCardNumber } } }`, map[string]any{"id": orderID})
	mustOK(t, o, "")
	if str(t, o.Data, "order.payments.0.giftCardNumber") != masked || num(t, o.Data, "order.giftCardLoadTotal.amount") != 0 {
		t.Fatalf("order read back: %v", o.Data)
	}
}

func TestGiftCardCheckout_ConcurrentSpendsNeverExceedTheBalance(t *testing.T) {
	s := newStore(t, "gcrush", nil)
	number := newCardNumber(t)
	loadCard(t, s, "gc-rush-load", number, 5000)

	// 20 registers' worth of sales at once, each a mug (¥1,105) paid ¥1,000
	// by the card and ¥105 in cash: the card holds enough for 5.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, short, other := 0, 0, []string{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": fmt.Sprint("gc-rush-", i), "locationId": s.loc,
				"lines":    []any{map[string]any{"variantId": s.mug, "quantity": 1}},
				"payments": []any{giftPayment(number, 1000), cashPayment(105, 105)}})
			mu.Lock()
			defer mu.Unlock()
			codes := userErrorCodes(t, r.Data, "checkout")
			switch {
			case len(r.Errors) == 0 && len(codes) == 0:
				ok++
			case len(r.Errors) == 0 && len(codes) == 1 && codes[0] == "INSUFFICIENT_BALANCE":
				short++
			default:
				other = append(other, fmt.Sprint(r.Errors, field(t, r.Data, "checkout.userErrors")))
			}
		}()
	}
	wg.Wait()
	if ok != 5 || short != 15 || len(other) > 0 {
		t.Fatalf("successes %d, insufficient %d, other %v", ok, short, other)
	}
	if bal, _, acts := cardState(t, s.m, number); bal != 0 || acts != 6 {
		t.Fatalf("card: balance %d (want 0), %d activities (want 1 load + 5 redeems)", bal, acts)
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 95 {
		t.Fatalf("mugs on hand %d, want 95 (refused sales take no stock)", got)
	}
}

func TestGiftCardCheckout_RefusalsWriteNothing(t *testing.T) {
	s := newStore(t, "gcrefuse", nil)
	number := newCardNumber(t)
	loadCard(t, s, "gc-refuse-load", number, 1000) // order 000001

	t.Run("a redemption beyond the balance", func(t *testing.T) {
		r := giftCheckout(t, s.m.token, s.basket("gc-beyond", cashPayment(185, 185), giftPayment(number, 2000)))
		wantCheckoutError(t, r, "INSUFFICIENT_BALANCE", "input.payments.1.giftCardNumber")
		if bal, state, acts := cardState(t, s.m, number); bal != 1000 || state != "ACTIVE" || acts != 1 {
			t.Fatalf("card: balance %d, state %s, %d activities", bal, state, acts)
		}
		if onHand(t, s.m, s.loc, s.onigiri) != 100 || onHand(t, s.m, s.loc, s.mug) != 100 {
			t.Fatal("a refused sale took stock")
		}
	})

	t.Run("a wrong check digit", func(t *testing.T) {
		bad := number[:15] + fmt.Sprint((int(number[15]-'0')+1)%10)
		r := giftCheckout(t, s.m.token, s.basket("gc-luhn", giftPayment(bad, 2185)))
		wantCheckoutError(t, r, "INVALID", "input.payments.0.giftCardNumber")
		r = giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": "gc-luhn-load", "locationId": s.loc, "lines": []any{},
			"giftCardLoads": []any{giftLoad(bad, 1000)}, "payments": []any{cashPayment(1000, 1000)}})
		wantCheckoutError(t, r, "INVALID", "input.giftCardLoads.0.number")
	})

	t.Run("a card nobody has", func(t *testing.T) {
		r := giftCheckout(t, s.m.token, s.basket("gc-nobody", giftPayment(newCardNumber(t), 2185)))
		wantCheckoutError(t, r, "NOT_FOUND", "input.payments.0.giftCardNumber")
	})

	t.Run("another tenant's card", func(t *testing.T) {
		other := newStore(t, "gcother", nil)
		r := giftCheckout(t, other.m.token, other.basket("gc-other", giftPayment(number, 100), cashPayment(2085, 2085)))
		wantCheckoutError(t, r, "NOT_FOUND", "input.payments.0.giftCardNumber")
		if bal, _, acts := cardState(t, s.m, number); bal != 1000 || acts != 1 {
			t.Fatalf("card: balance %d, %d activities", bal, acts)
		}
	})

	t.Run("a load on a deactivated card", func(t *testing.T) {
		deactivateCard(t, s.m, number)
		_, _, before := cardState(t, s.m, number)
		r := giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": "gc-deact-load", "locationId": s.loc,
			"lines":         []any{map[string]any{"variantId": s.onigiri, "quantity": 1}},
			"giftCardLoads": []any{giftLoad(number, 3000)}, "payments": []any{cashPayment(3540, 3540)}})
		wantCheckoutError(t, r, "INVALID", "input.giftCardLoads.0.number")
		if bal, state, acts := cardState(t, s.m, number); bal != 1000 || state != "DEACTIVATED" || acts != before {
			t.Fatalf("card: balance %d, state %s, %d activities (was %d)", bal, state, acts, before)
		}
		if onHand(t, s.m, s.loc, s.onigiri) != 100 {
			t.Fatal("a refused sale took stock")
		}
		// Spending it is refused too.
		r = giftCheckout(t, s.m.token, s.basket("gc-deact-spend", giftPayment(number, 500), cashPayment(1685, 1685)))
		wantCheckoutError(t, r, "INVALID", "input.payments.0.giftCardNumber")
	})

	// Nothing refused took a number: the next sale is the register's second.
	r := giftCheckout(t, s.m.token, s.basket("gc-after", cashPayment(2185, 2185)))
	mustOK(t, r, "checkout")
	if got := str(t, r.Data, "checkout.order.number"); !strings.HasSuffix(got, "-000002") {
		t.Fatalf("number %s, want the register's second", got)
	}
}

// deactivateCard deactivates a card through deactivateGiftCard.
func deactivateCard(tb testing.TB, m merchant, number string) {
	tb.Helper()
	r := gql(tb, m.token, `mutation($in: DeactivateGiftCardInput!) { deactivateGiftCard(input: $in) { userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"number": number, "reason": "lost"}})
	mustOK(tb, r, "deactivateGiftCard")
}

func TestGiftCardCheckout_TwoCardsAndALoadInOneSale(t *testing.T) {
	s := newStore(t, "gctwo", nil)
	a, b, c := newCardNumber(t), newCardNumber(t), newCardNumber(t)
	loadCard(t, s, "gc-two-a", a, 1500)
	loadCard(t, s, "gc-two-b", b, 1000)
	// The basket (¥2,185) and ¥3,000 onto card c, paid by both cards to
	// their last yen and the rest in cash: one transaction writes the three
	// cards, their activities and the stock.
	in := s.basket("gc-two", giftPayment(a, 1500), giftPayment(b, 1000), cashPayment(2685, 3000))
	in["giftCardLoads"] = []any{giftLoad(c, 3000)}
	r := giftCheckout(t, s.m.token, in)
	mustOK(t, r, "checkout")
	if num(t, r.Data, "checkout.order.total.amount") != 2185 || num(t, r.Data, "checkout.order.payments.2.change.amount") != 315 {
		t.Fatalf("order %v", field(t, r.Data, "checkout.order"))
	}
	for _, want := range []struct {
		number  string
		balance int64
		acts    int
	}{{a, 0, 2}, {b, 0, 2}, {c, 3000, 1}} {
		if bal, state, acts := cardState(t, s.m, want.number); bal != want.balance || state != "ACTIVE" || acts != want.acts {
			t.Fatalf("card %s: balance %d, state %s, %d activities; want %d, %d", giftcards.Mask(want.number), bal, state, acts, want.balance, want.acts)
		}
	}
}

// TestGiftCards_CheckoutCannotEnumerateNumbers: a number that names no card
// counts against the caller's look-up limit (20 a minute, as
// giftCard(number:)), and past it every gift card sale of that caller is
// refused whether the number exists or not, so checkout tells a prober
// nothing more than the look-up does. Another caller is not affected.
func TestGiftCards_CheckoutCannotEnumerateNumbers(t *testing.T) {
	s := newStore(t, "gcprobe", nil)
	number := newCardNumber(t)
	loadCard(t, s, "gc-probe-load", number, 5000)
	probes := 0
	for i := range 25 {
		r := giftCheckout(t, s.m.token, s.basket(fmt.Sprint("gc-probe-", i), giftPayment(newCardNumber(t), 2185)))
		if codes := userErrorCodes(t, r.Data, "checkout"); len(codes) == 1 && codes[0] == "RATE_LIMITED" {
			break
		}
		wantCheckoutError(t, r, "NOT_FOUND", "input.payments.0.giftCardNumber")
		probes++
	}
	if probes != 20 {
		t.Fatalf("%d numbers probed before the limit, want 20", probes)
	}
	// Past the limit a real card is refused too: existence is not told.
	r := giftCheckout(t, s.m.token, s.basket("gc-probe-real", giftPayment(number, 2185)))
	if codes := userErrorCodes(t, r.Data, "checkout"); len(codes) != 1 || codes[0] != "RATE_LIMITED" {
		t.Fatalf("a real card past the limit: %v, want RATE_LIMITED", codes)
	}
	// Sales without gift cards go on.
	mustOK(t, checkout(t, s.m.token, s.basket("gc-probe-cash", cashPayment(2185, 3000))), "checkout")
}
