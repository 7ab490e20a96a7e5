package graph

import (
	"context"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// ---- inputs

type checkoutInput struct {
	IdempotencyKey string
	LocationID     graphql.ID
	Lines          []checkoutLineInput
	OrderDiscount  *discountInput
	CustomerID     *graphql.ID
	Payments       []paymentInput
}

type checkoutLineInput struct {
	VariantID graphql.ID
	Quantity  Long
	Discount  *discountInput
}

type discountInput struct {
	Percent *int32
	Amount  *moneyInput
}

type paymentInput struct {
	Method          string
	Amount          moneyInput
	Tendered        *moneyInput
	PaymentMethodID *string
	Reference       *string
}

type orderFilterInput struct {
	LocationID *graphql.ID
	From       *graphql.Time
	To         *graphql.Time
	Status     *string
}

type createCustomerInput struct {
	Name  string
	Email *string
	Phone *string
}

func (in checkoutInput) domain() sales.CheckoutInput {
	out := sales.CheckoutInput{IdempotencyKey: in.IdempotencyKey, LocationID: string(in.LocationID), OrderDiscount: in.OrderDiscount.domain()}
	if in.CustomerID != nil {
		out.CustomerID = string(*in.CustomerID)
	}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, sales.CheckoutLine{VariantID: string(l.VariantID), Quantity: int64(l.Quantity), Discount: l.Discount.domain()})
	}
	for _, p := range in.Payments {
		pi := sales.PaymentInput{Method: sales.PaymentMethod(p.Method), Amount: p.Amount.domain(), PaymentMethodID: deref(p.PaymentMethodID), Reference: deref(p.Reference)}
		if p.Tendered != nil {
			t := p.Tendered.domain()
			pi.Tendered = &t
		}
		out.Payments = append(out.Payments, pi)
	}
	return out
}

func (d *discountInput) domain() *sales.DiscountInput {
	if d == nil {
		return nil
	}
	out := &sales.DiscountInput{}
	if d.Percent != nil {
		p := int64(*d.Percent)
		out.Percent = &p
	}
	if d.Amount != nil {
		m := d.Amount.domain()
		out.Amount = &m
	}
	return out
}

func (m moneyInput) domain() sales.Money {
	return sales.Money{Amount: int64(m.Amount), Currency: m.Currency}
}

// ---- orders

// orderSet is the orders of one response. Whatever the orders refer to
// (locations, customers, staff, variants, the tenant) is read once for the
// whole set, so a page of orders costs a bounded number of round trips.
type orderSet struct {
	r      *Resolver
	orders []sales.Order

	once      sync.Once
	err       error
	tenant    tenant.Tenant
	locations map[string]tenant.Location
	customers map[string]sales.Customer
	staff     map[string]identity.User

	variantsOnce sync.Once
	variantsErr  error
	variants     map[string]catalog.Variant
}

func (r *Resolver) newOrderSet(orders []sales.Order) []*orderResolver {
	set := &orderSet{r: r, orders: orders}
	out := make([]*orderResolver, len(orders))
	for i := range orders {
		out[i] = &orderResolver{o: orders[i], set: set}
	}
	return out
}

func (s *orderSet) load(ctx context.Context) error {
	s.once.Do(func() {
		var locIDs, custIDs []string
		staffIDs := map[string]bool{}
		for _, o := range s.orders {
			locIDs = append(locIDs, o.LocationID)
			if o.CustomerID != "" {
				custIDs = append(custIDs, o.CustomerID)
			}
			if o.StaffID != "" {
				staffIDs[o.StaffID] = true
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		fail := func(err error) {
			mu.Lock()
			if s.err == nil {
				s.err = err
			}
			mu.Unlock()
		}
		s.locations, s.customers, s.staff = map[string]tenant.Location{}, map[string]sales.Customer{}, map[string]identity.User{}
		wg.Add(3)
		go func() {
			defer wg.Done()
			t, err := s.r.svc.Tenants.Get(ctx)
			if err != nil {
				fail(err)
			}
			s.tenant = t
		}()
		go func() {
			defer wg.Done()
			ls, err := s.r.svc.Tenants.Store.GetLocations(ctx, locIDs)
			if err != nil {
				fail(err)
			}
			for _, l := range ls {
				s.locations[l.ID] = l
			}
		}()
		go func() {
			defer wg.Done()
			cs, err := s.r.svc.Sales.GetCustomers(ctx, custIDs)
			if err != nil {
				fail(err)
			}
			for _, c := range cs {
				s.customers[c.ID] = c
			}
		}()
		for id := range staffIDs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u, err := s.r.svc.Identity.Store.GetUser(ctx, id)
				if err != nil && !apperr.Is(err, apperr.NotFound) {
					fail(err)
					return
				}
				if err == nil {
					mu.Lock()
					s.staff[id] = u
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	})
	return s.err
}

func (s *orderSet) variant(ctx context.Context, id string) (catalog.Variant, bool, error) {
	s.variantsOnce.Do(func() {
		var ids []string
		for _, o := range s.orders {
			for _, l := range o.Lines {
				ids = append(ids, l.VariantID)
			}
		}
		vs, err := s.r.svc.Catalog.GetVariants(ctx, ids)
		s.variantsErr = err
		s.variants = map[string]catalog.Variant{}
		for _, v := range vs {
			s.variants[v.ID] = v
		}
	})
	v, ok := s.variants[id]
	return v, ok, s.variantsErr
}

type orderResolver struct {
	o   sales.Order
	set *orderSet
}

func (r *orderResolver) ID() graphql.ID          { return graphql.ID(r.o.ID) }
func (r *orderResolver) Number() string          { return r.o.Number }
func (r *orderResolver) Status() string          { return string(r.o.Status) }
func (r *orderResolver) Source() string          { return r.o.Source }
func (r *orderResolver) CreatedAt() graphql.Time { return graphql.Time{Time: r.o.CreatedAt} }
func (r *orderResolver) Subtotal() *money        { return r.money(r.o.Subtotal) }
func (r *orderResolver) DiscountTotal() *money   { return r.money(r.o.DiscountTotal) }
func (r *orderResolver) TaxTotal() *money        { return r.money(r.o.TaxTotal) }
func (r *orderResolver) Total() *money           { return r.money(r.o.Total) }
func (r *orderResolver) Refunds() []*refundResolver {
	return []*refundResolver{}
}

func (r *orderResolver) money(v int64) *money { return &money{Amount: Long(v), Currency: r.o.Currency} }

func (r *orderResolver) Location(ctx context.Context) (*locationResolver, error) {
	if err := r.set.load(ctx); err != nil {
		return nil, top(ctx, err)
	}
	l, ok := r.set.locations[r.o.LocationID]
	if !ok {
		l = tenant.Location{ID: r.o.LocationID, Name: "(deleted location)"}
	}
	return &locationResolver{l}, nil
}

func (r *orderResolver) Customer(ctx context.Context) (*customerResolver, error) {
	if r.o.CustomerID == "" {
		return nil, nil
	}
	if err := r.set.load(ctx); err != nil {
		return nil, top(ctx, err)
	}
	c, ok := r.set.customers[r.o.CustomerID]
	if !ok {
		return nil, nil
	}
	return &customerResolver{c: c, r: r.set.r}, nil
}

func (r *orderResolver) Staff(ctx context.Context) (*userResolver, error) {
	if r.o.StaffID == "" {
		return nil, nil
	}
	if err := r.set.load(ctx); err != nil {
		return nil, top(ctx, err)
	}
	u, ok := r.set.staff[r.o.StaffID]
	if !ok {
		return nil, nil
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
		pr := &paymentResolver{ID: graphql.ID(p.ID), Method: string(p.Method), Status: string(p.Status), Amount: r.money(p.Amount), Reference: strPtr(p.Reference)}
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

func (r *orderResolver) Receipt(ctx context.Context) (*receiptResolver, error) {
	if err := r.set.load(ctx); err != nil {
		return nil, top(ctx, err)
	}
	rc := sales.NewReceipt(r.o, r.set.tenant, r.set.locations[r.o.LocationID])
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
func (r *orderLineResolver) Variant(ctx context.Context) (*variantResolver, error) {
	v, ok, err := r.order.set.variant(ctx, r.l.VariantID)
	if err != nil {
		return nil, top(ctx, err)
	}
	if !ok {
		return nil, nil // the variant was removed from the catalog; the line keeps its snapshot
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
	ID           graphql.ID
	Method       string
	Status       string
	Amount       *money
	Tendered     *money
	Change       *money
	Reference    *string
	ClientSecret *string
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

func (r *Resolver) orderConnection(orders []sales.Order, next string) *orderConnectionResolver {
	return &orderConnectionResolver{Nodes: r.newOrderSet(orders), PageInfo: &pageInfo{HasNextPage: next != "", EndCursor: strPtr(next)}}
}

// ---- customers

type customerResolver struct {
	c sales.Customer
	r *Resolver
}

func (c *customerResolver) ID() graphql.ID { return graphql.ID(c.c.ID) }
func (c *customerResolver) Name() string   { return c.c.Name }
func (c *customerResolver) Email() *string { return strPtr(c.c.Email) }
func (c *customerResolver) Phone() *string { return strPtr(c.c.Phone) }

// Orders of a customer, newest first.
func (c *customerResolver) Orders(ctx context.Context, args pageArgsIn) (*orderConnectionResolver, error) {
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	orders, next, err := c.r.svc.Sales.Orders(ctx, sales.OrderFilter{CustomerID: c.c.ID}, first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	return c.r.orderConnection(orders, next), nil
}

type customerConnectionResolver struct {
	Nodes    []*customerResolver
	PageInfo *pageInfo
}

type customerPayloadResolver struct {
	Customer   *customerResolver
	UserErrors []*userError
}

type checkoutPayloadResolver struct {
	Order      *orderResolver
	UserErrors []*userError
}

// ---- root fields

// Checkout sells (CASHIER and up, or ORDERS_WRITE).
func (r *Resolver) Checkout(ctx context.Context, args struct{ Input checkoutInput }) (*checkoutPayloadResolver, error) {
	o, err := r.svc.Sales.Checkout(ctx, args.Input.domain())
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &checkoutPayloadResolver{UserErrors: ue}, err
	}
	return &checkoutPayloadResolver{Order: r.newOrderSet([]sales.Order{o})[0], UserErrors: []*userError{}}, nil
}

// Order reads one order; null when it does not exist in the tenant.
func (r *Resolver) Order(ctx context.Context, args struct{ ID graphql.ID }) (*orderResolver, error) {
	o, err := r.svc.Sales.Order(ctx, string(args.ID))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return r.newOrderSet([]sales.Order{o})[0], nil
}

// Orders lists orders newest first.
func (r *Resolver) Orders(ctx context.Context, args struct {
	Filter *orderFilterInput
	First  *int32
	After  *string
}) (*orderConnectionResolver, error) {
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	var f sales.OrderFilter
	if fi := args.Filter; fi != nil {
		if fi.LocationID != nil {
			f.LocationID = string(*fi.LocationID)
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
	}
	orders, next, err := r.svc.Sales.Orders(ctx, f, first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	return r.orderConnection(orders, next), nil
}

// CreateCustomer adds a customer.
func (r *Resolver) CreateCustomer(ctx context.Context, args struct{ Input createCustomerInput }) (*customerPayloadResolver, error) {
	c, err := r.svc.Sales.CreateCustomer(ctx, args.Input.Name, deref(args.Input.Email), deref(args.Input.Phone))
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &customerPayloadResolver{UserErrors: ue}, err
	}
	return &customerPayloadResolver{Customer: &customerResolver{c: c, r: r}, UserErrors: []*userError{}}, nil
}

// Customers lists customers by name (prefix search with query).
func (r *Resolver) Customers(ctx context.Context, args searchArgs) (*customerConnectionResolver, error) {
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	cs, next, err := r.svc.Sales.Customers(ctx, deref(args.Query), first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	out := &customerConnectionResolver{Nodes: make([]*customerResolver, len(cs)), PageInfo: &pageInfo{HasNextPage: next != "", EndCursor: strPtr(next)}}
	for i, c := range cs {
		out.Nodes[i] = &customerResolver{c: c, r: r}
	}
	return out, nil
}
