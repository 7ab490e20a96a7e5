package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/reports"
)

type salesSummaryInput struct {
	From       graphql.Time
	To         graphql.Time
	LocationID *graphql.ID
	GroupBy    string
}

// SalesSummary sums sales by the grouping's key from the aggregates.
func (r *Resolver) SalesSummary(ctx context.Context, args struct{ Input salesSummaryInput }) ([]*salesRowResolver, error) {
	in := reports.SummaryInput{From: args.Input.From.Time, To: args.Input.To.Time, GroupBy: reports.Grouping(args.Input.GroupBy)}
	if args.Input.LocationID != nil {
		in.LocationID = string(*args.Input.LocationID)
	}
	sum, err := r.svc.Reports.SalesSummary(ctx, in)
	if err != nil {
		return nil, top(ctx, err)
	}
	var asOf *graphql.Time
	if !sum.AsOf.IsZero() {
		asOf = &graphql.Time{Time: sum.AsOf}
	}
	out := make([]*salesRowResolver, len(sum.Rows))
	for i, row := range sum.Rows {
		out[i] = &salesRowResolver{row: row, currency: sum.Currency, asOf: asOf, byRegister: in.GroupBy == reports.ByRegister}
	}
	return out, nil
}

type salesRowResolver struct {
	row      reports.Row
	currency string
	asOf     *graphql.Time
	// byRegister: the row's key is a register id.
	byRegister bool
}

func (r *salesRowResolver) money(v int64) *money {
	return &money{Amount: Long(v), Currency: r.currency}
}

func (r *salesRowResolver) Key() string        { return r.row.Key }
func (r *salesRowResolver) OrderCount() int32  { return int32(min(r.row.Orders, 1<<31-1)) }
func (r *salesRowResolver) Quantity() Long     { return Long(r.row.Quantity) }
func (r *salesRowResolver) GrossSales() *money { return r.money(r.row.Gross) }
func (r *salesRowResolver) Discounts() *money  { return r.money(r.row.Discounts) }
func (r *salesRowResolver) Refunds() *money    { return r.money(r.row.Refunds) }
func (r *salesRowResolver) NetSales() *money   { return r.money(r.row.Net()) }
func (r *salesRowResolver) Tax() *money        { return r.money(r.row.Tax) }
func (r *salesRowResolver) GiftCardLoads() *money {
	return r.money(r.row.GiftCardLoads)
}
func (r *salesRowResolver) AsOf() *graphql.Time { return r.asOf }

// Register is the row's register under REGISTER (through the request's
// loader, like Order.register).
func (r *salesRowResolver) Register(ctx context.Context) (*registerResolver, error) {
	if !r.byRegister {
		return nil, nil
	}
	return optionalRegister(ctx, r.row.Key)
}
