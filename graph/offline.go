package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/sales"
)

// Offline sales: syncOfflineSales, one result per sale.

type syncOfflineSalesInput struct {
	Sales []offlineSaleInput
}

type offlineSaleInput struct {
	ClientSaleID  string
	OccurredAt    graphql.Time
	LocationID    graphql.ID
	RegisterID    *graphql.ID
	Lines         []checkoutLineInput
	OrderDiscount *discountInput
	CustomerID    *graphql.ID
	Payments      []paymentInput
}

func (in offlineSaleInput) domain() sales.OfflineSaleInput {
	// The checkout input's conversion, then what only an offline sale has.
	co := checkoutInput{LocationID: in.LocationID, RegisterID: in.RegisterID, Lines: in.Lines, OrderDiscount: in.OrderDiscount,
		CustomerID: in.CustomerID, Payments: in.Payments}.domain()
	return sales.OfflineSaleInput{ClientSaleID: in.ClientSaleID, OccurredAt: in.OccurredAt.Time, LocationID: co.LocationID, RegisterID: co.RegisterID,
		Lines: co.Lines, OrderDiscount: co.OrderDiscount, CustomerID: co.CustomerID, Payments: co.Payments}
}

type offlineSaleResultResolver struct {
	ClientSaleID string
	Status       string
	Order        *orderResolver
	UserErrors   []*userError
}

type syncOfflineSalesPayloadResolver struct {
	Results    []*offlineSaleResultResolver
	UserErrors []*userError
}

// SyncOfflineSales records sales taken offline (sell, like checkout; the
// service checks, and each sale's location).
func (r *Resolver) SyncOfflineSales(ctx context.Context, args struct{ Input syncOfflineSalesInput }) (*syncOfflineSalesPayloadResolver, error) {
	in := make([]sales.OfflineSaleInput, len(args.Input.Sales))
	for i, s := range args.Input.Sales {
		in[i] = s.domain()
	}
	results, err := r.svc.Sales.SyncOfflineSales(ctx, in)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &syncOfflineSalesPayloadResolver{Results: []*offlineSaleResultResolver{}, UserErrors: ue}, err
	}
	var orders []sales.Order
	for _, res := range results {
		if res.Order != nil {
			orders = append(orders, *res.Order)
		}
	}
	rendered := r.newOrderResolvers(ctx, orders)
	out := &syncOfflineSalesPayloadResolver{Results: make([]*offlineSaleResultResolver, len(results)), UserErrors: []*userError{}}
	for i, res := range results {
		rr := &offlineSaleResultResolver{ClientSaleID: res.ClientSaleID, Status: string(res.Status), UserErrors: []*userError{}}
		if res.Order != nil {
			rr.Order, rendered = rendered[0], rendered[1:]
		}
		if len(res.Errors) > 0 {
			if rr.UserErrors, err = userErrors(ctx, apperr.List(res.Errors)); err != nil {
				return nil, err
			}
		}
		out.Results[i] = rr
	}
	return out, nil
}

// Oversold says whether an offline sale took the level below zero since
// it was last counted.
func (r *stockLevelResolver) Oversold() bool { return !r.l.OversoldAt.IsZero() }
