package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/deadline"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// RefundLoaded is what a refund reads first, in one batched read: the
// order, the tenant (its tax rounding and Stripe account) and the
// idempotency record.
type RefundLoaded struct {
	Order      Order
	OrderFound bool
	Tenant     tenant.Tenant
	// ReplayRefundID is set when the key was already used with this input.
	ReplayRefundID string
}

// RefundPlace is what a refund reads once it knows the order: its location
// (the time zone of the refund's business date) and, when restocking,
// which of the refunded lines' variants track stock now (a variant no
// longer in the catalog does not).
type RefundPlace struct {
	Location      tenant.Location
	LocationFound bool
	Tracked       map[string]bool
}

// CardRefundClaim is how long a refund with a card part holds its order
// between asking the processor and writing: other refunds of the order wait
// (answered UNAVAILABLE after the usual retries) rather than commit in
// between. Longer than the processor's timeout.
const CardRefundClaim = 2 * time.Minute

// ErrOrderMoved is SaveRefund's answer when the order changed after it was
// read (another refund was written, or its status moved): nothing was
// written, and the refund must be planned again from the order as it is.
var ErrOrderMoved = errors.New("the order changed since it was read")

// RefundStore persists refunds. Every method acts on the tenant in ctx.
type RefundStore interface {
	// LoadRefund reads the order, the tenant and the idempotency record in
	// one batched read. A key used with another request is
	// IDEMPOTENCY_KEY_REUSED.
	LoadRefund(ctx context.Context, orderID string, idem idempotency.Request) (RefundLoaded, error)
	// LoadRefundPlace reads a location and variants in one batched read.
	LoadRefundPlace(ctx context.Context, locationID string, variantIDs []string) (RefundPlace, error)
	// ClaimCardRefund marks the order as being refunded by p's request
	// until the given time, if it still has the refunds read and no other
	// request's live claim; ErrOrderMoved otherwise.
	ClaimCardRefund(ctx context.Context, p RefundPlan, until time.Time) error
	// SaveRefund writes, in one transaction, the idempotency record, the
	// refund, the order as planned (conditioned on the number of refunds
	// read and on its status), the restocked units (commutative adds) and
	// the order.refunded event. If the record was written meanwhile with
	// the same request it returns that refund's id and replayed=true; if
	// the order moved, ErrOrderMoved.
	SaveRefund(ctx context.Context, p RefundPlan, idem idempotency.Request) (refundID string, replayed bool, err error)
	// GetRefund reads one refund of the tenant.
	GetRefund(ctx context.Context, id string) (Refund, error)
}

// Refund gives money back for units of an order, and with Restock the
// units back to the order's location. MANAGER and OWNER (and API keys with
// ORDERS_WRITE) may refund, only at locations they may work at; an order
// elsewhere, or of another tenant, is NOT_FOUND. Cash goes out of the
// drawer of the caller's register (an API key bound to a register at the
// order's location) or else of the register that took the sale.
//
// Card portions are refunded at the processor first, then everything is
// written in one transaction. Before asking the processor, the refund
// claims the order (CardRefundClaim): no other refund of it commits until
// this one is written or the claim lapses, so a card refund is never made
// for a plan that another refund then invalidates. The processor's
// idempotency key is derived from the order, the payment and the request
// (CardRefundKey), so a retry of a refund whose write failed replays the
// processor's refund instead of making a second one.
func (s *Service) Refund(ctx context.Context, in RefundInput) (Order, Refund, error) {
	p, err := identity.Require(ctx, identity.Refund)
	if err != nil {
		return Order{}, Refund{}, err
	}
	in.normalize()
	if err := in.Validate(); err != nil {
		return Order{}, Refund{}, err
	}
	idem := in.Request()
	refundID := ids.NewAt("rfd", s.Now())
	var out Refund
	var order Order
	err = backoff.Contention.Retry(ctx, func(int) (bool, error) {
		loaded, err := s.Refunds.LoadRefund(ctx, in.OrderID, idem)
		if err != nil {
			return false, err
		}
		if loaded.ReplayRefundID != "" {
			order, out, err = s.replayRefund(ctx, p, in.OrderID, loaded.ReplayRefundID)
			return false, err
		}
		if !loaded.OrderFound || !p.CanUseLocation(loaded.Order.LocationID) {
			return false, apperr.New(apperr.NotFound, "order not found", path("orderId")...)
		}
		plan, err := s.planRefund(ctx, p, in, refundID, loaded)
		if err != nil {
			return false, err
		}
		plan.Claim = idem.Hash
		saveCtx := ctx
		if slices.ContainsFunc(plan.Refund.Tenders, func(t RefundTender) bool { return t.Method == Card }) {
			err := s.Refunds.ClaimCardRefund(ctx, plan, s.Now().Add(CardRefundClaim))
			if errors.Is(err, ErrOrderMoved) {
				return true, apperr.Wrap(err, apperr.Unavailable, "another refund of the order is in progress; retry with the same idempotencyKey")
			}
			if err != nil {
				return false, err
			}
			// Once the processor has refunded, recording it is a completion:
			// it may outlive the request's budget by deadline.Grace (if it
			// still fails, the claim holds the order and a retry with the
			// same key — the processor replays the refund — records it).
			dctx, cancel := deadline.Detach(ctx)
			defer cancel()
			saveCtx = dctx
		}
		if err := s.refundCards(ctx, &plan, loaded.Tenant.StripeAccountID); err != nil {
			return false, err // CONFLICT: this request was refunded at the processor as planned before, and is planned differently now
		}
		id, replayed, err := s.Refunds.SaveRefund(saveCtx, plan, idem)
		switch {
		case errors.Is(err, ErrOrderMoved):
			return true, apperr.Wrap(err, apperr.Unavailable, "the order kept changing; retry with the same idempotencyKey")
		case err != nil:
			return false, err
		case replayed:
			order, out, err = s.replayRefund(ctx, p, in.OrderID, id)
			return false, err
		}
		order, out = plan.Order, plan.Refund
		return false, nil
	})
	return order, out, err
}

// planRefund prices the refund from what was read.
func (s *Service) planRefund(ctx context.Context, p identity.Principal, in RefundInput, refundID string, loaded RefundLoaded) (RefundPlan, error) {
	o := loaded.Order
	var variants []string
	if in.Restock {
		for _, li := range in.Lines {
			if at := slices.IndexFunc(o.Lines, func(l Line) bool { return l.ID == li.LineID }); at >= 0 && o.Lines[at].VariantID != "" {
				variants = append(variants, o.Lines[at].VariantID)
			}
		}
	}
	place, err := s.Refunds.LoadRefundPlace(ctx, o.LocationID, variants)
	if err != nil {
		return RefundPlan{}, err
	}
	// A location whose zone no longer resolves dates its refunds in UTC
	// rather than refuse them: the money must be able to go back.
	zone, err := place.Location.Zone()
	if !place.LocationFound || err != nil {
		zone = time.UTC
	}
	rc := RefundContext{RefundID: refundID, RegisterID: o.RegisterID, StaffID: p.UserID, APIKeyID: p.APIKeyID,
		Rounding: o.TaxRounding, Now: s.Now().UTC(), Zone: zone, Tracked: place.Tracked}
	if !rc.Rounding.Valid() { // an order from before orders kept their rounding
		rc.Rounding = tax.Rounding(loaded.Tenant.TaxRounding)
	}
	if p.RegisterID != "" {
		if lid, _, ok := tenant.ParseRegisterID(p.RegisterID); ok && lid == o.LocationID {
			rc.RegisterID = p.RegisterID
		}
	}
	return PlanRefund(o, in, rc)
}

// refundCards refunds the plan's card tenders at the processor and records
// the processor's refund ids on them.
func (s *Service) refundCards(ctx context.Context, plan *RefundPlan, account string) error {
	for i, t := range plan.Refund.Tenders {
		if t.Method != Card {
			continue
		}
		if s.Payments == nil {
			return errors.New("refund: a card tender but no card processor is configured")
		}
		pay := plan.Order.Payments[slices.IndexFunc(plan.Order.Payments, func(p Payment) bool { return p.ID == t.PaymentID })]
		res, err := s.Payments.Refund(ctx, payments.RefundRequest{
			AccountID: account, PaymentIntentID: pay.Reference, Amount: t.Amount,
			IdempotencyKey: CardRefundKey(plan.Refund.OrderID, t.PaymentID, plan.Claim),
			Metadata:       map[string]string{"order_id": plan.Refund.OrderID, "refund_id": plan.Refund.ID},
		})
		if err != nil {
			return fmt.Errorf("card refund of order %s: %w", plan.Refund.OrderID, err)
		}
		plan.Refund.Tenders[i].Reference = res.ID
	}
	plan.Order.Refunds[len(plan.Order.Refunds)-1] = plan.Refund.Summary()
	return nil
}

// CardRefundKey is the processor idempotency key of a refund request's
// card part through one payment: the same request (key and input, by its
// hash) always asks with the same key, so it refunds the card once however
// often it is retried; a retry planned differently (another refund landed
// in between) is refused by the processor rather than refunding again.
func CardRefundKey(orderID, paymentID, requestHash string) string {
	return strings.Join([]string{"card-refund", orderID, paymentID, requestHash[:min(32, len(requestHash))]}, "-")
}

// replayRefund reads the refund a previous request with the same key wrote,
// and its order as it is now; for a caller who may not work at the order's
// location (the key is the tenant's, not the caller's), NOT_FOUND.
func (s *Service) replayRefund(ctx context.Context, p identity.Principal, orderID, refundID string) (Order, Refund, error) {
	r, err := s.Refunds.GetRefund(ctx, refundID)
	if err != nil {
		return Order{}, Refund{}, err
	}
	if !p.CanUseLocation(r.LocationID) || r.OrderID != orderID {
		return Order{}, Refund{}, apperr.New(apperr.NotFound, "order not found", path("orderId")...)
	}
	o, err := s.Store.GetOrder(ctx, orderID)
	if err != nil {
		return Order{}, Refund{}, err
	}
	return o, r, nil
}
