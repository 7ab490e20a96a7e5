package stripepay

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v76"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// Client-safe messages. Nothing from Stripe's own message reaches a client
// but the decline code.
const (
	msgUnavailable = "the card processor is unavailable; retry with the same idempotency key"
	msgInternal    = "the card processor refused the request"
)

// mapError turns a Stripe failure into renkei's error codes:
//   - card_error (a decline): PAYMENT_DECLINED with the decline code;
//   - 429, 5xx, api_error, a concurrent request with the same key, network
//     failures and timeouts: UNAVAILABLE (the client retries with its key);
//   - a payment method that does not exist or cannot be used: INVALID on
//     paymentMethodId (the client sent it);
//   - an intent in the wrong state (it succeeded or was canceled meanwhile):
//     CONFLICT;
//   - anything else, an invalid request or a bad key: INTERNAL — our bug.
//
// The cause kept for logs is rebuilt from Stripe's fields: the raw error
// embeds the PaymentIntent, client secret included.
func mapError(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		// No answer from Stripe: a network failure, a timeout, a canceled
		// context. Whether Stripe acted is unknown; the same key settles it.
		return apperr.Wrap(fmt.Errorf("stripe %s: %w", op, err), apperr.Unavailable, msgUnavailable)
	}
	cause := fmt.Errorf("stripe %s: type=%s code=%s decline=%s status=%d param=%s request=%s: %s",
		op, se.Type, se.Code, se.DeclineCode, se.HTTPStatusCode, se.Param, se.RequestID, se.Msg)
	switch {
	case se.Type == stripe.ErrorTypeCard:
		code := declineCode(se.DeclineCode, se.Code)
		if code == "" {
			code = "card_declined"
		}
		return &apperr.Error{Code: apperr.PaymentDeclined, Message: "the card was declined (" + code + ")", Err: cause}
	case se.HTTPStatusCode == http.StatusTooManyRequests, se.Code == stripe.ErrorCodeRateLimit,
		se.HTTPStatusCode >= 500, se.Type == stripe.ErrorTypeAPI,
		se.Type == stripe.ErrorTypeIdempotency && se.HTTPStatusCode == http.StatusConflict:
		return apperr.Wrap(cause, apperr.Unavailable, msgUnavailable)
	case se.Type == stripe.ErrorTypeInvalidRequest && se.Param == "payment_method":
		// The client's paymentMethodId: no such method, or not usable.
		return &apperr.Error{Code: apperr.Invalid, Message: "the payment method cannot be used", Field: []string{"paymentMethodId"}, Err: cause}
	case se.Code == stripe.ErrorCodePaymentIntentUnexpectedState:
		return apperr.Wrap(cause, apperr.Conflict, "the payment changed state meanwhile")
	case se.Type == stripe.ErrorTypeIdempotency:
		// The key was used with other parameters: a refund keyed by the
		// order's refund number lost the number to a concurrent refund of
		// another amount; the caller plans it again under the next number.
		return apperr.Wrap(cause, apperr.Conflict, "a concurrent request used this idempotency key")
	default:
		return apperr.Wrap(cause, apperr.Internal, msgInternal)
	}
}
