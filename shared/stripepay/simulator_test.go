package stripepay_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

// receiver is a stand-in /webhooks/stripe that verifies with the real ParseEvent.
func receiver(t *testing.T, secret string) (string, <-chan payments.Event) {
	t.Helper()
	events := make(chan payments.Event, 32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := stripepay.ParseEvent(body, r.Header.Get("Stripe-Signature"), secret, time.Now())
		if err != nil {
			t.Errorf("simulator webhook does not verify: %v", err)
			w.WriteHeader(400)
			return
		}
		events <- ev
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/stripe", events
}

func next(t *testing.T, events <-chan payments.Event) payments.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook")
		return payments.Event{}
	}
}

func newSimulator(t *testing.T) (*stripepay.Simulator, <-chan payments.Event) {
	t.Helper()
	url, events := receiver(t, "whsec_sim")
	sim, err := stripepay.NewSimulator(stripepay.SimulatorConfig{WebhookSecret: "whsec_sim", WebhookURL: url, ConnectReturnURL: "http://127.0.0.1:8080/done"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	return sim, events
}

func TestSimulator_TestCards(t *testing.T) {
	sim, events := newSimulator(t)
	ctx := context.Background()
	for i, c := range stripepay.TestCards {
		t.Run(c.PaymentMethod, func(t *testing.T) {
			req := payments.IntentRequest{AccountID: "acct_sim_1", Amount: 1100, Currency: "JPY", ApplicationFee: 30, PaymentMethodID: c.PaymentMethod,
				IdempotencyKey: "k-" + c.PaymentMethod, Metadata: map[string]string{"order_id": "ord_" + c.PaymentMethod}}
			in, err := sim.CreateIntent(ctx, req)
			if !strings.HasPrefix(in.ID, "pi_sim_") {
				t.Fatalf("intent id %q", in.ID)
			}
			ev := next(t, events)
			if ev.Intent == nil || ev.Intent.ID != in.ID || ev.AccountID != "acct_sim_1" || ev.Intent.Metadata["order_id"] != req.Metadata["order_id"] {
				t.Fatalf("event %+v for intent %s", ev, in.ID)
			}
			if c.DeclineCode == "" {
				if err != nil || in.Status != payments.IntentSucceeded || ev.Type != payments.EventIntentSucceeded {
					t.Fatalf("%d: got %+v, %v, event %s", i, in, err, ev.Type)
				}
				return
			}
			if apperr.CodeOf(err) != apperr.PaymentDeclined || !strings.Contains(err.Error(), c.DeclineCode) || in.DeclineCode != c.DeclineCode {
				t.Fatalf("got %+v, %v; want a %s decline", in, err, c.DeclineCode)
			}
			if _, ok := apperr.Expected(err); !ok {
				t.Fatalf("a decline must be a userError: %v", err)
			}
			if ev.Type != payments.EventIntentFailed || ev.Intent.DeclineCode != c.DeclineCode {
				t.Fatalf("event %s %+v", ev.Type, ev.Intent)
			}
			again, err2 := sim.CreateIntent(ctx, req)
			if again.ID != in.ID || apperr.CodeOf(err2) != apperr.PaymentDeclined {
				t.Fatalf("replay = %+v, %v; want the same declined intent", again, err2)
			}
		})
	}
	t.Run("unknown payment method", func(t *testing.T) {
		_, err := sim.CreateIntent(ctx, payments.IntentRequest{AccountID: "acct_sim_1", Amount: 100, Currency: "JPY", PaymentMethodID: "pm_card_nope", IdempotencyKey: "x"})
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("err = %v, want INVALID", err)
		}
	})
}

func TestSimulator_CardPresentAndIdempotency(t *testing.T) {
	sim, events := newSimulator(t)
	ctx := context.Background()
	req := payments.IntentRequest{AccountID: "acct_sim_1", Amount: 2200, Currency: "JPY", CardPresent: true, IdempotencyKey: "checkout-1"}
	in, err := sim.CreateIntent(ctx, req)
	if err != nil || in.Status != payments.IntentRequiresPaymentMethod || !strings.HasPrefix(in.ClientSecret, in.ID+"_secret_") {
		t.Fatalf("intent = %+v, %v", in, err)
	}
	if again, _ := sim.CreateIntent(ctx, req); again.ID != in.ID {
		t.Fatalf("same key made a second intent %s", again.ID)
	}
	if other, _ := sim.CreateIntent(ctx, payments.IntentRequest{AccountID: "acct_sim_1", Amount: 2200, Currency: "JPY", CardPresent: true, IdempotencyKey: "checkout-2"}); other.ID == in.ID {
		t.Fatal("another key reused the intent")
	}
	// The reader declines, then a second card succeeds, through the HTTP route.
	h := sim.Handler()
	post := func(body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, stripepay.PresentPath, strings.NewReader(body)))
		return w
	}
	if w := post(`{"paymentIntentId":"` + in.ID + `","paymentMethod":"pm_card_visa_chargeDeclinedLostCard"}`); w.Code != 200 || !strings.Contains(w.Body.String(), "lost_card") {
		t.Fatalf("decline: %d %s", w.Code, w.Body)
	}
	if ev := next(t, events); ev.Type != payments.EventIntentFailed {
		t.Fatalf("event %s", ev.Type)
	}
	if w := post(`{"paymentIntentId":"` + in.ID + `","paymentMethod":"pm_card_jcb"}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"succeeded"`) {
		t.Fatalf("success: %d %s", w.Code, w.Body)
	}
	if ev := next(t, events); ev.Type != payments.EventIntentSucceeded || ev.Intent.ID != in.ID {
		t.Fatalf("event %s %+v", ev.Type, ev.Intent)
	}
	if w := post(`{"paymentIntentId":"` + in.ID + `"}`); w.Code != http.StatusConflict {
		t.Fatalf("second tap on a paid intent: %d %s", w.Code, w.Body)
	}
	if w := post(`{"paymentIntentId":"pi_sim_unknown"}`); w.Code != http.StatusNotFound {
		t.Fatalf("unknown intent: %d", w.Code)
	}
	if _, err := sim.CancelIntent(ctx, "acct_sim_1", in.ID, "cancel-1"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("cancel of a succeeded intent = %v, want CONFLICT", err)
	}
	r, err := sim.Refund(ctx, payments.RefundRequest{AccountID: "acct_sim_1", PaymentIntentID: in.ID, Amount: 2000, IdempotencyKey: "r1"})
	if err != nil || r.Status != "succeeded" {
		t.Fatalf("refund = %+v, %v", r, err)
	}
	if again, _ := sim.Refund(ctx, payments.RefundRequest{AccountID: "acct_sim_1", PaymentIntentID: in.ID, Amount: 2000, IdempotencyKey: "r1"}); again.ID != r.ID {
		t.Fatal("same refund key refunded twice")
	}
	if _, err := sim.Refund(ctx, payments.RefundRequest{AccountID: "acct_sim_1", PaymentIntentID: in.ID, Amount: 201, IdempotencyKey: "r2"}); err == nil {
		t.Fatal("refund over the intent's remainder accepted")
	}
	other, _ := sim.CreateIntent(ctx, payments.IntentRequest{AccountID: "acct_sim_1", Amount: 500, Currency: "JPY", CardPresent: true, IdempotencyKey: "checkout-3"})
	if c, err := sim.CancelIntent(ctx, "acct_sim_1", other.ID, "cancel-3"); err != nil || c.Status != payments.IntentCanceled {
		t.Fatalf("cancel = %+v, %v", c, err)
	}
	if ev := next(t, events); ev.Type != payments.EventIntentCanceled || ev.Intent.ID != other.ID {
		t.Fatalf("event %s", ev.Type)
	}
}

func TestSimulator_Account(t *testing.T) {
	sim, events := newSimulator(t)
	a, err := sim.CreateAccount(context.Background(), payments.AccountRequest{TenantID: "ten_1", Country: "JP", IdempotencyKey: "k"})
	if err != nil || !strings.HasPrefix(a.ID, "acct_sim_") || !a.ChargesEnabled {
		t.Fatalf("account = %+v, %v", a, err)
	}
	ev := next(t, events)
	if ev.Type != payments.EventAccountUpdated || ev.Account == nil || ev.Account.ID != a.ID || !ev.Account.ChargesEnabled || ev.AccountID != a.ID {
		t.Fatalf("event %+v", ev)
	}
	if u, _ := sim.OnboardingLink(context.Background(), a.ID); !strings.HasPrefix(u, "http://127.0.0.1:8080/done?") {
		t.Fatalf("link %q", u)
	}
}

func TestNewSimulator_SaysSo(t *testing.T) {
	var logs strings.Builder
	sim, err := stripepay.NewSimulator(stripepay.SimulatorConfig{WebhookSecret: "whsec_x", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	if !strings.Contains(logs.String(), "card payments: local simulator, no money moves") {
		t.Fatalf("start log %q", logs.String())
	}
	if strings.Contains(logs.String(), "whsec_x") {
		t.Fatal("the start log carries the webhook secret")
	}
}
