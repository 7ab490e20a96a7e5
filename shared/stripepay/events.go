package stripepay

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
)

// Tolerance is how far a webhook's signed timestamp may be from now.
const Tolerance = 300 * time.Second

// ParseEvent verifies a webhook with the endpoint's signing secret.
func (g *Gateway) ParseEvent(payload []byte, signatureHeader string, now time.Time) (payments.Event, error) {
	return ParseEvent(payload, signatureHeader, g.webhookSecret, now)
}

// ParseEvent verifies a Stripe-Signature header over payload with secret
// and decodes the event. A missing, forged or wrong-secret signature, or a
// timestamp more than Tolerance from now, is INVALID.
//
// The signature is checked by stripe-go's webhook package; the timestamp
// against now (the caller's clock, so tests can move it). Events of another
// API version are accepted: stripe-go refuses them by default, but a
// Connect endpoint left on another version would then have every event
// refused and retried for days, and the fields read here (ids, status,
// amount, metadata, the decline code, charges_enabled) are the same in
// every version since 2019.
func ParseEvent(payload []byte, signatureHeader, secret string, now time.Time) (payments.Event, error) {
	invalid := func(why string, err error) (payments.Event, error) {
		return payments.Event{}, &apperr.Error{Code: apperr.Invalid, Message: why, Err: err}
	}
	if secret == "" {
		return payments.Event{}, fmt.Errorf("stripepay: no webhook signing secret")
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signatureHeader, secret, webhook.ConstructEventOptions{
		IgnoreTolerance: true, IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		return invalid("the Stripe signature does not verify", err)
	}
	signed, ok := signedAt(signatureHeader)
	if !ok {
		return invalid("the Stripe signature has no timestamp", nil)
	}
	if d := now.Sub(signed); d > Tolerance || d < -Tolerance {
		return invalid("the Stripe signature's timestamp is outside the 300 s tolerance", nil)
	}
	out := payments.Event{ID: ev.ID, Type: payments.EventType(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), AccountID: ev.Account}
	if ev.Data == nil {
		return invalid("the Stripe event has no data", nil)
	}
	switch {
	case strings.HasPrefix(string(ev.Type), "payment_intent."):
		var pi intentJSON
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return invalid("the Stripe event's payment intent does not decode", err)
		}
		in := pi.intent()
		out.Intent = &in
	case out.Type == payments.EventAccountUpdated:
		var a accountJSON
		if err := json.Unmarshal(ev.Data.Raw, &a); err != nil {
			return invalid("the Stripe event's account does not decode", err)
		}
		if out.AccountID == "" {
			out.AccountID = a.ID
		}
		out.Account = &payments.Account{ID: a.ID, ChargesEnabled: a.ChargesEnabled, AsOf: out.Created}
	}
	return out, nil
}

// signedAt reads t= from a Stripe-Signature header.
func signedAt(header string) (time.Time, bool) {
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			return time.Unix(sec, 0), err == nil
		}
	}
	return time.Time{}, false
}

// intentJSON and accountJSON are the parts of Stripe's objects renkei reads.
type intentJSON struct {
	ID               string            `json:"id"`
	Status           string            `json:"status"`
	Amount           int64             `json:"amount"`
	ClientSecret     string            `json:"client_secret"`
	Metadata         map[string]string `json:"metadata"`
	LastPaymentError *struct {
		Code        string `json:"code"`
		DeclineCode string `json:"decline_code"`
	} `json:"last_payment_error"`
}

func (p intentJSON) intent() payments.Intent {
	in := payments.Intent{ID: p.ID, Status: payments.IntentStatus(p.Status), Amount: p.Amount, ClientSecret: p.ClientSecret, Metadata: p.Metadata}
	if e := p.LastPaymentError; e != nil {
		in.DeclineCode = e.DeclineCode
		if in.DeclineCode == "" {
			in.DeclineCode = e.Code
		}
	}
	return in
}

type accountJSON struct {
	ID             string `json:"id"`
	ChargesEnabled bool   `json:"charges_enabled"`
}
