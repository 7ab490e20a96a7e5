package sales

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The payment state machine of a card sale. An order waiting for its card
// is PENDING_PAYMENT with its stock taken; it moves once, forward, to
// COMPLETED (the intent succeeded) or CANCELED (declined, failed, cancelled
// or expired: its stock is given back). COMPLETED and CANCELED are final:
// a duplicate, late or out-of-order event changes nothing, except that a
// success arriving for a CANCELED order is refunded, so no charge is ever
// kept without its sale.

// DefaultPendingTTL is how long a card sale may wait for its card before
// the expiry job cancels it.
const DefaultPendingTTL = 15 * time.Minute

// Settlement moves one PENDING_PAYMENT order of the tenant in ctx.
type Settlement struct {
	OrderID string
	// Paid completes the order (its CARD payment SUCCEEDED); false cancels
	// it (the payment FAILED) and gives its stock back.
	Paid bool
	// IntentID becomes the CARD payment's reference when set. For a
	// webhook (EventID set) it must also be the intent the order holds when
	// it holds one, and Amount (when not 0) the card payment's amount: an
	// event about another intent (e.g. one a connected account made itself
	// with copied metadata) changes nothing.
	IntentID    string
	Amount      int64
	DeclineCode string // why the card failed ("expired" for the expiry job)
	// EventID is the processor event applied, recorded with the change so
	// the same event is applied once; "" when not from a webhook.
	EventID string
	At      time.Time
	// Known is the sale as this process just wrote it, PENDING_PAYMENT
	// (the checkout settling its own charge): the store need not read it.
	Known *Sale
}

// PendingRef is a PENDING_PAYMENT order as the pending index lists it.
type PendingRef struct {
	TenantID  string
	OrderID   string
	AccountID string // the connected account of its intent
	IntentID  string // "" until known (a card-not-present charge in flight)
	CreatedAt time.Time
}

// PendingStore persists the card payment state machine.
type PendingStore interface {
	// Settle moves a PENDING_PAYMENT order in one transaction: the order's
	// status and CARD payment, its pending index entry removed, and either
	// its order.completed event (paid) or its stock given back through the
	// level writes (not paid), plus the event's dedupe record when EventID
	// is set. It returns the order as it is afterwards and whether this call
	// moved it: an order already final, or an event already applied, is
	// returned unchanged with false. NOT_FOUND when there is no such order.
	Settle(ctx context.Context, st Settlement) (Order, bool, error)
	// ExpiredPending lists pending orders of every tenant created before
	// `before` (and at most lookback earlier), oldest first, up to limit.
	ExpiredPending(ctx context.Context, before time.Time, lookback time.Duration, limit int) ([]PendingRef, error)
}

// EventOutcome says what a processor event did.
type EventOutcome string

// The outcomes of ApplyPaymentEvent.
const (
	EventApplied   EventOutcome = "applied"   // the order moved
	EventNoChange  EventOutcome = "unchanged" // duplicate, late or out of order: the order was already final
	EventUnknown   EventOutcome = "unknown"   // no such order (or not an intent renkei made)
	EventIgnored   EventOutcome = "ignored"   // a type renkei does not act on
	EventRefunded  EventOutcome = "refunded"  // a success for a CANCELED order: refunded
	EventForwarded EventOutcome = "forwarded" // account.updated, handed to the tenant service
)

// ApplyPaymentEvent applies a verified payment_intent.* event to the order
// named in the intent's metadata. There is no caller to authorize: the
// event's signature (checked by the Gateway) is the authority, and the
// tenant comes from the metadata renkei set on the intent.
func (s *Service) ApplyPaymentEvent(ctx context.Context, ev payments.Event) (EventOutcome, error) {
	if ev.Intent == nil {
		return EventIgnored, nil
	}
	var paid bool
	switch ev.Type {
	case payments.EventIntentSucceeded:
		paid = true
	case payments.EventIntentFailed, payments.EventIntentCanceled:
	default:
		return EventIgnored, nil
	}
	tid, oid := ev.Intent.Metadata[MetadataTenantID], ev.Intent.Metadata[MetadataOrderID]
	if !ids.Valid(ids.Tenant, tid) || !ids.Valid("ord", oid) || s.Pending == nil {
		return EventUnknown, nil
	}
	ctx = tenant.WithID(ctx, tid)
	if ev.Type == payments.EventIntentFailed && s.Payments != nil {
		// A failed attempt leaves the intent open for another card; the
		// sale is cancelled, so the intent must not succeed later.
		if _, err := s.Payments.CancelIntent(ctx, ev.AccountID, ev.Intent.ID, cancelKey(ev.Intent.ID)); err != nil {
			s.logger().WarnContext(ctx, "cancel failed intent", "tenantId", tid, "intentId", ev.Intent.ID, "error", err.Error())
		}
	}
	st := Settlement{OrderID: oid, Paid: paid, IntentID: ev.Intent.ID, Amount: ev.Intent.Amount, EventID: ev.ID, At: s.Now().UTC()}
	if !paid {
		st.DeclineCode = ev.Intent.DeclineCode
		if st.DeclineCode == "" {
			st.DeclineCode = string(ev.Intent.Status)
		}
	}
	o, moved, err := s.Pending.Settle(ctx, st)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return EventUnknown, nil
	case err != nil:
		return "", err
	case moved:
		return EventApplied, nil
	case paid && o.Status == StatusCanceled && holdsIntent(o, *ev.Intent):
		return s.refundLate(ctx, ev)
	}
	return EventNoChange, nil
}

// holdsIntent reports whether intent may be the order's card payment: the
// intent id it holds (none yet: a charge whose outcome was never known) and
// its amount.
func holdsIntent(o Order, intent payments.Intent) bool {
	for _, p := range o.Payments {
		if p.Method == Card {
			return (p.Reference == "" || p.Reference == intent.ID) && p.Amount == intent.Amount
		}
	}
	return false
}

// refundLate refunds an intent that succeeded after its sale was cancelled
// (expired or failed meanwhile): the customer keeps no charge without a
// sale. The refund's key is derived from the intent, so a duplicate event
// refunds once.
func (s *Service) refundLate(ctx context.Context, ev payments.Event) (EventOutcome, error) {
	if s.Payments == nil {
		return "", errors.New("refund late charge: no card processor")
	}
	_, err := s.Payments.Refund(ctx, payments.RefundRequest{AccountID: ev.AccountID, PaymentIntentID: ev.Intent.ID, Amount: ev.Intent.Amount,
		IdempotencyKey: "renkei-late-refund-" + ev.Intent.ID, Metadata: ev.Intent.Metadata})
	if err != nil {
		return "", fmt.Errorf("refund late charge %s: %w", ev.Intent.ID, err)
	}
	s.logger().WarnContext(ctx, "card charged after its sale was cancelled: refunded", "intentId", ev.Intent.ID, "orderId", ev.Intent.Metadata[MetadataOrderID])
	return EventRefunded, nil
}

// ExpiryResult counts what one expiry run did.
type ExpiryResult struct {
	Expired int // cancelled now
	Settled int // already final (a webhook or another run won)
	Failed  int // left for the next run (processor or storage unavailable)
}

// ExpirePendingPayments cancels card sales left PENDING_PAYMENT for longer
// than the TTL: the intent is cancelled at the processor (idempotent) and
// the order CANCELED with its stock given back. Two runs at once are safe:
// the order moves once, whoever gets there first. An intent that cannot be
// cancelled because it succeeded in the meantime completes the sale
// instead. It runs without a caller (the scheduler): there is no principal.
func (s *Service) ExpirePendingPayments(ctx context.Context, now time.Time) (ExpiryResult, error) {
	var res ExpiryResult
	if s.Pending == nil {
		return res, nil
	}
	ttl := s.PendingTTL
	if ttl <= 0 {
		ttl = DefaultPendingTTL
	}
	refs, err := s.Pending.ExpiredPending(ctx, now.Add(-ttl), 24*time.Hour, 500)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, ref := range refs {
		moved, err := s.expire(tenant.WithID(ctx, ref.TenantID), ref, now)
		switch {
		case err != nil:
			res.Failed++
			errs = append(errs, err)
		case moved:
			res.Expired++
		default:
			res.Settled++
		}
	}
	if len(errs) > 0 {
		s.logger().WarnContext(ctx, "pending payments left for the next run", "count", len(errs), "error", errors.Join(errs...).Error())
	}
	return res, nil
}

func (s *Service) expire(ctx context.Context, ref PendingRef, now time.Time) (bool, error) {
	st := Settlement{OrderID: ref.OrderID, IntentID: ref.IntentID, DeclineCode: "expired", At: now.UTC()}
	if ref.IntentID != "" && s.Payments != nil {
		intent, err := s.Payments.CancelIntent(ctx, ref.AccountID, ref.IntentID, cancelKey(ref.IntentID))
		switch {
		case apperr.Is(err, apperr.Unavailable):
			return false, fmt.Errorf("cancel intent %s: %w", ref.IntentID, err)
		case err != nil:
			// Not cancellable (already cancelled, or succeeded): cancel the
			// sale anyway; a success's webhook refunds the charge.
			s.logger().WarnContext(ctx, "cancel expired intent", "tenantId", ref.TenantID, "intentId", ref.IntentID, "error", err.Error())
		case intent.Status == payments.IntentSucceeded:
			st.Paid, st.DeclineCode = true, ""
		}
	}
	_, moved, err := s.Pending.Settle(ctx, st)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	return moved, err
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
