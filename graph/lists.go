package graph

import (
	"context"
	"sync"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
)

// The console's lists: staff, apiKeys and closes (with each close's
// accounting deliveries). The services check the caller's permission and
// locations and bound each list (docs/api.md, Lists).

// Staff lists the tenant's staff by name, deactivated ones included.
func (r *Resolver) Staff(ctx context.Context) ([]*userResolver, error) {
	us, err := r.svc.Identity.Staff(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	out := make([]*userResolver, len(us))
	for i, u := range us {
		out[i] = &userResolver{u}
	}
	return out, nil
}

// ApiKeys lists the tenant's API keys, newest first, revoked ones included.
func (r *Resolver) ApiKeys(ctx context.Context) ([]*apiKeyResolver, error) {
	ks, err := r.svc.Identity.APIKeys(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	out := make([]*apiKeyResolver, len(ks))
	for i, k := range ks {
		out[i] = &apiKeyResolver{k}
	}
	return out, nil
}

type closesArgs struct {
	From       string
	To         string
	LocationID *graphql.ID
}

// Closes lists close revisions of a range of business dates, newest first.
func (r *Resolver) Closes(ctx context.Context, args closesArgs) ([]*registerCloseResolver, error) {
	in := sales.CloseListInput{From: args.From, To: args.To}
	if args.LocationID != nil {
		in.LocationID = string(*args.LocationID)
	}
	cs, err := r.svc.Sales.ListCloses(ctx, in)
	if err != nil {
		return nil, top(ctx, err)
	}
	acct := r.newCloseAccounting(cs...)
	out := make([]*registerCloseResolver, len(cs))
	for i, c := range cs {
		out[i] = &registerCloseResolver{c: c, acct: acct}
	}
	return out, nil
}

// closeAccounting reads the accounting deliveries of the closes of one
// response when the first of them asks, through the loader mechanism with
// every close announced: one service call per 100 closes. It shares one
// Integration per integration among them, so its lag is read at most once.
type closeAccounting struct {
	r      *Resolver
	loader *loader[[]integrations.CloseDelivery]

	mu           sync.Mutex
	integrations map[string]*integrationResolver
}

func (r *Resolver) newCloseAccounting(cs ...sales.RegisterClose) *closeAccounting {
	closedAt := make(map[string]time.Time, len(cs))
	keys := make([]string, len(cs))
	for i, c := range cs {
		closedAt[c.ID], keys[i] = c.ClosedAt, c.ID
	}
	a := &closeAccounting{r: r, integrations: map[string]*integrationResolver{}}
	a.loader = newLoader(func(ctx context.Context, ids []string) (map[string][]integrations.CloseDelivery, error) {
		refs := make([]integrations.CloseRef, 0, len(ids))
		for _, id := range ids {
			refs = append(refs, integrations.CloseRef{ID: id, ClosedAt: closedAt[id]})
		}
		return r.svc.Integrations.CloseDeliveries(ctx, refs)
	})
	a.loader.expect(keys...)
	return a
}

func (a *closeAccounting) integration(in integrations.Integration) *integrationResolver {
	a.mu.Lock()
	defer a.mu.Unlock()
	ir, ok := a.integrations[in.ID]
	if !ok {
		ir = &integrationResolver{h: integrations.Health{Integration: in}, r: a.r}
		a.integrations[in.ID] = ir
	}
	return ir
}

// Accounting is, for each accounting integration (freee), the jobs that
// carry this close revision: whether it reached the integration, and how.
func (r *registerCloseResolver) Accounting(ctx context.Context) ([]*closeDeliveryResolver, error) {
	a := r.acct
	if a == nil || a.r.svc.Integrations == nil {
		return []*closeDeliveryResolver{}, nil
	}
	ds, _, err := a.loader.load(ctx, r.c.ID)
	if err != nil {
		return nil, top(ctx, err)
	}
	out := make([]*closeDeliveryResolver, len(ds))
	for i, d := range ds {
		out[i] = &closeDeliveryResolver{j: d.Job, in: a.integration(d.Integration)}
	}
	return out, nil
}

// closeDeliveryResolver is the contract-free CloseDelivery: one job of an
// accounting integration that carries a close.
type closeDeliveryResolver struct {
	j  integrations.Job
	in *integrationResolver
}

func (d *closeDeliveryResolver) Integration() *integrationResolver { return d.in }
func (d *closeDeliveryResolver) JobId() graphql.ID                 { return graphql.ID(d.j.ID) }
func (d *closeDeliveryResolver) Status() string                    { return string(d.j.Status) }
func (d *closeDeliveryResolver) Attempts() int32                   { return int32(min(d.j.Attempts, 1<<31-1)) }
func (d *closeDeliveryResolver) LastError() *string                { return strPtr(d.j.LastError) }
func (d *closeDeliveryResolver) UpdatedAt() graphql.Time           { return graphql.Time{Time: d.j.UpdatedAt} }
