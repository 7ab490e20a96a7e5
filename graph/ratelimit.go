package graph

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyedLimiter is a token bucket per key (tenant id or client address),
// forgetting keys idle for a while so memory stays bounded. It limits per
// process: behind API Gateway the stage throttle is the global backstop.
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
