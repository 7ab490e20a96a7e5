package sales

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/payments"
)

// Card sales. A CARD tender is a PaymentIntent on the tenant's connected
// account (a direct charge; the platform keeps the tenant's application
// fee). The order is written before any money moves and completes only
// once the intent succeeded, so a charge always has an order and an order
// is never COMPLETED without its charge:
//
//   - card not present (paymentMethodId): write the order PENDING_PAYMENT
//     with its stock taken (one transaction, as a cash sale) → create and
//     confirm the intent → COMPLETED (approved) or CANCELED with the stock
//     given back (declined: PAYMENT_DECLINED). A processor outage leaves
//     the order PENDING_PAYMENT: the client's retry with the same key asks
//     the processor again with the same Idempotency-Key (it answers with the
//     first outcome, never a second charge), the intent's webhook settles it,
//     or the expiry job cancels it;
//   - card reader (no paymentMethodId): create the intent (nothing is
//     charged until the device collects the card) → write the order
//     PENDING_PAYMENT holding the intent id → return its client secret;
//     payment_intent.* webhooks or the expiry job settle it. If the write
//     fails the intent is cancelled.
//
// A sale holds at most one CARD payment (with cash, EXTERNAL or GIFT_CARD
// beside it: the gift cards are redeemed in the reservation's transaction
// and given back by the one that cancels the sale; giftcard.go).

// MaxCardPayments is how many CARD tenders one sale may hold.
const MaxCardPayments = 1

// paymentMethodID is the shape of a processor payment method id
// (pm_…, tok_…): it travels to the processor, never into text we show.
var paymentMethodID = regexp.MustCompile(`^[A-Za-z0-9_]{3,100}$`)

func validateCard(errs *apperr.List, p PaymentInput, i int) {
	if p.PaymentMethodID != "" && !paymentMethodID.MatchString(p.PaymentMethodID) {
		errs.Add(apperr.Invalid, "paymentMethodId must be a payment method id such as pm_…", path("payments", i, "paymentMethodId")...)
	}
	if p.Tendered != nil {
		errs.Add(apperr.Invalid, "tendered is for cash payments", path("payments", i, "tendered")...)
	}
}

func validateCardCount(errs *apperr.List, ps []PaymentInput) {
	n := 0
	for _, p := range ps {
		if p.Method == Card {
			n++
		}
	}
	if n > MaxCardPayments {
		errs.Add(apperr.Invalid, fmt.Sprintf("a sale takes at most %d card payment", MaxCardPayments), path("payments")...)
	}
}

// cardIndex returns the index of the sale's CARD payment, or -1.
func cardIndex(ps []PaymentInput) int {
	for i, p := range ps {
		if p.Method == Card {
			return i
		}
	}
	return -1
}

// IntentIdempotencyKey is the processor Idempotency-Key of a checkout's
// card payment: derived from the tenant, the checkout's key and the
// payment's index, so every retry of the checkout sends the same one.
func IntentIdempotencyKey(tenantID, checkoutKey string, index int) string {
	sum := sha256.Sum256([]byte(tenantID + "\x00" + OpCheckout + "\x00" + checkoutKey + "\x00" + strconv.Itoa(index)))
	return "renkei-pi-" + hex.EncodeToString(sum[:])
}

// cancelKey is the Idempotency-Key of cancelling an intent.
func cancelKey(intentID string) string { return "renkei-cancel-" + intentID }

// ApplicationFee is the platform's fee of amount at bps basis points
// (1/100 %), rounded down; amounts are ≤ tax.MaxAmount so it cannot overflow.
func ApplicationFee(amount int64, bps int) int64 {
	if bps <= 0 {
		return 0
	}
	return amount * int64(bps) / 10_000
}

// Metadata keys set on every intent renkei creates; webhooks find the
// order through them.
const (
	MetadataTenantID = "tenant_id"
	MetadataOrderID  = "order_id"
)

// intentRequest builds the PaymentIntent of the sale's card payment i.
func intentRequest(in CheckoutInput, snap Snapshot, o Order, i int) payments.IntentRequest {
	t := snap.Tenant
	p := in.Payments[i]
	return payments.IntentRequest{
		AccountID: t.StripeAccountID, Amount: p.Amount.Amount, Currency: o.Currency,
		ApplicationFee:  ApplicationFee(p.Amount.Amount, t.ApplicationFeeBps),
		PaymentMethodID: p.PaymentMethodID, CardPresent: p.PaymentMethodID == "",
		IdempotencyKey: IntentIdempotencyKey(t.ID, in.IdempotencyKey, i),
		Metadata:       map[string]string{MetadataTenantID: t.ID, MetadataOrderID: o.ID},
	}
}

// checkoutCard sells a priced sale holding a CARD payment at index i.
func (s *Service) checkoutCard(ctx context.Context, in CheckoutInput, sale Sale, loaded Loaded, idem idempotency.Request, i int) (Order, error) {
	t := loaded.Snapshot.Tenant
	if s.Payments == nil || s.Pending == nil || !t.CardPaymentsEnabled || t.StripeAccountID == "" {
		return Order{}, apperr.New(apperr.Invalid, "card payments are not enabled for this account; finish card onboarding first", path("payments", i, "method")...)
	}
	sale.CardAccountID = t.StripeAccountID
	o := &sale.Order
	o.Status = StatusPendingPayment
	o.Payments[i].Status = PaymentPending
	o.Payments[i].Reference = ""
	req := intentRequest(in, loaded.Snapshot, *o, i)
	if req.CardPresent {
		intent, err := s.Payments.CreateIntent(ctx, req)
		if err != nil {
			return Order{}, cardError(err, i)
		}
		o.Payments[i].Reference = intent.ID
		saved, err := s.save(ctx, sale, loaded, idem)
		if err != nil {
			// Nothing was collected yet: the intent goes too, even when
			// the budget is what ran out (within deadline.Grace of it).
			dctx, cancel := deadline.Detach(ctx)
			defer cancel()
			if _, cerr := s.Payments.CancelIntent(dctx, req.AccountID, intent.ID, cancelKey(intent.ID)); cerr != nil {
				s.logger().WarnContext(ctx, "cancel intent of an unsaved sale", "intentId", intent.ID, "error", cerr.Error())
			}
			return Order{}, err
		}
		return withClientSecret(saved, intent), nil
	}
	saved, err := s.save(ctx, sale, loaded, idem)
	if err != nil {
		return Order{}, err
	}
	var known *Sale
	if saved.ID == sale.Order.ID { // not another request's order (a concurrent replay)
		// The order as written: save numbered it on its own copy of the sale.
		sale.Order = saved
		known = &sale
	}
	return s.charge(ctx, req, saved, i, known)
}

// resumeCard answers a replayed checkout whose order is still waiting for
// its card: the processor is asked again with the same Idempotency-Key, so
// it answers with the intent it made the first time (never a second charge).
// A declined sale replays as PAYMENT_DECLINED.
func (s *Service) resumeCard(ctx context.Context, in CheckoutInput, snap Snapshot, o Order) (Order, error) {
	i := cardIndex(in.Payments)
	if i < 0 || i >= len(o.Payments) {
		return o, nil
	}
	switch {
	case o.Status == StatusCanceled && o.Payments[i].Status == PaymentFailed:
		switch code := o.Payments[i].DeclineCode; code {
		case unusableMethod:
			return Order{}, cardError(apperr.New(apperr.Invalid, code), i)
		case processorRefused:
			return Order{}, cardError(errors.New(code), i)
		default:
			return Order{}, declined(code, i)
		}
	case o.Status != StatusPendingPayment || s.Payments == nil:
		return o, nil
	}
	req := intentRequest(in, snap, o, i)
	if req.CardPresent {
		intent, err := s.Payments.CreateIntent(ctx, req)
		if err != nil {
			return Order{}, cardError(err, i)
		}
		return withClientSecret(o, intent), nil
	}
	return s.charge(ctx, req, o, i, nil)
}

// charge confirms the card of a PENDING_PAYMENT order written just before
// and settles the order with the outcome. known is the sale as this request
// wrote it (nil when replayed), which spares the settlement a read.
//
// The settlements after the processor answered run on dctx: past the
// client hanging up or the budget ending, but within deadline.Grace of it.
// One that still fails leaves the order PENDING_PAYMENT, which a retry with
// the same key, the webhook or expiry settles.
func (s *Service) charge(ctx context.Context, req payments.IntentRequest, o Order, i int, known *Sale) (Order, error) {
	dctx, cancel := deadline.Detach(ctx)
	defer cancel()
	intent, err := s.Payments.CreateIntent(ctx, req)
	switch {
	case apperr.Is(err, apperr.Unavailable):
		// The outcome is unknown: the order stays PENDING_PAYMENT (retry
		// with the same key, the webhook, or expiry settles it).
		return Order{}, cardError(err, i)
	case err != nil:
		// The processor answered and charged nothing (a decline, a payment
		// method it cannot use, a refused request): the sale is cancelled.
		code := processorRefused
		switch apperr.CodeOf(err) {
		case apperr.PaymentDeclined:
			code = declineCode(err)
		case apperr.Invalid:
			code = unusableMethod
		}
		if _, _, serr := s.Pending.Settle(dctx, Settlement{OrderID: o.ID, DeclineCode: code, At: s.Now().UTC(), Known: known}); serr != nil {
			return Order{}, fmt.Errorf("cancel refused card sale %s: %w", o.ID, serr)
		}
		return Order{}, cardError(err, i)
	}
	switch intent.Status {
	case payments.IntentSucceeded:
		settled, _, err := s.Pending.Settle(dctx, Settlement{OrderID: o.ID, Paid: true, IntentID: intent.ID, At: s.Now().UTC(), Known: known})
		if err != nil {
			return Order{}, fmt.Errorf("complete card sale %s: %w", o.ID, err)
		}
		if settled.Status == StatusCanceled { // expired meanwhile: the webhook's refund gives the money back
			return Order{}, apperr.New(apperr.Conflict, "the sale expired before the card was charged; the charge is refunded", path("payments", i)...)
		}
		return settled, nil
	case payments.IntentProcessing:
		return o, nil // the webhook completes it
	default: // requires_action (3-D Secure) or requires_payment_method: not payable at a till
		if _, err := s.Payments.CancelIntent(dctx, req.AccountID, intent.ID, cancelKey(intent.ID)); err != nil {
			return Order{}, cardError(err, i)
		}
		code := intent.DeclineCode
		if code == "" {
			code = string(intent.Status)
		}
		if _, _, err := s.Pending.Settle(dctx, Settlement{OrderID: o.ID, IntentID: intent.ID, DeclineCode: code, At: s.Now().UTC(), Known: known}); err != nil {
			return Order{}, fmt.Errorf("cancel declined sale %s: %w", o.ID, err)
		}
		return Order{}, declined(code, i)
	}
}

func withClientSecret(o Order, intent payments.Intent) Order {
	o.Payments = append([]Payment(nil), o.Payments...)
	for j := range o.Payments {
		if o.Payments[j].Method == Card && o.Payments[j].Status == PaymentPending {
			o.Payments[j].ClientSecret = intent.ClientSecret
		}
	}
	return o
}

// declined is the userError of a declined card.
func declined(code string, i int) error {
	msg := "the card was declined"
	if code != "" {
		msg += " (" + code + ")"
	}
	return apperr.New(apperr.PaymentDeclined, msg, path("payments", i, "paymentMethodId")...)
}

// declineCode reads the decline code of a PAYMENT_DECLINED error: from an
// error in its chain that tells it (DeclineCode() string), else from the
// message's "(code)", else "card_declined".
func declineCode(err error) string {
	var dc interface{ DeclineCode() string }
	if errors.As(err, &dc) && dc.DeclineCode() != "" {
		return dc.DeclineCode()
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		if m := declineCodeIn.FindStringSubmatch(ae.Message); m != nil {
			return m[1]
		}
	}
	return "card_declined"
}

var declineCodeIn = regexp.MustCompile(`\(([a-z_]{3,64})\)`)

// The decline codes of card sales the processor refused without a decline.
const (
	unusableMethod   = "invalid_payment_method"
	processorRefused = "processor_error"
)

// cardError turns a processor failure into the checkout's answer: a
// declined card or an invalid request stays the user's; an outage is
// UNAVAILABLE (retry with the same key); anything else is internal.
func cardError(err error, i int) error {
	switch apperr.CodeOf(err) {
	case apperr.PaymentDeclined:
		return declined(declineCode(err), i)
	case apperr.Unavailable:
		return apperr.New(apperr.Unavailable, "the card processor did not answer; nothing was charged twice — send the sale again with the same idempotencyKey")
	case apperr.Invalid:
		return apperr.New(apperr.Invalid, "the payment method cannot be used", path("payments", i, "paymentMethodId")...)
	}
	return fmt.Errorf("card payment: %w", err)
}
