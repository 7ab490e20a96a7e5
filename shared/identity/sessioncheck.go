package identity

import (
	"context"
	"sync"
	"time"
)

// Session check defaults: how long this process trusts that a session it
// read was still active, and how many sessions it remembers.
const (
	DefaultSessionCheckTTL   = 30 * time.Second
	DefaultSessionCacheSize  = 50_000
	revokedEntryLifetime     = AccessTokenTTL + time.Minute // no token of the session can be valid after this
	sessionCacheEvictPercent = 10                           // share dropped at random when full of live entries
)

// sessionCache remembers, per process, whether each session was active when
// last read, so that an access token costs one map lookup and, at most once
// per TTL per session, one strongly consistent read. A revocation is
// permanent: once a session is seen revoked (or revoked here), that answer
// is kept and never replaced by an older read.
type sessionCache struct {
	ttl time.Duration
	max int

	mu       sync.Mutex
	entries  map[string]sessionEntry
	inflight map[string]*sessionRead
}

type sessionEntry struct {
	active bool
	at     time.Time // when the answer was read (or the revocation made)
}

// sessionRead is one storage read that concurrent checks of a session share.
type sessionRead struct {
	done   chan struct{}
	active bool
	err    error
}

func newSessionCache(ttl time.Duration, size int) *sessionCache {
	if ttl <= 0 {
		ttl = DefaultSessionCheckTTL
	}
	if size <= 0 {
		size = DefaultSessionCacheSize
	}
	return &sessionCache{ttl: ttl, max: size, entries: map[string]sessionEntry{}, inflight: map[string]*sessionRead{}}
}

// active answers from the cache while the entry is fresh; otherwise it calls
// read once, however many requests ask for the session at the same time.
func (c *sessionCache) active(ctx context.Context, sid string, now time.Time, read func(context.Context) (bool, error)) (bool, error) {
	c.mu.Lock()
	if e, ok := c.entries[sid]; ok && (!e.active || now.Sub(e.at) < c.ttl) {
		c.mu.Unlock()
		return e.active, nil
	}
	r, shared := c.inflight[sid]
	if !shared {
		r = &sessionRead{done: make(chan struct{})}
		c.inflight[sid] = r
	}
	c.mu.Unlock()
	if !shared {
		// The read is shared: one caller going away, or running out of
		// its budget, must not fail the others; nor does the caller that
		// started it wait past its own deadline (each storage call of the
		// read is bounded by its own timeout).
		go func() {
			r.active, r.err = read(context.WithoutCancel(ctx))
			c.mu.Lock()
			delete(c.inflight, sid)
			if r.err == nil {
				c.store(sid, sessionEntry{active: r.active, at: now})
			}
			c.mu.Unlock()
			close(r.done)
		}()
	}
	select {
	case <-r.done:
		return r.active, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// revoked records a revocation made by this process: its effect here is
// immediate, elsewhere within the TTL.
func (c *sessionCache) revoked(sid string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(sid, sessionEntry{active: false, at: now})
}

// forget drops what is known of a session, so the next check reads it.
func (c *sessionCache) forget(sid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[sid]; ok && e.active {
		delete(c.entries, sid)
	}
}

// store keeps e unless a revocation is already known; c.mu is held.
func (c *sessionCache) store(sid string, e sessionEntry) {
	if old, ok := c.entries[sid]; ok && !old.active {
		return
	}
	if len(c.entries) >= c.max {
		c.evict(e.at)
	}
	c.entries[sid] = e
}

// evict drops stale entries, then, if the cache is still full of fresh
// ones, an arbitrary tenth of it (they are simply read again); c.mu is held.
func (c *sessionCache) evict(now time.Time) {
	for sid, e := range c.entries {
		if (e.active && now.Sub(e.at) >= c.ttl) || (!e.active && now.Sub(e.at) >= revokedEntryLifetime) {
			delete(c.entries, sid)
		}
	}
	drop := len(c.entries) - c.max*(100-sessionCacheEvictPercent)/100
	for sid := range c.entries {
		if drop <= 0 {
			break
		}
		delete(c.entries, sid)
		drop--
	}
}
