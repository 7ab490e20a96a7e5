package stripepay

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/payments"
)

// SimulatorConfig configures the local card-payment simulator.
type SimulatorConfig struct {
	// WebhookSecret signs the simulator's events as Stripe signs its own.
	WebhookSecret string
	// WebhookURL receives the events (the local API's /webhooks/stripe);
	// SetWebhookURL sets it once the API listens. "" keeps events unsent.
	WebhookURL string
	// ConnectReturnURL is where the simulated onboarding "link" points.
	ConnectReturnURL string
	Logger           *slog.Logger
	HTTPClient       *http.Client
	Now              func() time.Time
}

// Simulator is a payments.Gateway for local runs without a Stripe key. It
// is labelled everywhere — ids pi_sim_…, acct_sim_…, a log line at start —
// and moves no money. It follows Stripe's test payment methods (TestCards),
// honours idempotency keys, keeps its state in memory, and sends itself
// webhooks signed with WebhookSecret exactly as Stripe does, so the real
// ParseEvent verifies them. Its accounts are born able to take charges.
type Simulator struct {
	cfg        SimulatorConfig
	log        *slog.Logger
	deliveries sync.WaitGroup
	stop       context.CancelFunc
	stopCtx    context.Context

	mu       sync.Mutex
	url      string
	intents  map[string]*simIntent
	replies  map[string]simReply // "<op>|<account>|<idempotency key>"
	refunded map[string]int64
}

var _ payments.Gateway = (*Simulator)(nil)

type simIntent struct {
	payments.Intent
	account  string
	currency string
	present  bool
}

type simReply struct {
	intent payments.Intent
	refund payments.RefundResult
	err    error
}

// TestCard is a Stripe test payment method and what it does: approve
// (DeclineCode "") or decline with Stripe's error and decline codes.
type TestCard struct {
	PaymentMethod string
	ErrorCode     string // card_declined, expired_card, incorrect_cvc, processing_error
	DeclineCode   string
}

// TestCards are the payment methods the simulator knows (Stripe's names).
var TestCards = []TestCard{
	{PaymentMethod: "pm_card_visa"}, {PaymentMethod: "pm_card_visa_debit"}, {PaymentMethod: "pm_card_mastercard"},
	{PaymentMethod: "pm_card_mastercard_debit"}, {PaymentMethod: "pm_card_mastercard_prepaid"}, {PaymentMethod: "pm_card_amex"},
	{PaymentMethod: "pm_card_discover"}, {PaymentMethod: "pm_card_diners"}, {PaymentMethod: "pm_card_jcb"}, {PaymentMethod: "pm_card_unionpay"},
	{PaymentMethod: "pm_card_jp"},
	{"pm_card_chargeDeclined", "card_declined", "generic_decline"},
	{"pm_card_visa_chargeDeclined", "card_declined", "generic_decline"},
	{"pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"},
	{"pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"},
	{"pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"},
	{"pm_card_chargeDeclinedFraudulent", "card_declined", "fraudulent"},
	{"pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"},
	{"pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"},
	{"pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"},
}

func testCard(pm string) (TestCard, error) {
	for _, c := range TestCards {
		if c.PaymentMethod == pm {
			return c, nil
		}
	}
	return TestCard{}, apperr.New(apperr.Invalid, "unknown test payment method "+pm+" (the local card simulator knows Stripe's test cards such as pm_card_visa and pm_card_chargeDeclined)", "paymentMethodId")
}

// NewSimulator starts the simulator and says so in the log.
func NewSimulator(cfg SimulatorConfig) (*Simulator, error) {
	if cfg.WebhookSecret == "" {
		return nil, fmt.Errorf("card simulator: a webhook signing secret is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Simulator{cfg: cfg, log: cfg.Logger, stop: stop, stopCtx: ctx, url: cfg.WebhookURL,
		intents: map[string]*simIntent{}, replies: map[string]simReply{}, refunded: map[string]int64{}}
	s.log.Info("card payments: local simulator, no money moves")
	return s, nil
}

// SetWebhookURL points the simulator's webhooks at url.
func (s *Simulator) SetWebhookURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = url
}

// Close abandons webhook deliveries still retrying and waits for them to
// end (or ctx).
func (s *Simulator) Close(ctx context.Context) error {
	s.stop()
	done := make(chan struct{})
	go func() { s.deliveries.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func simID(prefix string) string { return prefix + "_sim_" + randHex() }

func derivedID(prefix string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return prefix + "_sim_" + hex.EncodeToString(sum[:12])
}

// replay runs fn once per (op, account, key) and answers the same after.
func (s *Simulator) replay(op, account, key string, fn func() simReply) simReply {
	k := op + "|" + account + "|" + key
	if r, ok := s.replies[k]; ok {
		return r
	}
	r := fn()
	s.replies[k] = r
	return r
}

// CreateAccount makes an account able to take charges at once (the same
// tenant always gets the same id) and announces it with account.updated.
func (s *Simulator) CreateAccount(_ context.Context, req payments.AccountRequest) (payments.Account, error) {
	if err := need("create account", map[string]string{"tenant id": req.TenantID, "idempotency key": req.IdempotencyKey}); err != nil {
		return payments.Account{}, err
	}
	a := payments.Account{ID: derivedID("acct", req.TenantID), ChargesEnabled: true}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emit("account.updated", a.ID, map[string]any{"id": a.ID, "object": "account", "type": "standard", "country": "JP",
		"charges_enabled": true, "payouts_enabled": true, "details_submitted": true, "metadata": map[string]string{"tenant_id": req.TenantID}})
	return a, nil
}

// OnboardingLink returns the return URL: there is nothing to fill in.
func (s *Simulator) OnboardingLink(_ context.Context, accountID string) (string, error) {
	if err := need("onboarding link", map[string]string{"account id": accountID}); err != nil {
		return "", err
	}
	sep := "?"
	if strings.Contains(s.cfg.ConnectReturnURL, "?") {
		sep = "&"
	}
	return s.cfg.ConnectReturnURL + sep + "simulated_account=" + accountID, nil
}

// CreateTerminalLocation returns a location id derived from the account and location.
func (s *Simulator) CreateTerminalLocation(_ context.Context, req payments.TerminalLocationRequest) (string, error) {
	if err := need("create terminal location", map[string]string{"account id": req.AccountID, "location id": req.LocationID, "display name": req.DisplayName, "idempotency key": req.IdempotencyKey}); err != nil {
		return "", err
	}
	return derivedID("tml", req.AccountID, req.LocationID), nil
}

// ConnectionToken returns a labelled token secret.
func (s *Simulator) ConnectionToken(_ context.Context, accountID, terminalLocationID string) (string, error) {
	if err := need("connection token", map[string]string{"account id": accountID, "terminal location id": terminalLocationID}); err != nil {
		return "", err
	}
	return simID("pst_test"), nil
}

// CreateIntent follows the real adapter's three kinds of intent; a
// payment method is charged at once by its TestCards entry.
func (s *Simulator) CreateIntent(_ context.Context, req payments.IntentRequest) (payments.Intent, error) {
	if err := need("create intent", map[string]string{"account id": req.AccountID, "currency": req.Currency, "idempotency key": req.IdempotencyKey}); err != nil {
		return payments.Intent{}, err
	}
	if req.Amount <= 0 || req.ApplicationFee < 0 || req.ApplicationFee > req.Amount {
		return payments.Intent{}, fmt.Errorf("card simulator create intent: amount must be positive and the fee within it")
	}
	var card TestCard
	if req.PaymentMethodID != "" {
		c, err := testCard(req.PaymentMethodID)
		if err != nil {
			return payments.Intent{}, err // refused before anything exists, as Stripe refuses an unknown pm_
		}
		card = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.replay("intent", req.AccountID, req.IdempotencyKey, func() simReply {
		id := simID("pi")
		in := &simIntent{Intent: payments.Intent{ID: id, Status: payments.IntentRequiresPaymentMethod, Amount: req.Amount,
			ClientSecret: id + "_secret_" + randHex(), Metadata: copyMap(req.Metadata)},
			account: req.AccountID, currency: strings.ToLower(req.Currency), present: req.CardPresent && req.PaymentMethodID == ""}
		s.intents[id] = in
		if req.PaymentMethodID == "" {
			return simReply{intent: in.Intent}
		}
		err := s.charge(in, card)
		return simReply{intent: in.Intent, err: err}
	})
	return r.intent, r.err
}

// charge settles an intent with a test card, announcing the outcome; a
// decline is the same error the real adapter returns. Called with s.mu held.
func (s *Simulator) charge(in *simIntent, card TestCard) error {
	if card.DeclineCode == "" {
		in.Status, in.DeclineCode = payments.IntentSucceeded, ""
		s.emit("payment_intent.succeeded", in.account, in.json(card))
		return nil
	}
	in.Status, in.DeclineCode = payments.IntentRequiresPaymentMethod, card.DeclineCode
	s.emit("payment_intent.payment_failed", in.account, in.json(card))
	return mapError("create payment intent", &stripe.Error{Type: stripe.ErrorTypeCard, Code: stripe.ErrorCode(card.ErrorCode),
		DeclineCode: stripe.DeclineCode(card.DeclineCode), HTTPStatusCode: http.StatusPaymentRequired, Msg: "simulated decline"})
}

// PresentCard is the card reader: it collects a test card for a card-present
// intent (pm "" is pm_card_visa). The intent succeeds or is declined, and
// its webhook follows. Local only: the HTTP route is Handler's.
func (s *Simulator) PresentCard(intentID, paymentMethod string) (payments.Intent, error) {
	if paymentMethod == "" {
		paymentMethod = "pm_card_visa"
	}
	card, err := testCard(paymentMethod)
	if err != nil {
		return payments.Intent{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.intents[intentID]
	if !ok {
		return payments.Intent{}, apperr.New(apperr.NotFound, "no such payment intent in the simulator (it forgets them when it restarts)", "paymentIntentId")
	}
	if !in.present {
		return payments.Intent{}, apperr.New(apperr.Invalid, "the payment intent is not a card-present (Terminal) intent", "paymentIntentId")
	}
	if in.Status != payments.IntentRequiresPaymentMethod {
		return in.Intent, apperr.New(apperr.Conflict, "the payment intent is "+string(in.Status), "paymentIntentId")
	}
	err = s.charge(in, card)
	return in.Intent, err
}

// CancelIntent cancels an intent that has not succeeded (CONFLICT otherwise).
func (s *Simulator) CancelIntent(_ context.Context, accountID, intentID, idempotencyKey string) (payments.Intent, error) {
	if err := need("cancel intent", map[string]string{"account id": accountID, "intent id": intentID, "idempotency key": idempotencyKey}); err != nil {
		return payments.Intent{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.replay("cancel", accountID, idempotencyKey, func() simReply {
		in, ok := s.intents[intentID]
		if !ok || in.account != accountID {
			return simReply{err: mapError("cancel payment intent", &stripe.Error{Type: stripe.ErrorTypeInvalidRequest, Code: stripe.ErrorCodeResourceMissing, HTTPStatusCode: 404, Msg: "No such payment_intent"})}
		}
		if in.Status == payments.IntentSucceeded || in.Status == payments.IntentCanceled {
			return simReply{intent: in.Intent, err: mapError("cancel payment intent", &stripe.Error{Type: stripe.ErrorTypeInvalidRequest, Code: stripe.ErrorCodePaymentIntentUnexpectedState, HTTPStatusCode: 400, Msg: "status " + string(in.Status)})}
		}
		in.Status = payments.IntentCanceled
		s.emit("payment_intent.canceled", in.account, in.json(TestCard{}))
		return simReply{intent: in.Intent}
	})
	return r.intent, r.err
}

// Refund refunds up to what remains of a succeeded intent. An intent the
// simulator does not know (it forgets them when it restarts) is refunded
// as asked: no money moves either way.
func (s *Simulator) Refund(_ context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	if err := need("refund", map[string]string{"account id": req.AccountID, "intent id": req.PaymentIntentID, "idempotency key": req.IdempotencyKey}); err != nil {
		return payments.RefundResult{}, err
	}
	if req.Amount <= 0 {
		return payments.RefundResult{}, fmt.Errorf("card simulator refund: amount must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.replay("refund", req.AccountID, req.IdempotencyKey, func() simReply {
		if in, ok := s.intents[req.PaymentIntentID]; ok {
			if in.Status != payments.IntentSucceeded || s.refunded[in.ID]+req.Amount > in.Amount {
				return simReply{err: mapError("refund", &stripe.Error{Type: stripe.ErrorTypeInvalidRequest, Code: stripe.ErrorCodeAmountTooLarge, HTTPStatusCode: 400, Msg: "refund over what the intent can refund"})}
			}
		}
		s.refunded[req.PaymentIntentID] += req.Amount
		return simReply{refund: payments.RefundResult{ID: simID("re"), Status: "succeeded", Amount: req.Amount}}
	})
	return r.refund, r.err
}

// ParseEvent verifies with the simulator's secret, exactly as for Stripe.
func (s *Simulator) ParseEvent(payload []byte, signatureHeader string, now time.Time) (payments.Event, error) {
	return ParseEvent(payload, signatureHeader, s.cfg.WebhookSecret, now)
}

func (in *simIntent) json(card TestCard) map[string]any {
	methods := []string{"card"}
	if in.present {
		methods = []string{"card_present"}
	}
	o := map[string]any{"id": in.ID, "object": "payment_intent", "amount": in.Amount, "currency": in.currency, "status": string(in.Status),
		"client_secret": in.ClientSecret, "metadata": in.Metadata, "payment_method_types": methods, "capture_method": "automatic", "livemode": false}
	if in.DeclineCode != "" {
		o["last_payment_error"] = map[string]any{"type": "card_error", "code": card.ErrorCode, "decline_code": card.DeclineCode, "message": "simulated decline"}
	}
	return o
}

// emit signs an event and posts it in the background, retrying until the
// API answers 2xx (as Stripe does, more briefly). Called with s.mu held.
func (s *Simulator) emit(typ, account string, object map[string]any) {
	now := s.cfg.Now()
	payload, err := json.Marshal(map[string]any{"id": simID("evt"), "object": "event", "api_version": APIVersion, "created": now.Unix(),
		"type": typ, "account": account, "livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": object}})
	if err != nil {
		s.log.Error("card simulator: encode event", slog.String("type", typ), slog.String("error", err.Error()))
		return
	}
	url := s.url
	if url == "" {
		return
	}
	header := fmt.Sprintf("t=%d,v1=%x", now.Unix(), webhook.ComputeSignature(now, payload, s.cfg.WebhookSecret))
	s.deliveries.Add(1)
	go func() {
		defer s.deliveries.Done()
		s.deliver(url, typ, payload, header)
	}()
}

// deliveryPolicy spreads a webhook's attempts over about half a minute.
var deliveryPolicy = backoff.Policy{Base: 100 * time.Millisecond, Cap: 5 * time.Second, Attempts: 10}

func (s *Simulator) deliver(url, typ string, payload []byte, header string) {
	err := deliveryPolicy.Retry(s.stopCtx, func(int) (bool, error) {
		req, err := http.NewRequestWithContext(s.stopCtx, http.MethodPost, url, strings.NewReader(string(payload)))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("Stripe-Signature", header)
		res, err := s.cfg.HTTPClient.Do(req)
		if err != nil {
			return true, err
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return true, fmt.Errorf("webhook answered %d", res.StatusCode)
		}
		return false, nil
	})
	if err != nil {
		s.log.Warn("card simulator: webhook not delivered", slog.String("type", typ), slog.String("error", err.Error()))
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
