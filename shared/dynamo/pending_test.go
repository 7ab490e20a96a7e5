package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// fakeGateway is a card processor in memory with Stripe's idempotency: a
// request sent again with its Idempotency-Key gets the first answer. pm_…
// ids containing "Declined" decline; failNext makes the next CreateIntent
// do its work and then report an outage (a timeout after Stripe charged).
type fakeGateway struct {
	payments.Gateway // methods card sales do not use panic

	mu        sync.Mutex
	byKey     map[string]fakeAnswer
	intents   map[string]*payments.Intent
	requests  []payments.IntentRequest
	charges   int // intents that succeeded
	cancels   []string
	refunds   []payments.RefundRequest
	failNext  bool
	failAfter bool // with failNext: the work is done before the outage
}

type fakeAnswer struct {
	intent payments.Intent
	err    error
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{byKey: map[string]fakeAnswer{}, intents: map[string]*payments.Intent{}}
}

func (g *fakeGateway) CreateIntent(_ context.Context, req payments.IntentRequest) (payments.Intent, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, req)
	if g.failNext && !g.failAfter {
		g.failNext = false
		return payments.Intent{}, apperr.New(apperr.Unavailable, "processor unavailable")
	}
	a, seen := g.byKey[req.IdempotencyKey]
	if !seen {
		in := payments.Intent{ID: fmt.Sprintf("pi_%d", len(g.intents)+1), Amount: req.Amount, Metadata: req.Metadata, Status: payments.IntentRequiresPaymentMethod}
		in.ClientSecret = in.ID + "_secret_x"
		if contains(req.PaymentMethodID, "unknown") { // refused before anything exists
			return payments.Intent{}, apperr.New(apperr.Invalid, "the payment method cannot be used", "paymentMethodId")
		}
		switch {
		case req.PaymentMethodID == "":
		case contains(req.PaymentMethodID, "Declined"):
			in.DeclineCode = "generic_decline"
			a.err = apperr.New(apperr.PaymentDeclined, "Your card was declined. (generic_decline)")
		default:
			in.Status = payments.IntentSucceeded
			g.charges++
		}
		g.intents[in.ID] = &in
		a.intent = in
		g.byKey[req.IdempotencyKey] = a
	}
	if g.failNext {
		g.failNext = false
		return payments.Intent{}, apperr.New(apperr.Unavailable, "processor timed out")
	}
	return a.intent, a.err
}

func (g *fakeGateway) CancelIntent(_ context.Context, accountID, intentID, key string) (payments.Intent, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cancels = append(g.cancels, intentID)
	in, ok := g.intents[intentID]
	switch {
	case !ok:
		return payments.Intent{}, apperr.New(apperr.NotFound, "no such intent")
	case in.Status == payments.IntentSucceeded:
		return payments.Intent{}, apperr.New(apperr.Conflict, "the intent succeeded")
	}
	in.Status = payments.IntentCanceled
	return *in, nil
}

func (g *fakeGateway) Refund(_ context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.refunds {
		if r.IdempotencyKey == req.IdempotencyKey {
			return payments.RefundResult{ID: "re_1", Status: "succeeded", Amount: r.Amount}, nil
		}
	}
	g.refunds = append(g.refunds, req)
	return payments.RefundResult{ID: "re_1", Status: "succeeded", Amount: req.Amount}, nil
}

// succeed is the customer tapping a card on the reader.
func (g *fakeGateway) succeed(id string) payments.Intent {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.intents[id].Status = payments.IntentSucceeded
	g.charges++
	return *g.intents[id]
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// cardShop is a shop whose tenant takes cards (fee 2.5 %) through g.
func cardShop(t *testing.T, stock int64) (shop, *fakeGateway) {
	t.Helper()
	sh := newShop(t, mustTable(t), stock)
	tpk, _ := tenantPK(sh.ctx)
	_, err := sh.tb.client.UpdateItem(sh.ctx, &dynamodb.UpdateItemInput{TableName: &sh.tb.name, Key: key(tpk, skTenant),
		UpdateExpression:          aws.String("SET stripeAccountId = :a, cardPaymentsEnabled = :t, applicationFeeBps = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("acct_test"), ":t": &types.AttributeValueMemberBOOL{Value: true}, ":f": n(250)}})
	if err != nil {
		t.Fatal(err)
	}
	g := newFakeGateway()
	sh.svc.Payments, sh.svc.Pending = g, NewPendingStore(sh.tb)
	return sh, g
}

// card is a sale of qty teas (300 each) paid by card (pm "" for a reader),
// with cash covering `cash` of it.
func (sh shop) card(key string, qty int64, pm string, cash int64) sales.CheckoutInput {
	in := sh.input(key, "", qty)
	in.Payments = []sales.PaymentInput{{Method: sales.Card, Amount: sales.Money{Amount: 300*qty - cash, Currency: "JPY"}, PaymentMethodID: pm}}
	if cash > 0 {
		in.Payments = append([]sales.PaymentInput{{Method: sales.Cash, Amount: sales.Money{Amount: cash, Currency: "JPY"}}}, in.Payments...)
	}
	return in
}

func (sh shop) order(t testing.TB, id string) sales.Order {
	t.Helper()
	o, err := sh.st.GetOrder(sh.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (sh shop) pendingEntries(t testing.TB, before time.Time) []sales.PendingRef {
	t.Helper()
	refs, err := NewPendingStore(sh.tb).ExpiredPending(sh.ctx, before, 2*time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

func event(typ payments.EventType, id string, in payments.Intent) payments.Event {
	return payments.Event{ID: id, Type: typ, Created: time.Now(), AccountID: "acct_test", Intent: &in}
}

func TestCardCheckout_CardNotPresent(t *testing.T) {
	t.Run("approved: completed, charged once with the fee and the derived key", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		o, err := sh.svc.Checkout(sh.ctx, sh.card("c1", 2, "pm_card_visa", 0))
		if err != nil {
			t.Fatal(err)
		}
		p := o.Payments[0]
		if o.Status != sales.StatusCompleted || p.Status != sales.PaymentSucceeded || p.Reference != "pi_1" {
			t.Fatalf("order %s, payment %+v", o.Status, p)
		}
		if got := sh.order(t, o.ID); got.Status != sales.StatusCompleted || got.Payments[0].Reference != "pi_1" {
			t.Fatalf("stored %s %+v", got.Status, got.Payments)
		}
		req := g.requests[0]
		if req.Amount != 600 || req.ApplicationFee != 15 || req.AccountID != "acct_test" || req.CardPresent ||
			req.Metadata[sales.MetadataOrderID] != o.ID || req.IdempotencyKey != sales.IntentIdempotencyKey(req.Metadata[sales.MetadataTenantID], "c1", 0) {
			t.Fatalf("intent request %+v", req)
		}
		if sh.level(t).OnHand != 8 || len(sh.outbox(t, EventOrderCompleted)) != 1 || len(sh.pendingEntries(t, time.Now().Add(time.Hour))) != 0 {
			t.Fatalf("stock %d, events %d", sh.level(t).OnHand, len(sh.outbox(t, EventOrderCompleted)))
		}
		// A retry replays without asking the processor again.
		again, err := sh.svc.Checkout(sh.ctx, sh.card("c1", 2, "pm_card_visa", 0))
		if err != nil || again.ID != o.ID || len(g.requests) != 1 {
			t.Fatalf("replay %v %s, %d requests", err, again.ID, len(g.requests))
		}
	})

	t.Run("declined: PAYMENT_DECLINED, stock as before, nothing completed, replays the same", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		_, err := sh.svc.Checkout(sh.ctx, sh.card("c2", 2, "pm_card_chargeDeclined", 0))
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.PaymentDeclined || ae.Message != "the card was declined (generic_decline)" {
			t.Fatalf("err %v", err)
		}
		if sh.level(t).OnHand != 10 || len(sh.outbox(t, EventOrderCompleted)) != 0 || len(sh.pendingEntries(t, time.Now().Add(time.Hour))) != 0 {
			t.Fatalf("stock %d after a decline", sh.level(t).OnHand)
		}
		completed, _, err := sh.st.ListOrders(sh.ctx, sales.OrderFilter{Status: sales.StatusCompleted}, 10, "")
		if err != nil || len(completed) != 0 {
			t.Fatalf("completed orders %v %v", completed, err)
		}
		_, err = sh.svc.Checkout(sh.ctx, sh.card("c2", 2, "pm_card_chargeDeclined", 0))
		if apperr.CodeOf(err) != apperr.PaymentDeclined || len(g.requests) != 1 {
			t.Fatalf("replay %v, %d requests", err, len(g.requests))
		}
	})

	t.Run("processor outage after the charge: UNAVAILABLE, then the retry completes with one charge", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		g.failNext, g.failAfter = true, true
		_, err := sh.svc.Checkout(sh.ctx, sh.card("c3", 2, "pm_card_visa", 0))
		if apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("err %v", err)
		}
		if refs := sh.pendingEntries(t, time.Now().Add(time.Hour)); len(refs) != 1 || sh.level(t).OnHand != 8 {
			t.Fatalf("pending %v, stock %d", refs, sh.level(t).OnHand)
		}
		o, err := sh.svc.Checkout(sh.ctx, sh.card("c3", 2, "pm_card_visa", 0))
		if err != nil || o.Status != sales.StatusCompleted || g.charges != 1 || len(g.requests) != 2 || g.requests[0].IdempotencyKey != g.requests[1].IdempotencyKey {
			t.Fatalf("retry %v %s, %d charges", err, o.Status, g.charges)
		}
		if sh.level(t).OnHand != 8 || len(sh.outbox(t, EventOrderCompleted)) != 1 || len(sh.pendingEntries(t, time.Now().Add(time.Hour))) != 0 {
			t.Fatal("the retry sold twice or left the sale pending")
		}
	})

	t.Run("outage before the processor saw it: nothing charged; expiry releases the stock", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		g.failNext = true
		if _, err := sh.svc.Checkout(sh.ctx, sh.card("c4", 2, "pm_card_visa", 0)); apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("err %v", err)
		}
		res, err := sh.svc.ExpirePendingPayments(context.Background(), time.Now().Add(sales.DefaultPendingTTL+time.Minute))
		if err != nil || res.Expired != 1 || g.charges != 0 || sh.level(t).OnHand != 10 {
			t.Fatalf("expiry %+v %v, stock %d", res, err, sh.level(t).OnHand)
		}
	})

	t.Run("a payment method the processor cannot use: INVALID, stock as before, replays the same", func(t *testing.T) {
		sh, _ := cardShop(t, 10)
		for range 2 {
			_, err := sh.svc.Checkout(sh.ctx, sh.card("c8", 2, "pm_unknown", 0))
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || fmt.Sprint(ae.Field) != "[input payments 0 paymentMethodId]" || sh.level(t).OnHand != 10 {
				t.Fatalf("err %v, stock %d", err, sh.level(t).OnHand)
			}
		}
	})

	t.Run("split tender: cash and card", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		o, err := sh.svc.Checkout(sh.ctx, sh.card("c5", 3, "pm_card_mastercard", 400))
		if err != nil || o.Status != sales.StatusCompleted || len(o.Payments) != 2 || o.Payments[0].Method != sales.Cash ||
			o.Payments[1].Reference != "pi_1" || g.requests[0].Amount != 500 || g.requests[0].IdempotencyKey != sales.IntentIdempotencyKey(g.requests[0].Metadata[sales.MetadataTenantID], "c5", 1) {
			t.Fatalf("order %v %+v, request %+v", err, o, g.requests)
		}
	})

	t.Run("the order write fails after the charge: it stays pending and the webhook completes it", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		sh.svc.Pending = failingSettle{sh.svc.Pending}
		if _, err := sh.svc.Checkout(sh.ctx, sh.card("c6", 1, "pm_card_visa", 0)); err == nil {
			t.Fatal("checkout succeeded though the order could not be completed")
		}
		sh.svc.Pending = NewPendingStore(sh.tb)
		got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentSucceeded, "evt_1", *g.intents["pi_1"]))
		if err != nil || got != sales.EventApplied || sh.level(t).OnHand != 9 {
			t.Fatalf("webhook %s %v", got, err)
		}
	})

	t.Run("card payments not enabled: INVALID, nothing written or charged", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		if _, err := NewTenantStore(sh.tb).UpdateTenant(sh.ctx, func(tn *tenant.Tenant) error { tn.CardPaymentsEnabled = false; return nil }); err != nil {
			t.Fatal(err)
		}
		_, err := sh.svc.Checkout(sh.ctx, sh.card("c7", 1, "pm_card_visa", 0))
		if apperr.CodeOf(err) != apperr.Invalid || len(g.requests) != 0 || sh.level(t).OnHand != 10 {
			t.Fatalf("err %v", err)
		}
	})
}

// failingSettle fails every settlement, as a storage outage would.
type failingSettle struct{ sales.PendingStore }

func (failingSettle) Settle(context.Context, sales.Settlement) (sales.Order, bool, error) {
	return sales.Order{}, false, apperr.New(apperr.Unavailable, "storage unavailable")
}

func TestCardCheckout_Reader(t *testing.T) {
	t.Run("pending with the client secret, completed by the webhook; duplicate and late events change nothing", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		o, err := sh.svc.Checkout(sh.ctx, sh.card("r1", 2, "", 0))
		if err != nil {
			t.Fatal(err)
		}
		p := o.Payments[0]
		if o.Status != sales.StatusPendingPayment || p.Status != sales.PaymentPending || p.ClientSecret != "pi_1_secret_x" || p.Reference != "pi_1" || !g.requests[0].CardPresent {
			t.Fatalf("order %s payment %+v", o.Status, p)
		}
		if sh.level(t).OnHand != 8 || len(sh.outbox(t, EventOrderCompleted)) != 0 {
			t.Fatal("the reservation did not take the stock, or the sale was announced before it was paid")
		}
		// The device asks again: the same order and the same secret, no new intent.
		again, err := sh.svc.Checkout(sh.ctx, sh.card("r1", 2, "", 0))
		if err != nil || again.ID != o.ID || again.Payments[0].ClientSecret != "pi_1_secret_x" || len(g.intents) != 1 {
			t.Fatalf("replay %v %+v", err, again.Payments)
		}
		paid := g.succeed("pi_1")
		for i, want := range []sales.EventOutcome{sales.EventApplied, sales.EventNoChange} {
			got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentSucceeded, "evt_ok", paid))
			if err != nil || got != want {
				t.Fatalf("delivery %d: %s %v", i, got, err)
			}
		}
		failed := paid
		failed.Status = payments.IntentRequiresPaymentMethod
		if got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentFailed, "evt_late", failed)); err != nil || got != sales.EventNoChange {
			t.Fatalf("late failure %s %v", got, err)
		}
		got := sh.order(t, o.ID)
		if got.Status != sales.StatusCompleted || got.Payments[0].Status != sales.PaymentSucceeded || sh.level(t).OnHand != 8 ||
			len(sh.outbox(t, EventOrderCompleted)) != 1 || len(sh.pendingEntries(t, time.Now().Add(time.Hour))) != 0 {
			t.Fatalf("after events: %s, stock %d", got.Status, sh.level(t).OnHand)
		}
	})

	t.Run("an event about another intent (copied metadata) or amount changes nothing", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		o, err := sh.svc.Checkout(sh.ctx, sh.card("r5", 2, "", 0))
		if err != nil {
			t.Fatal(err)
		}
		own := *g.intents["pi_1"]
		other := own
		other.ID, other.Status = "pi_other", payments.IntentSucceeded
		cheap := own
		cheap.Amount, cheap.Status = 1, payments.IntentSucceeded
		for _, in := range []payments.Intent{other, cheap} {
			if got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentSucceeded, "evt_"+in.ID, in)); err != nil || got != sales.EventNoChange {
				t.Fatalf("%+v: %s %v", in, got, err)
			}
		}
		if got := sh.order(t, o.ID); got.Status != sales.StatusPendingPayment || len(g.refunds) != 0 {
			t.Fatalf("order %s, refunds %v", got.Status, g.refunds)
		}
	})

	t.Run("failure cancels and releases the stock once; a success after it is refunded", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		o, err := sh.svc.Checkout(sh.ctx, sh.card("r2", 3, "", 0))
		if err != nil {
			t.Fatal(err)
		}
		failed := *g.intents["pi_1"]
		failed.DeclineCode = "insufficient_funds"
		for i, want := range []sales.EventOutcome{sales.EventApplied, sales.EventNoChange} {
			got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentFailed, "evt_fail", failed))
			if err != nil || got != want {
				t.Fatalf("delivery %d: %s %v", i, got, err)
			}
		}
		got := sh.order(t, o.ID)
		if got.Status != sales.StatusCanceled || got.Payments[0].Status != sales.PaymentFailed || got.Payments[0].DeclineCode != "insufficient_funds" || sh.level(t).OnHand != 10 {
			t.Fatalf("after failure: %s %+v, stock %d", got.Status, got.Payments[0], sh.level(t).OnHand)
		}
		if len(g.cancels) == 0 {
			t.Fatal("the failed intent was left open for another card")
		}
		late := failed
		late.Status = payments.IntentSucceeded
		for i := range 2 {
			if got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentSucceeded, "evt_lateok", late)); err != nil || got != sales.EventRefunded {
				t.Fatalf("late success %d: %s %v", i, got, err)
			}
		}
		if len(g.refunds) != 1 || g.refunds[0].Amount != 900 || sh.order(t, o.ID).Status != sales.StatusCanceled || sh.level(t).OnHand != 10 {
			t.Fatalf("refunds %+v", g.refunds)
		}
	})

	t.Run("processor outage before the intent: UNAVAILABLE, nothing written; the retry sells once", func(t *testing.T) {
		sh, g := cardShop(t, 10)
		g.failNext = true
		if _, err := sh.svc.Checkout(sh.ctx, sh.card("r4", 2, "", 0)); apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("err %v", err)
		}
		if sh.level(t).OnHand != 10 || len(sh.pendingEntries(t, time.Now().Add(time.Hour))) != 0 || sh.registerSeq(t, sh.loc.FirstRegister().ID) != 0 {
			t.Fatal("an unanswered intent left something written")
		}
		o, err := sh.svc.Checkout(sh.ctx, sh.card("r4", 2, "", 0))
		if err != nil || o.Status != sales.StatusPendingPayment || len(g.intents) != 1 || sh.level(t).OnHand != 8 {
			t.Fatalf("retry %v %s, %d intents", err, o.Status, len(g.intents))
		}
	})

	t.Run("the order write fails: the intent is cancelled", func(t *testing.T) {
		sh, g := cardShop(t, 1)
		_, err := sh.svc.Checkout(sh.ctx, sh.card("r3", 2, "", 0))
		if apperr.CodeOf(err) != apperr.OutOfStock || len(g.cancels) != 1 || g.intents["pi_1"].Status != payments.IntentCanceled {
			t.Fatalf("err %v, cancels %v", err, g.cancels)
		}
	})

	t.Run("unknown intents and other events are acknowledged", func(t *testing.T) {
		sh, _ := cardShop(t, 1)
		for _, in := range []payments.Intent{
			{ID: "pi_x", Metadata: map[string]string{}},
			{ID: "pi_y", Metadata: map[string]string{sales.MetadataTenantID: "tnt_nope", sales.MetadataOrderID: "ord_x"}},
		} {
			if got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentSucceeded, "evt_u", in)); err != nil || got != sales.EventUnknown {
				t.Fatalf("%s: %s %v", in.ID, got, err)
			}
		}
		if got, _ := sh.svc.ApplyPaymentEvent(context.Background(), payments.Event{ID: "evt_c", Type: "charge.succeeded"}); got != sales.EventIgnored {
			t.Fatalf("other event: %s", got)
		}
	})
}

func TestExpirePendingPayments(t *testing.T) {
	sh, g := cardShop(t, 10)
	o, err := sh.svc.Checkout(sh.ctx, sh.card("e1", 4, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := sh.svc.ExpirePendingPayments(context.Background(), time.Now()); err != nil || res != (sales.ExpiryResult{}) {
		t.Fatalf("a fresh sale expired: %+v %v", res, err)
	}
	// Two runs at once: the sale is cancelled and its stock released once.
	later := time.Now().Add(sales.DefaultPendingTTL + time.Minute)
	var wg sync.WaitGroup
	results := make([]sales.ExpiryResult, 2)
	for i := range results {
		wg.Go(func() {
			var err error
			if results[i], err = sh.svc.ExpirePendingPayments(context.Background(), later); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if results[0].Expired+results[1].Expired != 1 || sh.level(t).OnHand != 10 || g.intents["pi_1"].Status != payments.IntentCanceled {
		t.Fatalf("results %+v, stock %d", results, sh.level(t).OnHand)
	}
	got := sh.order(t, o.ID)
	if got.Status != sales.StatusCanceled || got.Payments[0].DeclineCode != "expired" || len(sh.pendingEntries(t, later)) != 0 {
		t.Fatalf("order %s %+v", got.Status, got.Payments)
	}
	if res, err := sh.svc.ExpirePendingPayments(context.Background(), later); err != nil || res != (sales.ExpiryResult{}) {
		t.Fatalf("second run %+v %v", res, err)
	}

	t.Run("an intent paid as it expires: the sale is cancelled, the success refunded", func(t *testing.T) {
		o, err := sh.svc.Checkout(sh.ctx, sh.card("e2", 1, "", 0))
		if err != nil {
			t.Fatal(err)
		}
		g.succeed(o.Payments[0].Reference)
		res, err := sh.svc.ExpirePendingPayments(context.Background(), later)
		if err != nil || res.Expired != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		// The processor refused the cancel (the intent succeeded): the
		// sale is cancelled and the success's webhook refunds it.
		paid := *g.intents[o.Payments[0].Reference]
		if got, err := sh.svc.ApplyPaymentEvent(context.Background(), event(payments.EventIntentSucceeded, "evt_e2", paid)); err != nil || got != sales.EventRefunded {
			t.Fatalf("webhook %s %v", got, err)
		}
	})
}
