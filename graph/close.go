package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/sales"
)

// The daily close: closeRegister and the RegisterClose type.

type closeRegisterInput struct {
	IdempotencyKey string
	LocationID     graphql.ID
	RegisterID     *graphql.ID
	BusinessDate   string
	CountedCash    moneyInput
}

type closeRegisterPayloadResolver struct {
	RegisterClose *registerCloseResolver
	UserErrors    []*userError
}

type paymentTotalResolver struct {
	Method string
	Amount *money
}

type registerCloseResolver struct {
	c    sales.RegisterClose
	acct *closeAccounting // the response's accounting reads (lists.go)
}

func (r *registerCloseResolver) money(v int64) *money {
	return &money{Amount: Long(v), Currency: r.c.Currency}
}

func (r *registerCloseResolver) ID() graphql.ID         { return graphql.ID(r.c.ID) }
func (r *registerCloseResolver) BusinessDate() string   { return r.c.BusinessDate }
func (r *registerCloseResolver) Revision() int32        { return int32(r.c.Revision) }
func (r *registerCloseResolver) OrderCount() int32      { return int32(r.c.OrderCount) }
func (r *registerCloseResolver) GrossSales() *money     { return r.money(r.c.Gross) }
func (r *registerCloseResolver) Discounts() *money      { return r.money(r.c.Discounts) }
func (r *registerCloseResolver) Refunds() *money        { return r.money(r.c.Refunds) }
func (r *registerCloseResolver) NetSales() *money       { return r.money(r.c.Net) }
func (r *registerCloseResolver) ExpectedCash() *money   { return r.money(r.c.ExpectedCash) }
func (r *registerCloseResolver) GiftCardLoads() *money  { return r.money(r.c.GiftCardLoads) }
func (r *registerCloseResolver) CountedCash() *money    { return r.money(r.c.CountedCash) }
func (r *registerCloseResolver) Difference() *money     { return r.money(r.c.Difference) }
func (r *registerCloseResolver) ClosedAt() graphql.Time { return graphql.Time{Time: r.c.ClosedAt} }

func (r *registerCloseResolver) TaxBreakdown() []*taxLineResolver {
	out := make([]*taxLineResolver, len(r.c.Taxes))
	for i, t := range r.c.Taxes {
		out[i] = &taxLineResolver{TaxCategory: string(t.Category), RatePercent: int32(t.RatePercent), TaxableAmount: r.money(t.Taxable), Tax: r.money(t.Tax)}
	}
	return out
}

func (r *registerCloseResolver) PaymentTotals() []*paymentTotalResolver {
	out := make([]*paymentTotalResolver, len(r.c.Payments))
	for i, p := range r.c.Payments {
		out[i] = &paymentTotalResolver{Method: string(p.Method), Amount: r.money(p.Amount)}
	}
	return out
}

func (r *registerCloseResolver) Location(ctx context.Context) (*locationResolver, error) {
	o := orderResolver{o: sales.Order{LocationID: r.c.LocationID}}
	return o.Location(ctx)
}

// Register is the closed drawer; null for a whole location's close.
func (r *registerCloseResolver) Register(ctx context.Context) (*registerResolver, error) {
	return optionalRegister(ctx, r.c.RegisterID)
}

// CloseRegister closes a drawer or a location for a business date
// (register:close: MANAGER and OWNER; the service checks).
func (r *Resolver) CloseRegister(ctx context.Context, args struct{ Input closeRegisterInput }) (*closeRegisterPayloadResolver, error) {
	in := args.Input
	ci := sales.CloseInput{IdempotencyKey: in.IdempotencyKey, LocationID: string(in.LocationID), BusinessDate: in.BusinessDate, CountedCash: in.CountedCash.domain()}
	if in.RegisterID != nil {
		ci.RegisterID = string(*in.RegisterID)
	}
	c, err := r.svc.Sales.CloseRegister(ctx, ci)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &closeRegisterPayloadResolver{UserErrors: ue}, err
	}
	return &closeRegisterPayloadResolver{RegisterClose: &registerCloseResolver{c: c, acct: r.newCloseAccounting(c)}, UserErrors: []*userError{}}, nil
}
