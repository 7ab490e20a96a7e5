package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/sales"
)

// Customers: the Customer type and the customer operations.

type customerResolver struct {
	c sales.Customer
	r *Resolver
}

func (c *customerResolver) ID() graphql.ID { return graphql.ID(c.c.ID) }
func (c *customerResolver) Name() string   { return c.c.Name }
func (c *customerResolver) Email() *string { return strPtr(c.c.Email) }
func (c *customerResolver) Phone() *string { return strPtr(c.c.Phone) }

// Orders of a customer, newest first, at the caller's locations (orders:read).
func (c *customerResolver) Orders(ctx context.Context, args pageArgsIn) (*orderConnectionResolver, error) {
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	orders, next, err := c.r.svc.Sales.Orders(ctx, sales.OrderFilter{CustomerID: c.c.ID}, first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	return c.r.orderConnection(ctx, orders, next), nil
}

type customerConnectionResolver struct {
	Nodes    []*customerResolver
	PageInfo *pageInfo
}

type customerPayloadResolver struct {
	Customer   *customerResolver
	UserErrors []*userError
}

type createCustomerInput struct {
	Name  string
	Email *string
	Phone *string
}

// CreateCustomer adds a customer (customers:write).
func (r *Resolver) CreateCustomer(ctx context.Context, args struct{ Input createCustomerInput }) (*customerPayloadResolver, error) {
	c, err := r.svc.Sales.CreateCustomer(ctx, args.Input.Name, deref(args.Input.Email), deref(args.Input.Phone))
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &customerPayloadResolver{UserErrors: ue}, err
	}
	return &customerPayloadResolver{Customer: &customerResolver{c: c, r: r}, UserErrors: []*userError{}}, nil
}

// Customers lists customers by name (prefix search with query; customers:read).
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
