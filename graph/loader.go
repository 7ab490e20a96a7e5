package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/catalog"
)

// Per-request loaders: graphql-go resolves the elements of a list in
// parallel goroutines, so N variants asking for their item arrive at
// nearly the same moment. A loader collects the keys asked within
// batchWait (or until batchMax are waiting) and fetches them with one call
// (one BatchGetItem); every key is fetched at most once per request.
//
// graphql-go runs at most MaxParallelism (default 10) resolvers at once, so
// a list longer than that reaches a loader in several waves, each its own
// batch.
const (
	batchWait = time.Millisecond
	batchMax  = 100 // keys per BatchGetItem
)

// loader batches and caches lookups by string key for one request.
type loader[V any] struct {
	fetch func(ctx context.Context, keys []string) (map[string]V, error)
	wait  time.Duration

	mu    sync.Mutex
	cache map[string]*loadResult[V]
	open  *loadBatch[V] // collecting keys; nil when none is
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
	return &loader[V]{fetch: fetch, wait: batchWait, cache: map[string]*loadResult[V]{}}
}

// load returns the value for key, ok=false when the fetch did not find it.
func (l *loader[V]) load(ctx context.Context, key string) (V, bool, error) {
	l.mu.Lock()
	res, cached := l.cache[key]
	if !cached {
		res = &loadResult[V]{done: make(chan struct{})}
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
// handler before the query runs.
type loaders struct {
	items *loader[catalog.Item]
}

type loadersKey struct{}

var errNoCatalog = errors.New("catalog service not configured")

// withLoaders returns ctx with fresh loaders for one request.
func withLoaders(ctx context.Context, svc Services) context.Context {
	cat := svc.Catalog
	ls := &loaders{
		items: newLoader(func(ctx context.Context, ids []string) (map[string]catalog.Item, error) {
			if cat == nil {
				return nil, errNoCatalog
			}
			its, err := cat.GetItems(ctx, ids)
			m := make(map[string]catalog.Item, len(its))
			for _, it := range its {
				m[it.ID] = it
			}
			return m, err
		}),
	}
	return context.WithValue(ctx, loadersKey{}, ls)
}

func loadersFrom(ctx context.Context) (*loaders, error) {
	ls, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		return nil, errors.New("no loaders in the request context") // the handler always attaches them
	}
	return ls, nil
}

// loadItem reads an item of the tenant through the request's loader;
// ok=false when it does not exist.
func loadItem(ctx context.Context, id string) (catalog.Item, bool, error) {
	ls, err := loadersFrom(ctx)
	if err != nil {
		return catalog.Item{}, false, err
	}
	return ls.items.load(ctx, id)
}
