package stripepay

import (
	"context"
	"errors"
	"strings"

	"github.com/stripe/stripe-go/v76"

	"github.com/renkei-pos/renkei/shared/payments"
)

// CreateIntent creates a PaymentIntent as a direct charge on the connected
// account, with the platform's application fee:
//   - with PaymentMethodID (card not present): payment_method_types [card],
//     confirmed at once; a decline is PAYMENT_DECLINED and the returned
//     Intent still names the intent and its decline code;
//   - with CardPresent: payment_method_types [card_present], captured
//     automatically once the device's reader collects the card;
//   - with neither: an unconfirmed card intent for a client to confirm.
func (g *Gateway) CreateIntent(ctx context.Context, req payments.IntentRequest) (payments.Intent, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("create intent", map[string]string{"account id": req.AccountID, "currency": req.Currency, "idempotency key": req.IdempotencyKey}); err != nil {
		return payments.Intent{}, err
	}
	if req.Amount <= 0 || req.ApplicationFee < 0 || req.ApplicationFee > req.Amount {
		return payments.Intent{}, errors.New("stripepay create intent: amount must be positive and the fee within it")
	}
	p := &stripe.PaymentIntentParams{
		Params:        params(ctx, req.AccountID, req.IdempotencyKey),
		Amount:        stripe.Int64(req.Amount),
		Currency:      stripe.String(strings.ToLower(req.Currency)),
		CaptureMethod: stripe.String(string(stripe.PaymentIntentCaptureMethodAutomatic)),
		Metadata:      req.Metadata,
	}
	if req.ApplicationFee > 0 {
		p.ApplicationFeeAmount = stripe.Int64(req.ApplicationFee)
	}
	switch {
	case req.PaymentMethodID != "":
		p.PaymentMethodTypes = stripe.StringSlice([]string{"card"})
		p.PaymentMethod = stripe.String(req.PaymentMethodID)
		p.Confirm = stripe.Bool(true)
	case req.CardPresent:
		p.PaymentMethodTypes = stripe.StringSlice([]string{"card_present"})
	default:
		p.PaymentMethodTypes = stripe.StringSlice([]string{"card"})
	}
	pi, err := g.api.PaymentIntents.New(p)
	if err != nil {
		return declinedIntent(err), mapError("create payment intent", err)
	}
	return intentOf(pi), nil
}

// CancelIntent cancels an intent that has not succeeded; one that has is
// CONFLICT (the payment won the race).
func (g *Gateway) CancelIntent(ctx context.Context, accountID, intentID, idempotencyKey string) (payments.Intent, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("cancel intent", map[string]string{"account id": accountID, "intent id": intentID, "idempotency key": idempotencyKey}); err != nil {
		return payments.Intent{}, err
	}
	pi, err := g.api.PaymentIntents.Cancel(intentID, &stripe.PaymentIntentCancelParams{Params: params(ctx, accountID, idempotencyKey)})
	if err != nil {
		return payments.Intent{}, mapError("cancel payment intent", err)
	}
	return intentOf(pi), nil
}

// Refund refunds part or all of a succeeded intent on the connected account.
// The application fee is refunded in proportion: the platform keeps no fee
// on money the merchant gave back.
func (g *Gateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("refund", map[string]string{"account id": req.AccountID, "intent id": req.PaymentIntentID, "idempotency key": req.IdempotencyKey}); err != nil {
		return payments.RefundResult{}, err
	}
	if req.Amount <= 0 {
		return payments.RefundResult{}, errors.New("stripepay refund: amount must be positive")
	}
	r, err := g.api.Refunds.New(&stripe.RefundParams{
		Params:               params(ctx, req.AccountID, req.IdempotencyKey),
		PaymentIntent:        stripe.String(req.PaymentIntentID),
		Amount:               stripe.Int64(req.Amount),
		RefundApplicationFee: stripe.Bool(true),
		Metadata:             req.Metadata,
	})
	if err != nil {
		return payments.RefundResult{}, mapError("refund", err)
	}
	return payments.RefundResult{ID: r.ID, Status: string(r.Status), Amount: r.Amount}, nil
}

func intentOf(pi *stripe.PaymentIntent) payments.Intent {
	in := payments.Intent{ID: pi.ID, Status: payments.IntentStatus(pi.Status), Amount: pi.Amount, ClientSecret: pi.ClientSecret, Metadata: pi.Metadata}
	if pi.LastPaymentError != nil {
		in.DeclineCode = declineCode(pi.LastPaymentError.DeclineCode, pi.LastPaymentError.Code)
	}
	return in
}

// declinedIntent is what a card error says about the intent it declined.
func declinedIntent(err error) payments.Intent {
	var se *stripe.Error
	if !errors.As(err, &se) || se.Type != stripe.ErrorTypeCard {
		return payments.Intent{}
	}
	in := payments.Intent{DeclineCode: declineCode(se.DeclineCode, se.Code)}
	if se.PaymentIntent != nil {
		in.ID, in.Status, in.Amount, in.Metadata = se.PaymentIntent.ID, payments.IntentStatus(se.PaymentIntent.Status), se.PaymentIntent.Amount, se.PaymentIntent.Metadata
	}
	return in
}

func declineCode(decline stripe.DeclineCode, code stripe.ErrorCode) string {
	if decline != "" {
		return string(decline)
	}
	return string(code)
}
