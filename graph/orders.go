package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Orders: the Order type, its nested fields and the order queries. What an
// order refers to (location, customer, staff, variants, the tenant) is read
// through the request's loaders, each a service call that checks the
// caller's permission; a page announces its references to the loaders, so
// it costs one batched read per kind of reference that a client selects.

type orderResolver struct {
	o sales.Order
	r *Resolver
}

// newOrderResolvers renders orders the service returned.
func (r *Resolver) newOrderResolvers(ctx context.Context, orders []sales.Order) []*orderResolver {
	expectOrders(ctx, orders)
	out := make([]*orderResolver, len(orders))
	for i, o := range orders {
		out[i] = &orderResolver{o: o, r: r}
	}
	return out
}

// hidden reports whether a nested read was refused for the caller's role or
// scopes: a nullable field the caller may not see is null, with no error.
func hidden(err error) bool { return apperr.Is(err, apperr.Forbidden) }

func (r *orderResolver) ID() graphql.ID          { return graphql.ID(r.o.ID) }
func (r *orderResolver) Number() string          { return r.o.Number }
func (r *orderResolver) Status() string          { return string(r.o.Status) }
func (r *orderResolver) Source() string          { return r.o.Source }
func (r *orderResolver) CreatedAt() graphql.Time { return graphql.Time{Time: r.o.CreatedAt} }
func (r *orderResolver) Subtotal() *money        { return r.money(r.o.Subtotal) }
func (r *orderResolver) DiscountTotal() *money   { return r.money(r.o.DiscountTotal) }
func (r *orderResolver) TaxTotal() *money        { return r.money(r.o.TaxTotal) }
func (r *orderResolver) Total() *money           { return r.money(r.o.Total) }

func (r *orderResolver) money(v int64) *money { return &money{Amount: Long(v), Currency: r.o.Currency} }

// location is the order's location; a location that no longer exists keeps
// its id under a placeholder name.
func (r *orderResolver) location(ctx context.Context) (tenant.Location, error) {
	l, ok, err := loadLocation(ctx, r.o.LocationID)
	if err != nil {
		return tenant.Location{}, err
	}
	if !ok {
		l = tenant.Location{ID: r.o.LocationID, Name: "(deleted location)"}
	}
	return l, nil
}

func (r *orderResolver) Location(ctx context.Context) (*locationResolver, error) {
	l, err := r.location(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	return &locationResolver{l}, nil
}

// Customer is null without customers:read.
func (r *orderResolver) Customer(ctx context.Context) (*customerResolver, error) {
	if r.o.CustomerID == "" {
		return nil, nil
	}
	c, ok, err := loadCustomer(ctx, r.o.CustomerID)
	if hidden(err) || (err == nil && !ok) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return &customerResolver{c: c, r: r.r}, nil
}

// Staff is null without staff:read (API keys never hold it).
func (r *orderResolver) Staff(ctx context.Context) (*userResolver, error) {
	if r.o.StaffID == "" {
		return nil, nil
	}
	u, ok, err := loadStaff(ctx, r.o.StaffID)
	if hidden(err) || (err == nil && !ok) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return &userResolver{u}, nil
}

func (r *orderResolver) Lines() []*orderLineResolver {
	out := make([]*orderLineResolver, len(r.o.Lines))
	for i, l := range r.o.Lines {
		out[i] = &orderLineResolver{l: l, order: r}
	}
	return out
}

func (r *orderResolver) TaxBreakdown() []*taxLineResolver {
	out := make([]*taxLineResolver, len(r.o.Taxes))
	for i, t := range r.o.Taxes {
		out[i] = &taxLineResolver{TaxCategory: string(t.Category), RatePercent: int32(t.RatePercent), TaxableAmount: r.money(t.Taxable), Tax: r.money(t.Tax)}
	}
	return out
}

func (r *orderResolver) Payments() []*paymentResolver {
	out := make([]*paymentResolver, len(r.o.Payments))
	for i, p := range r.o.Payments {
		pr := &paymentResolver{ID: graphql.ID(p.ID), Method: string(p.Method), Status: string(p.Status), Amount: r.money(p.Amount), Reference: strPtr(p.Reference),
			ClientSecret: strPtr(p.ClientSecret)} // set only on checkout's answer for a card reader
		if p.GiftCardNumber != "" {
			pr.GiftCardNumber = strPtr(sales.MaskCardNumber(p.GiftCardNumber))
		}
		if p.Tendered != nil {
			pr.Tendered = r.money(*p.Tendered)
		}
		if p.Change != nil {
			pr.Change = r.money(*p.Change)
		}
		out[i] = pr
	}
	return out
}

// GiftCardLoads are the sale's load lines, each card masked.
func (r *orderResolver) GiftCardLoads() []*giftCardLoadResolver {
	out := make([]*giftCardLoadResolver, len(r.o.GiftCardLoads))
	for i, l := range r.o.GiftCardLoads {
		out[i] = &giftCardLoadResolver{ID: graphql.ID(l.ID), CardNumber: sales.MaskCardNumber(l.Number), Amount: r.money(l.Amount)}
	}
	return out
}

func (r *orderResolver) GiftCardLoadTotal() *money { return r.money(r.o.GiftCardLoadTotal) }

type giftCardLoadResolver struct {
	ID         graphql.ID
	CardNumber string
	Amount     *money
}

// Receipt is part of the order: whoever reads the order reads its receipt.
func (r *orderResolver) Receipt(ctx context.Context) (*receiptResolver, error) {
	t, err := loadTenant(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	l, err := r.location(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	rc := sales.NewReceipt(r.o, t, l)
	return &receiptResolver{IssuerName: rc.IssuerName, InvoiceRegistrationNumber: strPtr(rc.InvoiceRegistrationNumber), IssuedAt: graphql.Time{Time: rc.IssuedAt}, Text: rc.Text}, nil
}

type orderLineResolver struct {
	l     sales.Line
	order *orderResolver
}

func (r *orderLineResolver) ID() graphql.ID         { return graphql.ID(r.l.ID) }
func (r *orderLineResolver) Name() string           { return r.l.Name }
func (r *orderLineResolver) Sku() string            { return r.l.SKU }
func (r *orderLineResolver) Quantity() Long         { return Long(r.l.Quantity) }
func (r *orderLineResolver) UnitPrice() *money      { return r.order.money(r.l.UnitPrice) }
func (r *orderLineResolver) Discount() *money       { return r.order.money(r.l.Discount) }
func (r *orderLineResolver) Total() *money          { return r.order.money(r.l.Total) }
func (r *orderLineResolver) TaxCategory() string    { return string(r.l.TaxCategory) }
func (r *orderLineResolver) TaxRatePercent() int32  { return int32(r.l.TaxRatePercent) }
func (r *orderLineResolver) RefundedQuantity() Long { return Long(r.l.RefundedQuantity) }

// Variant is the catalog's current variant: null without catalog:read, and
// null when it left the catalog (the line keeps its snapshot).
func (r *orderLineResolver) Variant(ctx context.Context) (*variantResolver, error) {
	v, ok, err := loadVariant(ctx, r.l.VariantID)
	if hidden(err) || (err == nil && !ok) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return newVariantResolver(v), nil
}

type taxLineResolver struct {
	TaxCategory   string
	RatePercent   int32
	TaxableAmount *money
	Tax           *money
}

type paymentResolver struct {
	ID             graphql.ID
	Method         string
	Status         string
	Amount         *money
	Tendered       *money
	Change         *money
	Reference      *string
	ClientSecret   *string
	GiftCardNumber *string
}

type receiptResolver struct {
	IssuerName                string
	InvoiceRegistrationNumber *string
	IssuedAt                  graphql.Time
	Text                      string
}

type orderConnectionResolver struct {
	Nodes    []*orderResolver
	PageInfo *pageInfo
}

func (r *Resolver) orderConnection(ctx context.Context, orders []sales.Order, next string) *orderConnectionResolver {
	return &orderConnectionResolver{Nodes: r.newOrderResolvers(ctx, orders), PageInfo: &pageInfo{HasNextPage: next != "", EndCursor: strPtr(next)}}
}

// ---- queries

type orderFilterInput struct {
	LocationID *graphql.ID
	From       *graphql.Time
	To         *graphql.Time
	Status     *string
}

func (fi *orderFilterInput) domain() sales.OrderFilter {
	var f sales.OrderFilter
	if fi == nil {
		return f
	}
	if fi.LocationID != nil {
		f.LocationIDs = []string{string(*fi.LocationID)}
	}
	if fi.From != nil {
		f.From = fi.From.Time
	}
	if fi.To != nil {
		f.To = fi.To.Time
	}
	if fi.Status != nil {
		f.Status = sales.OrderStatus(*fi.Status)
	}
	return f
}

// Order reads one order; null when it does not exist in the tenant or is at
// a location the caller may not work at.
func (r *Resolver) Order(ctx context.Context, args struct{ ID graphql.ID }) (*orderResolver, error) {
	o, err := r.svc.Sales.Order(ctx, string(args.ID))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return r.newOrderResolvers(ctx, []sales.Order{o})[0], nil
}

// Orders lists orders newest first, only at the caller's locations.
func (r *Resolver) Orders(ctx context.Context, args struct {
	Filter *orderFilterInput
	First  *int32
	After  *string
}) (*orderConnectionResolver, error) {
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	orders, next, err := r.svc.Sales.Orders(ctx, args.Filter.domain(), first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	return r.orderConnection(ctx, orders, next), nil
}
