// Package stripehook is the HTTP face of Stripe's webhooks: POST
// /webhooks/stripe reads the event (at most 64 KiB), has the card processor
// verify its signature, and hands payment_intent.* events to the sales
// service's payment state machine and account.updated to the tenant's card
// onboarding. It answers fast and says nothing about the inside.
package stripehook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/inbound"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/sales"
)

// Path is where the handler is routed.
const Path = "/webhooks/stripe"

// MaxBodyBytes bounds an event's body; Stripe's events are a few KiB.
const MaxBodyBytes = 64 << 10

// handleTimeout bounds the work behind one event, so Stripe (which waits
// up to 20 s) always gets an answer; a timeout is a 503 it retries.
const handleTimeout = 10 * time.Second

// EventParser verifies and decodes a webhook (payments.Gateway.ParseEvent).
type EventParser interface {
	ParseEvent(payload []byte, signatureHeader string, now time.Time) (payments.Event, error)
}

// PaymentEvents applies payment_intent.* events (sales.Service).
type PaymentEvents interface {
	ApplyPaymentEvent(ctx context.Context, ev payments.Event) (sales.EventOutcome, error)
}

// AccountEvents applies account.updated (payments.Service, the tenant's
// card onboarding); NOT_FOUND for an account renkei did not create.
type AccountEvents interface {
	ApplyAccountUpdate(ctx context.Context, account payments.Account) error
}

// Handler serves POST /webhooks/stripe.
type Handler struct {
	Parser   EventParser
	Payments PaymentEvents
	Accounts AccountEvents // nil: account.updated is acknowledged and logged
	Logger   *slog.Logger
	Now      func() time.Time
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := inbound.ReadBody(w, r, MaxBodyBytes)
	if !ok {
		return
	}
	log := h.logger()
	ev, err := h.Parser.ParseEvent(body, r.Header.Get("Stripe-Signature"), h.now())
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) { // our side: no signing secret configured
			log.ErrorContext(r.Context(), "stripe webhook not verified", "error", err.Error())
			inbound.Answer(w, http.StatusInternalServerError, "not processed; retry later")
			return
		}
		log.WarnContext(r.Context(), "stripe webhook refused", "error", err.Error())
		inbound.Answer(w, http.StatusBadRequest, "invalid signature")
		return
	}
	log = log.With("eventId", ev.ID, "eventType", string(ev.Type))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), handleTimeout)
	defer cancel()
	outcome, err := h.handle(ctx, ev)
	if err != nil {
		// Stripe retries any non-2xx: an outage is retried, never lost.
		log.ErrorContext(ctx, "stripe webhook failed", "error", err.Error())
		status := http.StatusInternalServerError
		if apperr.Is(err, apperr.Unavailable) || errors.Is(err, context.DeadlineExceeded) {
			status = http.StatusServiceUnavailable
		}
		inbound.Answer(w, status, "not processed; retry later")
		return
	}
	attrs := []any{"outcome", string(outcome)}
	if ev.Intent != nil {
		attrs = append(attrs, "intentId", ev.Intent.ID, "tenantId", ev.Intent.Metadata[sales.MetadataTenantID], "orderId", ev.Intent.Metadata[sales.MetadataOrderID])
	}
	if outcome == sales.EventUnknown {
		log.WarnContext(ctx, "stripe webhook for something renkei does not know", attrs...)
	} else {
		log.InfoContext(ctx, "stripe webhook", attrs...)
	}
	inbound.Answer(w, http.StatusOK, "")
}

func (h *Handler) handle(ctx context.Context, ev payments.Event) (sales.EventOutcome, error) {
	if ev.Type == payments.EventAccountUpdated {
		if h.Accounts == nil || ev.Account == nil {
			return sales.EventIgnored, nil
		}
		err := h.Accounts.ApplyAccountUpdate(ctx, *ev.Account)
		if apperr.Is(err, apperr.NotFound) {
			return sales.EventUnknown, nil
		}
		return sales.EventForwarded, err
	}
	return h.Payments.ApplyPaymentEvent(ctx, ev)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
