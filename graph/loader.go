package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Per-request loaders: graphql-go resolves the elements of a list in
// parallel goroutines, so N variants asking for their item arrive at
// nearly the same moment. A loader collects the keys asked within
// batchWait (or until batchMax are waiting) and fetches them with one call
// (one BatchGetItem); every key is fetched at most once per request.
//
// graphql-go runs at most MaxParallelism (default 10) resolvers at once, so
// a list longer than that reaches a loader in several waves, each its own
// batch, unless the list announced its keys first (loader.expect): then the
// first wave fetches them all.
const (
	batchWait = time.Millisecond
	batchMax  = 100 // keys per BatchGetItem
)

// loader batches and caches lookups by string key for one request.
type loader[V any] struct {
	fetch func(ctx context.Context, keys []string) (map[string]V, error)
	wait  time.Duration

	mu       sync.Mutex
	cache    map[string]*loadResult[V]
	open     *loadBatch[V]       // collecting keys; nil when none is
	expected map[string]struct{} // announced by expect, not asked yet
}

type loadResult[V any] struct {
	done chan struct{} // closed when val, ok and err are set
	val  V
	ok   bool
	err  error
}

type loadBatch[V any] struct {
	keys    []string
	results []*loadResult[V]
	full    chan struct{}
}

func newLoader[V any](fetch func(ctx context.Context, keys []string) (map[string]V, error)) *loader[V] {
	return &loader[V]{fetch: fetch, wait: batchWait, cache: map[string]*loadResult[V]{}, expected: map[string]struct{}{}}
}

// expect announces keys a response is about to ask for: the first load that
// opens a batch takes them all into it. A page of orders reaches its
// customers' loader in waves of graphql-go's MaxParallelism resolvers; with
// the page's keys expected, the first wave fetches them all and the page
// costs one fetch per loader. Nothing is fetched unless some key is asked.
func (l *loader[V]) expect(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if _, cached := l.cache[k]; !cached {
			l.expected[k] = struct{}{}
		}
	}
}

// load returns the value for key, ok=false when the fetch did not find it.
func (l *loader[V]) load(ctx context.Context, key string) (V, bool, error) {
	l.mu.Lock()
	res, cached := l.cache[key]
	if !cached {
		res = l.enqueue(ctx, key)
		for k := range l.expected {
			if _, ok := l.cache[k]; !ok {
				l.enqueue(ctx, k)
			}
		}
		clear(l.expected)
	}
	l.mu.Unlock()
	select {
	case <-res.done:
		return res.val, res.ok, res.err
	case <-ctx.Done():
		var zero V
		return zero, false, ctx.Err()
	}
}

// enqueue adds key to the open batch (opening one if none is) and caches its
// pending result. l.mu is held.
func (l *loader[V]) enqueue(ctx context.Context, key string) *loadResult[V] {
	res := &loadResult[V]{done: make(chan struct{})}
	l.cache[key] = res
	b := l.open
	if b == nil {
		b = &loadBatch[V]{full: make(chan struct{})}
		l.open = b
		go l.dispatch(ctx, b)
	}
	b.keys, b.results = append(b.keys, key), append(b.results, res)
	if len(b.keys) == batchMax {
		l.open = nil
		close(b.full)
	}
	return res
}

// dispatch waits for the batch to fill or its time to pass, then fetches
// it. ctx is the first asker's: all askers share the request's context.
func (l *loader[V]) dispatch(ctx context.Context, b *loadBatch[V]) {
	t := time.NewTimer(l.wait)
	select {
	case <-t.C:
	case <-b.full:
		t.Stop()
	}
	l.mu.Lock()
	if l.open == b {
		l.open = nil
	}
	l.mu.Unlock() // b is closed to new keys now
	vals, err := l.fetch(ctx, b.keys)
	for i, k := range b.keys {
		r := b.results[i]
		r.val, r.ok = vals[k]
		r.err = err
		close(r.done)
	}
}

// loaders are the per-request loaders, attached to the context by the
// handler before the query runs. Each fetches through a service method that
// checks the caller's permission, so a nested field costs the same check as
// the root field that reads the same data (see docs/api.md, Read
// authorization).
type loaders struct {
	items     *loader[catalog.Item]
	variants  *loader[catalog.Variant]
	locations *loader[tenant.Location]
	customers *loader[sales.Customer]
	staff     *loader[identity.User]
	registers *loader[tenant.Register]
	tenant    *loader[tenant.Tenant] // one key, ""
}

type loadersKey struct{}

var errNotConfigured = errors.New("service not configured")

// byID fetches keys with a service's batch read and indexes the answer.
func byID[V any](read func(ctx context.Context, ids []string) ([]V, error), id func(V) string) func(context.Context, []string) (map[string]V, error) {
	return func(ctx context.Context, ids []string) (map[string]V, error) {
		if read == nil {
			return nil, errNotConfigured
		}
		vs, err := read(ctx, ids)
		m := make(map[string]V, len(vs))
		for _, v := range vs {
			m[id(v)] = v
		}
		return m, err
	}
}

// withLoaders returns ctx with fresh loaders for one request.
func withLoaders(ctx context.Context, svc Services) context.Context {
	ls := &loaders{}
	var getItems func(context.Context, []string) ([]catalog.Item, error)
	var getVariants func(context.Context, []string) ([]catalog.Variant, error)
	if svc.Catalog != nil {
		getItems, getVariants = svc.Catalog.GetItems, svc.Catalog.GetVariants
	}
	var getLocations func(context.Context, []string) ([]tenant.Location, error)
	var getRegisters func(context.Context, []string) ([]tenant.Register, error)
	getTenant := func(context.Context, []string) ([]tenant.Tenant, error) { return nil, errNotConfigured }
	if svc.Tenants != nil {
		getLocations, getRegisters = svc.Tenants.GetLocations, svc.Tenants.GetRegisters
		getTenant = func(ctx context.Context, _ []string) ([]tenant.Tenant, error) {
			t, err := svc.Tenants.Get(ctx)
			if err != nil {
				return nil, err
			}
			return []tenant.Tenant{t}, nil
		}
	}
	var getCustomers func(context.Context, []string) ([]sales.Customer, error)
	if svc.Sales != nil {
		getCustomers = svc.Sales.GetCustomers
	}
	var getStaff func(context.Context, []string) ([]identity.User, error)
	if svc.Identity != nil {
		getStaff = svc.Identity.GetStaff
	}
	ls.items = newLoader(byID(getItems, func(it catalog.Item) string { return it.ID }))
	ls.variants = newLoader(byID(getVariants, func(v catalog.Variant) string { return v.ID }))
	ls.locations = newLoader(byID(getLocations, func(l tenant.Location) string { return l.ID }))
	ls.customers = newLoader(byID(getCustomers, func(c sales.Customer) string { return c.ID }))
	ls.staff = newLoader(byID(getStaff, func(u identity.User) string { return u.ID }))
	ls.registers = newLoader(byID(getRegisters, func(r tenant.Register) string { return r.ID }))
	ls.tenant = newLoader(byID(getTenant, func(tenant.Tenant) string { return "" }))
	return context.WithValue(ctx, loadersKey{}, ls)
}

func loadersFrom(ctx context.Context) (*loaders, error) {
	ls, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		return nil, errors.New("no loaders in the request context") // the handler always attaches them
	}
	return ls, nil
}

// load reads one value through the request's loader pick chose; ok=false
// when it does not exist (or is not visible to the caller).
func load[V any](ctx context.Context, pick func(*loaders) *loader[V], key string) (V, bool, error) {
	ls, err := loadersFrom(ctx)
	if err != nil {
		var zero V
		return zero, false, err
	}
	return pick(ls).load(ctx, key)
}

// loadItem reads an item of the tenant through the request's loader;
// ok=false when it does not exist.
func loadItem(ctx context.Context, id string) (catalog.Item, bool, error) {
	return load(ctx, func(ls *loaders) *loader[catalog.Item] { return ls.items }, id)
}

func loadVariant(ctx context.Context, id string) (catalog.Variant, bool, error) {
	return load(ctx, func(ls *loaders) *loader[catalog.Variant] { return ls.variants }, id)
}

func loadLocation(ctx context.Context, id string) (tenant.Location, bool, error) {
	return load(ctx, func(ls *loaders) *loader[tenant.Location] { return ls.locations }, id)
}

func loadCustomer(ctx context.Context, id string) (sales.Customer, bool, error) {
	return load(ctx, func(ls *loaders) *loader[sales.Customer] { return ls.customers }, id)
}

func loadStaff(ctx context.Context, id string) (identity.User, bool, error) {
	return load(ctx, func(ls *loaders) *loader[identity.User] { return ls.staff }, id)
}

func loadRegister(ctx context.Context, id string) (tenant.Register, bool, error) {
	return load(ctx, func(ls *loaders) *loader[tenant.Register] { return ls.registers }, id)
}

// loadRegisters reads registers by id through the request's loader, in one
// batch with whatever else is asked meanwhile; those the caller may not see
// (or that do not exist) are left out.
func loadRegisters(ctx context.Context, ids []string) ([]tenant.Register, error) {
	ls, err := loadersFrom(ctx)
	if err != nil || len(ids) == 0 {
		return []tenant.Register{}, err
	}
	ls.registers.expect(ids...)
	out := make([]tenant.Register, 0, len(ids))
	for _, id := range ids {
		reg, ok, err := ls.registers.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, reg)
		}
	}
	return out, nil
}

func loadTenant(ctx context.Context) (tenant.Tenant, error) {
	t, ok, err := load(ctx, func(ls *loaders) *loader[tenant.Tenant] { return ls.tenant }, "")
	if err == nil && !ok {
		err = errors.New("the tenant of the request does not exist")
	}
	return t, err
}

// expectOrders announces what a page of orders refers to, so each loader
// reads it in one fetch when the first order asks (see loader.expect).
func expectOrders(ctx context.Context, orders []sales.Order) {
	ls, err := loadersFrom(ctx)
	if err != nil || len(orders) == 0 {
		return
	}
	for _, o := range orders {
		ls.locations.expect(o.LocationID)
		if o.CustomerID != "" {
			ls.customers.expect(o.CustomerID)
		}
		if o.StaffID != "" {
			ls.staff.expect(o.StaffID)
		}
		if o.RegisterID != "" {
			ls.registers.expect(o.RegisterID)
		}
		for _, l := range o.Lines {
			ls.variants.expect(l.VariantID)
		}
	}
	ls.tenant.expect("")
}

// expectVariants announces the variants of stock levels (see loader.expect).
func expectVariants(ctx context.Context, ids []string) {
	if ls, err := loadersFrom(ctx); err == nil {
		ls.variants.expect(ids...)
	}
}
