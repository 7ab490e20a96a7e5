package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/sales"
)

// Refunds: the refund mutation and the Refund type (Order.refunds is read
// from the order itself: its refunds' summaries are part of it).

type refundInput struct {
	IdempotencyKey string
	OrderID        graphql.ID
	Lines          []refundLineInput
	Restock        bool
	Reason         *string
	// ToGiftCardNumber pays the refund onto a gift card.
	ToGiftCardNumber *string
}

type refundLineInput struct {
	LineID   graphql.ID
	Quantity Long
}

func (in refundInput) domain() sales.RefundInput {
	out := sales.RefundInput{IdempotencyKey: in.IdempotencyKey, OrderID: string(in.OrderID), Restock: in.Restock, Reason: deref(in.Reason),
		ToGiftCardNumber: deref(in.ToGiftCardNumber)}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, sales.RefundLineInput{LineID: string(l.LineID), Quantity: int64(l.Quantity)})
	}
	return out
}

type refundResolver struct {
	ID           graphql.ID
	Amount       *money
	Reason       *string
	CreatedAt    graphql.Time
	TaxTotal     *money
	TaxBreakdown []*taxLineResolver
	Tenders      []*refundTenderResolver
}

type refundTenderResolver struct {
	Method         string
	Amount         *money
	Reference      *string
	GiftCardNumber *string // masked
}

type refundPayloadResolver struct {
	Order      *orderResolver
	Refund     *refundResolver
	UserErrors []*userError
}

// Refund refunds units of an order (refund: MANAGER and OWNER at their
// locations, ORDERS_WRITE; the service checks).
func (r *Resolver) Refund(ctx context.Context, args struct{ Input refundInput }) (*refundPayloadResolver, error) {
	o, rf, err := r.svc.Sales.Refund(ctx, args.Input.domain())
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &refundPayloadResolver{UserErrors: ue}, err
	}
	or := r.newOrderResolvers(ctx, []sales.Order{o})[0]
	return &refundPayloadResolver{Order: or, Refund: or.refund(rf.Summary()), UserErrors: []*userError{}}, nil
}

// Refunds are the order's refunds, oldest first (at most sales.MaxRefunds).
func (r *orderResolver) Refunds() []*refundResolver {
	out := make([]*refundResolver, len(r.o.Refunds))
	for i, s := range r.o.Refunds {
		out[i] = r.refund(s)
	}
	return out
}

func (r *orderResolver) refund(s sales.RefundSummary) *refundResolver {
	out := &refundResolver{ID: graphql.ID(s.ID), Amount: r.money(s.Amount), Reason: strPtr(s.Reason), CreatedAt: graphql.Time{Time: s.CreatedAt},
		TaxTotal: r.money(s.TaxTotal), TaxBreakdown: make([]*taxLineResolver, len(s.Taxes)), Tenders: make([]*refundTenderResolver, len(s.Tenders))}
	for i, t := range s.Taxes {
		out.TaxBreakdown[i] = &taxLineResolver{TaxCategory: string(t.Category), RatePercent: int32(t.RatePercent), TaxableAmount: r.money(t.Taxable), Tax: r.money(t.Tax)}
	}
	for i, t := range s.Tenders {
		out.Tenders[i] = &refundTenderResolver{Method: string(t.Method), Amount: r.money(t.Amount), Reference: strPtr(t.Reference)}
		if t.GiftCardNumber != "" {
			out.Tenders[i].GiftCardNumber = strPtr(sales.MaskCardNumber(t.GiftCardNumber))
		}
	}
	return out
}
