package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Card sales end to end on the local stack's labelled card simulator: it
// follows Stripe's test payment methods and signs its webhooks as Stripe
// does, posting them to the API's POST /webhooks/stripe.

const cardCheckoutMutation = `mutation($in: CheckoutInput!) { checkout(input: $in) {
  order { id number status total { amount } payments { method status amount { amount } reference clientSecret } }
  userErrors { field message code } } }`

const orderStatusQuery = `query($id: ID!) { order(id: $id) { id number status payments { method status reference clientSecret } } }`

// cardStore is a store whose tenant finished card onboarding (the
// simulator's accounts take charges at once).
func cardStore(tb testing.TB, name string) store {
	tb.Helper()
	s := newStore(tb, name, nil)
	r := gql(tb, s.m.token, `mutation { startCardPaymentsOnboarding { url userErrors { code message } } }`, nil)
	mustOK(tb, r, "startCardPaymentsOnboarding")
	return s
}

// cardBasket is one onigiri (¥540) paid by card (pm "" for a reader), with
// cash covering `cash` of it.
func (s store) cardBasket(key, pm string, cash int64) map[string]any {
	card := map[string]any{"method": "CARD", "amount": map[string]any{"amount": 540 - cash, "currency": "JPY"}}
	if pm != "" {
		card["paymentMethodId"] = pm
	}
	payments := []any{card}
	if cash > 0 {
		payments = []any{cashPayment(cash, cash), card}
	}
	return map[string]any{"idempotencyKey": key, "locationId": s.loc,
		"lines": []any{map[string]any{"variantId": s.onigiri, "quantity": 1}}, "payments": payments}
}

func cardCheckout(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, cardCheckoutMutation, map[string]any{"in": in})
}

// orderStatus polls an order until it has the status (webhooks are
// asynchronous), failing after 10 s.
func orderStatus(tb testing.TB, token, id, want string) map[string]any {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := gql(tb, token, orderStatusQuery, map[string]any{"id": id})
		if got := str(tb, r.Data, "order.status"); got == want {
			return r.Data
		} else if time.Now().After(deadline) {
			tb.Fatalf("order %s is %s, want %s", id, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCards_CardNotPresent(t *testing.T) {
	s := cardStore(t, "CardsCNP")

	t.Run("pm_card_visa completes the sale", func(t *testing.T) {
		r := cardCheckout(t, s.m.token, s.cardBasket("cnp-visa", "pm_card_visa", 0))
		mustOK(t, r, "checkout")
		if str(t, r.Data, "checkout.order.status") != "COMPLETED" || str(t, r.Data, "checkout.order.payments.0.status") != "SUCCEEDED" ||
			!strings.HasPrefix(str(t, r.Data, "checkout.order.payments.0.reference"), "pi_") {
			t.Fatalf("order %v", r.Data)
		}
		if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
			t.Fatalf("on hand %d, want 99", got)
		}
		// A card sale is numbered like any other, in the answer and as stored.
		number := str(t, r.Data, "checkout.order.number")
		if !regexp.MustCompile(`^\d{3}-01-\d{6}$`).MatchString(number) {
			t.Fatalf("order number %q, want LLL-01-NNNNNN", number)
		}
		if stored := orderStatus(t, s.m.token, str(t, r.Data, "checkout.order.id"), "COMPLETED"); str(t, stored, "order.number") != number {
			t.Fatalf("stored number %q, answered %q", str(t, stored, "order.number"), number)
		}
	})

	t.Run("pm_card_chargeDeclined is PAYMENT_DECLINED with stock unchanged and no order", func(t *testing.T) {
		before := onHand(t, s.m, s.loc, s.onigiri)
		r := cardCheckout(t, s.m.token, s.cardBasket("cnp-declined", "pm_card_chargeDeclined", 0))
		if codes := userErrorCodes(t, r.Data, "checkout"); len(codes) != 1 || codes[0] != "PAYMENT_DECLINED" || field(t, r.Data, "checkout.order") != nil {
			t.Fatalf("answer %v", r.Data)
		}
		if got := onHand(t, s.m, s.loc, s.onigiri); got != before {
			t.Fatalf("on hand %d, want %d", got, before)
		}
		orders := gql(t, s.m.token, `query { orders(first: 50, filter: {status: COMPLETED}) { nodes { id } } }`, nil)
		if n := len(field(t, orders.Data, "orders.nodes").([]any)); n != 1 {
			t.Fatalf("%d completed orders, want only the visa sale's", n)
		}
		again := cardCheckout(t, s.m.token, s.cardBasket("cnp-declined", "pm_card_chargeDeclined", 0))
		if codes := userErrorCodes(t, again.Data, "checkout"); len(codes) != 1 || codes[0] != "PAYMENT_DECLINED" {
			t.Fatalf("replay %v", again.Data)
		}
	})

	t.Run("split tender: cash and a card", func(t *testing.T) {
		r := cardCheckout(t, s.m.token, s.cardBasket("cnp-split", "pm_card_mastercard", 40))
		mustOK(t, r, "checkout")
		if str(t, r.Data, "checkout.order.status") != "COMPLETED" || str(t, r.Data, "checkout.order.payments.0.method") != "CASH" ||
			num(t, r.Data, "checkout.order.payments.1.amount.amount") != 500 {
			t.Fatalf("order %v", r.Data)
		}
	})
}

func TestCards_ReaderCompletesThroughTheWebhook(t *testing.T) {
	s := cardStore(t, "CardsReader")
	r := cardCheckout(t, s.m.token, s.cardBasket("reader-1", "", 0))
	mustOK(t, r, "checkout")
	id, intent := str(t, r.Data, "checkout.order.id"), str(t, r.Data, "checkout.order.payments.0.reference")
	if str(t, r.Data, "checkout.order.status") != "PENDING_PAYMENT" || str(t, r.Data, "checkout.order.payments.0.status") != "PENDING" ||
		!strings.Contains(str(t, r.Data, "checkout.order.payments.0.clientSecret"), "_secret_") {
		t.Fatalf("order %v", r.Data)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("the pending sale did not reserve its stock: on hand %d", got)
	}
	// The reader taps a test card; the simulator posts the signed
	// payment_intent.succeeded to /webhooks/stripe.
	body, _ := json.Marshal(map[string]string{"paymentIntentId": intent, "paymentMethod": "pm_card_visa"})
	res, err := http.Post(baseURL()+"/simulator/terminal/present", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("present card: %d", res.StatusCode)
	}
	data := orderStatus(t, s.m.token, id, "COMPLETED")
	if str(t, data, "order.payments.0.status") != "SUCCEEDED" || field(t, data, "order.payments.0.clientSecret") != nil {
		t.Fatalf("order %v", data)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("on hand %d after completion", got)
	}
}

func TestCards_ForgedWebhookIsRefused(t *testing.T) {
	s := cardStore(t, "CardsForged")
	r := cardCheckout(t, s.m.token, s.cardBasket("forged-1", "", 0))
	mustOK(t, r, "checkout")
	id, intent := str(t, r.Data, "checkout.order.id"), str(t, r.Data, "checkout.order.payments.0.reference")
	payload := fmt.Sprintf(`{"id":"evt_forged","object":"event","api_version":"2023-10-16","created":%d,"type":"payment_intent.succeeded","data":{"object":{"id":%q,"object":"payment_intent","status":"succeeded","amount":540,"metadata":{"order_id":%q}}}}`,
		time.Now().Unix(), intent, id)
	for name, header := range map[string]string{
		"forged":   fmt.Sprintf("t=%d,v1=%s", time.Now().Unix(), strings.Repeat("ab", 32)),
		"unsigned": "",
	} {
		req, _ := http.NewRequest(http.MethodPost, baseURL()+"/webhooks/stripe", strings.NewReader(payload))
		if header != "" {
			req.Header.Set("Stripe-Signature", header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || strings.Contains(string(b), "whsec") {
			t.Fatalf("%s: %d %s", name, res.StatusCode, b)
		}
	}
	if got := str(t, gql(t, s.m.token, orderStatusQuery, map[string]any{"id": id}).Data, "order.status"); got != "PENDING_PAYMENT" {
		t.Fatalf("a forged webhook moved the order to %s", got)
	}
}

func baseURL() string { return strings.TrimSuffix(apiURL, "/graphql") }

func TestCards_ExpiryReleasesTheStock(t *testing.T) {
	s := cardStore(t, "CardsExpiry")
	r := cardCheckout(t, s.m.token, s.cardBasket("expiry-1", "", 0))
	mustOK(t, r, "checkout")
	id := str(t, r.Data, "checkout.order.id")
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 99 {
		t.Fatalf("on hand %d while pending", got)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	// Before the TTL nothing moves; past it the sale is cancelled, twice at once safely.
	if err := local.ExpirePendingPayments(t.Context(), time.Now(), log); err != nil {
		t.Fatal(err)
	}
	if got := str(t, gql(t, s.m.token, orderStatusQuery, map[string]any{"id": id}).Data, "order.status"); got != "PENDING_PAYMENT" {
		t.Fatalf("a fresh sale expired: %s", got)
	}
	later := time.Now().Add(16 * time.Minute)
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- local.ExpirePendingPayments(t.Context(), later, log) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	data := orderStatus(t, s.m.token, id, "CANCELED")
	if str(t, data, "order.payments.0.status") != "FAILED" {
		t.Fatalf("order %v", data)
	}
	if got := onHand(t, s.m, s.loc, s.onigiri); got != 100 {
		t.Fatalf("on hand %d after expiry, want 100", got)
	}
	// The reader can no longer take the card: the intent was cancelled.
	body, _ := json.Marshal(map[string]string{"paymentIntentId": str(t, data, "order.payments.0.reference"), "paymentMethod": "pm_card_visa"})
	res, err := http.Post(baseURL()+"/simulator/terminal/present", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("present card on an expired sale: %d", res.StatusCode)
	}
}
