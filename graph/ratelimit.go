package graph

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultTenantRate is a tenant's requests per second when the
// configuration sets none (its burst: twice that).
const DefaultTenantRate = 50

// TenantLimiter admits or refuses one request of an authenticated tenant,
// before anything of the request runs (shared/quota: platform-wide).
type TenantLimiter interface {
	Allow(ctx context.Context, tenantID string) bool
}

// perProcess is the tenant limit counted in this process alone: each
// instance admits the whole rate, so a tenant served by N instances gets up
// to N times it (the default without a TenantLimiter, and tests').
type perProcess struct{ k *keyedLimiter }

func (p perProcess) Allow(_ context.Context, tenantID string) bool { return p.k.allow(tenantID) }

// keyedLimiter is a token bucket per key (tenant id or client address),
// forgetting keys idle for a while so memory stays bounded. It limits per
// process: the per-address limit of unauthenticated requests stays so (an
// address's budget is small and a caller spread over instances gains at
// most the instance count), with the API Gateway stage throttle as the
// account-wide backstop.
type keyedLimiter struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const limiterIdle = 10 * time.Minute

func newKeyedLimiter(perSecond float64, burst int) *keyedLimiter {
	return &keyedLimiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}, swept: time.Now()}
}

// allow takes one token from key's bucket, reporting whether there was one.
func (k *keyedLimiter) allow(key string) bool {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bucket(key, now).lim.AllowN(now, 1)
}

// exhausted reports whether key's bucket is empty, taking nothing.
func (k *keyedLimiter) exhausted(key string) bool {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bucket(key, now).lim.TokensAt(now) < 1
}

func (k *keyedLimiter) bucket(key string, now time.Time) *bucket {
	if now.Sub(k.swept) > limiterIdle {
		for key, b := range k.buckets {
			if now.Sub(b.seen) > limiterIdle {
				delete(k.buckets, key)
			}
		}
		k.swept = now
	}
	b, ok := k.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(k.rate, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b
}
