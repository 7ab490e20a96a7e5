package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// countingFetch answers every key but "missing-*" with its upper-case copy
// and records the batches it was asked for.
type countingFetch struct {
	mu      sync.Mutex
	batches [][]string
	err     error
}

func (f *countingFetch) fetch(_ context.Context, keys []string) (map[string]string, error) {
	f.mu.Lock()
	f.batches = append(f.batches, slices.Clone(keys))
	f.mu.Unlock()
	out := map[string]string{}
	for _, k := range keys {
		if len(k) < 8 || k[:8] != "missing-" {
			out[k] = "V" + k
		}
	}
	return out, f.err
}

func (f *countingFetch) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	slices.Sort(out)
	return out
}

// loadAll loads keys from concurrent goroutines, as graphql-go resolves list elements.
func loadAll(tb testing.TB, l *loader[string], keys []string) []string {
	tb.Helper()
	out := make([]string, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			v, ok, err := l.load(tb.Context(), k)
			switch {
			case err != nil:
				out[i] = "err:" + err.Error()
			case !ok:
				out[i] = "absent"
			default:
				out[i] = v
			}
		})
	}
	wg.Wait()
	return out
}

func TestLoader_Load(t *testing.T) {
	t.Run("concurrent keys share one fetch; duplicates are asked once", func(t *testing.T) {
		f := &countingFetch{}
		l := newLoader(f.fetch)
		l.wait = 20 * time.Millisecond // generous for a loaded CI machine
		got := loadAll(t, l, []string{"a", "b", "a", "missing-c", "d"})
		if want := []string{"Va", "Vb", "Va", "absent", "Vd"}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if s := f.sizes(); !slices.Equal(s, []int{4}) {
			t.Fatalf("batches %v, want one of 4 keys", f.batches)
		}
		// Cached for the rest of the request, found or not.
		loadAll(t, l, []string{"a", "missing-c"})
		if len(f.sizes()) != 1 {
			t.Fatalf("cached keys fetched again: %v", f.batches)
		}
	})
	t.Run("a full batch goes at once", func(t *testing.T) {
		f := &countingFetch{}
		l := newLoader(f.fetch)
		l.wait = time.Hour // only fullness can send the first two
		keys := make([]string, 2*batchMax)
		for i := range keys {
			keys[i] = fmt.Sprint(i)
		}
		done := make(chan []string)
		go func() { done <- loadAll(t, l, keys) }()
		select {
		case got := <-done:
			if got[0] != "V0" || got[len(got)-1] != fmt.Sprint("V", len(keys)-1) {
				t.Fatalf("got %v", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("full batches were not sent")
		}
		if s := f.sizes(); !slices.Equal(s, []int{batchMax, batchMax}) {
			t.Fatalf("batch sizes %v", s)
		}
	})
	t.Run("a fetch error reaches every asker of the batch", func(t *testing.T) {
		f := &countingFetch{err: errors.New("boom")}
		got := loadAll(t, newLoader(f.fetch), []string{"a", "b"})
		if got[0] != "err:boom" || got[1] != "err:boom" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("an asker whose context ends stops waiting", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		l := newLoader(func(context.Context, []string) (map[string]string, error) { <-block; return nil, nil })
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		if _, _, err := l.load(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

// catalogCalls is a catalog.Store that counts item reads.
type catalogCalls struct {
	catalog.Store // unused methods panic
	items         map[string]catalog.Item
	getItems      atomic.Int32
}

func (c *catalogCalls) GetItems(_ context.Context, want []string) ([]catalog.Item, error) {
	c.getItems.Add(1)
	var out []catalog.Item
	for _, id := range want {
		if it, ok := c.items[id]; ok {
			out = append(out, it)
		}
	}
	return out, nil
}

func TestVariantItem_Batched(t *testing.T) {
	now := time.Now().UTC()
	store := &catalogCalls{items: map[string]catalog.Item{}}
	var variants []catalog.Variant
	for i := range 10 { // graphql-go's default parallelism
		it := catalog.Item{ID: ids.New(catalog.ItemIDPrefix), Name: fmt.Sprint("item ", i), TaxCategory: tax.Standard, UpdatedAt: now}
		v := catalog.Variant{ID: ids.New(catalog.VariantIDPrefix), ItemID: it.ID, ItemName: it.Name, SKU: fmt.Sprint("S", i), TaxCategory: tax.Standard, UpdatedAt: now}
		it.Variants = []catalog.Variant{v}
		store.items[it.ID] = it
		variants = append(variants, v, v) // every item asked for twice
	}
	ctx := identity.WithPrincipal(t.Context(), identity.Principal{TenantID: ids.New(ids.Tenant), Role: identity.Owner})
	ctx = withLoaders(ctx, Services{Catalog: &catalog.Service{Store: store, Tenants: noTenants{}}})
	ls, _ := loadersFrom(ctx)
	ls.items.wait = 50 * time.Millisecond // the goroutines may start slowly on a loaded machine

	items := make([]*itemResolver, len(variants))
	for i, v := range variants {
		it, err := newVariantResolver(v).Item(ctx)
		if err != nil {
			t.Fatal(err)
		}
		items[i] = it
	}
	if it := items[3]; it.Name() != "item 1" || string(it.ID()) != variants[3].ItemID || it.TaxCategory() != "STANDARD" || !it.UpdatedAt().Equal(now) {
		t.Fatalf("item from the variant's copy: %+v", it.it)
	}
	if n := store.getItems.Load(); n != 0 {
		t.Fatalf("id, name, taxCategory and updatedAt cost %d reads, want 0", n)
	}
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() {
			vs, err := it.Variants(ctx)
			if err != nil || len(vs) != 1 {
				t.Errorf("variants of item %d: %v, %v", i, vs, err)
				return
			}
			if sku, err := vs[0].Sku(ctx); err != nil || sku != variants[i].SKU {
				t.Errorf("variants of item %d: %v, %v", i, vs, err)
				return
			}
			if back, _ := vs[0].Item(ctx); back.partial {
				t.Error("a variant reached through its item must point back to the full item")
			}
		})
	}
	wg.Wait()
	if n := store.getItems.Load(); n != 1 {
		t.Fatalf("item.variants on %d variants cost %d GetItems, want 1", len(variants), n)
	}
}

type noTenants struct{}

func (noTenants) GetTenant(context.Context) (tenant.Tenant, error) {
	return tenant.Tenant{}, errors.New("not used")
}

func TestLoader_Expect(t *testing.T) {
	t.Run("the first load fetches every expected key at once", func(t *testing.T) {
		f := &countingFetch{}
		l := newLoader(f.fetch)
		l.expect("a", "b", "missing-c", "b")
		if len(f.sizes()) != 0 {
			t.Fatal("expect fetched")
		}
		got := loadAll(t, l, []string{"b"})
		got = append(got, loadAll(t, l, []string{"a", "missing-c", "b"})...)
		if want := []string{"Vb", "Va", "absent", "Vb"}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if sizes := f.sizes(); !slices.Equal(sizes, []int{3}) {
			t.Fatalf("batches %v, want one of 3", sizes)
		}
	})
	t.Run("expected keys already loaded are not fetched again", func(t *testing.T) {
		f := &countingFetch{}
		l := newLoader(f.fetch)
		loadAll(t, l, []string{"a"})
		l.expect("a", "b")
		loadAll(t, l, []string{"b", "a"})
		if sizes := f.sizes(); !slices.Equal(sizes, []int{1, 1}) {
			t.Fatalf("batches %v, want [1 1]", sizes)
		}
	})
	t.Run("more than a batch is split", func(t *testing.T) {
		f := &countingFetch{}
		l := newLoader(f.fetch)
		var keys []string
		for i := range batchMax + 5 {
			keys = append(keys, fmt.Sprint("k", i))
		}
		l.expect(keys...)
		loadAll(t, l, keys)
		if sizes := f.sizes(); !slices.Equal(sizes, []int{5, batchMax}) {
			t.Fatalf("batches %v", sizes)
		}
	})
}

// TestNestedReads_Authorized resolves nested fields as callers without the
// permission they need. The services have no stores: touching one would
// panic, so passing also shows each service refused before any read.
func TestNestedReads_Authorized(t *testing.T) {
	svc := Services{Catalog: &catalog.Service{}, Sales: &sales.Service{}, Tenants: &tenant.Service{Access: identity.TenantAccess{}}}
	as := func(p identity.Principal) context.Context {
		p.TenantID = ids.New(ids.Tenant)
		return withLoaders(identity.WithPrincipal(t.Context(), p), svc)
	}
	ordersKey := as(identity.Principal{APIKeyID: "key_1", Scopes: []identity.Scope{identity.ScopeOrdersRead}})
	inventoryKey := as(identity.Principal{APIKeyID: "key_2", Scopes: []identity.Scope{identity.ScopeInventoryRead}})
	r := &Resolver{svc: svc}
	o := sales.Order{ID: "ord_1", LocationID: ids.New(ids.Location), CustomerID: ids.New(sales.CustomerIDPrefix), Lines: []sales.Line{{ID: "l1", VariantID: ids.New(catalog.VariantIDPrefix), SKU: "S"}}}
	order := r.newOrderResolvers(ordersKey, []sales.Order{o})[0]

	t.Run("an order's customer is null without customers:read", func(t *testing.T) {
		if c, err := order.Customer(ordersKey); c != nil || err != nil {
			t.Fatalf("customer %v, err %v", c, err)
		}
	})
	t.Run("an order line's variant is null without catalog:read", func(t *testing.T) {
		if v, err := order.Lines()[0].Variant(ordersKey); v != nil || err != nil {
			t.Fatalf("variant %v, err %v", v, err)
		}
	})
	t.Run("a stock level's variant shows the ledger's view, not the catalog's", func(t *testing.T) {
		vid := ids.New(catalog.VariantIDPrefix)
		levels := stockLevels(inventoryKey, inventory.Stock{
			Levels:   []inventory.StockLevel{{LocationID: o.LocationID, VariantID: vid, OnHand: 3}},
			Variants: map[string]inventory.Variant{vid: {ID: vid, SKU: "TEA", TrackStock: true}},
		})
		v := levels[0].Variant()
		if sku, err := v.Sku(inventoryKey); sku != "TEA" || err != nil {
			t.Fatalf("sku %q, %v", sku, err)
		}
		if track, err := v.TrackStock(inventoryKey); !track || err != nil {
			t.Fatalf("trackStock %v, %v", track, err)
		}
		if p, err := v.Price(inventoryKey); p != nil || codeOf(err) != "FORBIDDEN" {
			t.Fatalf("price %v, err %v", p, err)
		}
		if it, err := v.Item(inventoryKey); it != nil || codeOf(err) != "FORBIDDEN" {
			t.Fatalf("item %v, err %v", it, err)
		}
	})
}

// codeOf is the code a resolver error carries to the client.
func codeOf(err error) string {
	var te *topError
	if errors.As(err, &te) {
		return string(te.code)
	}
	return ""
}
