package tenantcreds

import (
	"context"
	"testing"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// BenchmarkRetrieve is the provider's cost per DynamoDB call (make
// bench-tenantcreds; figures in docs/benchmarks.md): hit is a cached
// tenant's session (every call but the first per tenant per ~55 min);
// cold is a first call for a tenant against the in-process STS fake (the
// real AssumeRole adds its network round trip); parallel is hits from all
// cores at once (the lock's contention); platform is a call without a tenant.
func BenchmarkRetrieve(b *testing.B) {
	c := newClock()
	ts := tenants(20)
	b.Run("hit", func(b *testing.B) {
		p := newProvider(b, newFakeSTS(c.now), c, 0)
		ctx := tenant.WithID(context.Background(), ts[0])
		if _, err := p.Retrieve(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Retrieve(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit-parallel-20-tenants", func(b *testing.B) {
		p := newProvider(b, newFakeSTS(c.now), c, 0)
		ctxs := make([]context.Context, len(ts))
		for i, tid := range ts {
			ctxs[i] = tenant.WithID(context.Background(), tid)
			if _, err := p.Retrieve(ctxs[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := p.Retrieve(ctxs[i%len(ctxs)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("cold-fake-sts", func(b *testing.B) {
		f := newFakeSTS(c.now)
		p := newProvider(b, f, c, 1) // every other tenant evicts the last: each call assumes
		ctxs := []context.Context{tenant.WithID(context.Background(), ts[0]), tenant.WithID(context.Background(), ts[1])}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := p.Retrieve(ctxs[i%2]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("platform", func(b *testing.B) {
		p := newProvider(b, newFakeSTS(c.now), c, 0)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Retrieve(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
