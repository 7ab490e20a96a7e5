package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/stripehook"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

const hookSecret = "whsec_dynamo_pending_test"

type hookParser struct{}

func (hookParser) ParseEvent(p []byte, header string, now time.Time) (payments.Event, error) {
	return stripepay.ParseEvent(p, header, hookSecret, now)
}

// signedEvent is a Stripe event about an intent, signed as Stripe signs it.
func signedEvent(t *testing.T, id, typ string, in payments.Intent, status string) ([]byte, string) {
	t.Helper()
	obj := map[string]any{"id": in.ID, "object": "payment_intent", "status": status, "amount": in.Amount, "metadata": in.Metadata}
	if typ == string(payments.EventIntentFailed) {
		obj["last_payment_error"] = map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	p := fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"created":%d,"type":%q,"account":"acct_test","livemode":false,"data":{"object":%s}}`,
		id, stripepay.APIVersion, time.Now().Unix(), typ, raw)
	return p, webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: p, Secret: hookSecret, Timestamp: time.Now()}).Header
}

// TestWebhook_SignedEventsMoveTheOrderForwardOnly posts signed events to
// POST /webhooks/stripe (the real handler, S1's ParseEvent, the sales
// service, DynamoDB Local): out of order, twice, late.
func TestWebhook_SignedEventsMoveTheOrderForwardOnly(t *testing.T) {
	sh, g := cardShop(t, 10)
	h := &stripehook.Handler{Parser: hookParser{}, Payments: sh.svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	deliver := func(p []byte, header string) int {
		r := httptest.NewRequest(http.MethodPost, stripehook.Path, bytes.NewReader(p))
		r.Header.Set("Stripe-Signature", header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	o, err := sh.svc.Checkout(sh.ctx, sh.card("w1", 2, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	in := *g.intents[o.Payments[0].Reference]

	// The success and its duplicate, then a failure and a cancellation that
	// Stripe sent earlier but that arrive late: COMPLETED stays.
	ok, okHeader := signedEvent(t, "evt_ok", string(payments.EventIntentSucceeded), in, "succeeded")
	for _, ev := range []struct {
		p      []byte
		header string
	}{
		{ok, okHeader}, {ok, okHeader},
	} {
		if code := deliver(ev.p, ev.header); code != http.StatusOK {
			t.Fatalf("delivery: %d", code)
		}
	}
	for i, typ := range []payments.EventType{payments.EventIntentFailed, payments.EventIntentCanceled} {
		p, header := signedEvent(t, fmt.Sprint("evt_late_", i), string(typ), in, "requires_payment_method")
		if code := deliver(p, header); code != http.StatusOK {
			t.Fatalf("late %s: %d", typ, code)
		}
	}
	got := sh.order(t, o.ID)
	if got.Status != sales.StatusCompleted || got.Payments[0].Status != sales.PaymentSucceeded || sh.level(t).OnHand != 8 || len(sh.outbox(t, EventOrderCompleted)) != 1 {
		t.Fatalf("after the events: %s %+v, stock %d", got.Status, got.Payments[0], sh.level(t).OnHand)
	}

	// A failure first, then its duplicate: cancelled and the stock given back once.
	o2, err := sh.svc.Checkout(sh.ctx, sh.card("w2", 3, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	in2 := *g.intents[o2.Payments[0].Reference]
	fail, failHeader := signedEvent(t, "evt_fail2", string(payments.EventIntentFailed), in2, "requires_payment_method")
	for range 2 {
		if code := deliver(fail, failHeader); code != http.StatusOK {
			t.Fatalf("failure: %d", code)
		}
	}
	got = sh.order(t, o2.ID)
	if got.Status != sales.StatusCanceled || got.Payments[0].DeclineCode != "insufficient_funds" || sh.level(t).OnHand != 8 {
		t.Fatalf("after the failure: %s %+v, stock %d", got.Status, got.Payments[0], sh.level(t).OnHand)
	}

	// A forged copy of a success for the cancelled sale changes nothing.
	forged, _ := signedEvent(t, "evt_forged", string(payments.EventIntentSucceeded), in2, "succeeded")
	_, otherHeader := signedEvent(t, "evt_other", string(payments.EventIntentSucceeded), in, "succeeded")
	if code := deliver(forged, otherHeader); code != http.StatusBadRequest || len(g.refunds) != 0 || sh.order(t, o2.ID).Status != sales.StatusCanceled {
		t.Fatalf("forged: %d, refunds %d", code, len(g.refunds))
	}
}
