package quota

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/time/rate"
)

// Config sets a tenant's limit and how the limiter leases it.
type Config struct {
	// Client and Table hold the quota items (the single table).
	Client *dynamodb.Client
	Table  string
	// Rate is each tenant's requests per second and Burst what it may
	// send at once, platform-wide.
	Rate  float64
	Burst int
	// MaxChunk bounds the tokens one lease takes (default Rate/10, at
	// least 1). A chunk starts at 1 and doubles while leases are used up
	// within half a LeaseTTL, halves when one expires unused: an instance
	// seeing little of a tenant strands little of its limit.
	MaxChunk int
	// LeaseTTL is how long leased tokens stay usable (default 1 s): a
	// lease cannot be saved up and spent later.
	LeaseTTL time.Duration
	// CallTimeout bounds one lease (default 250 ms). A lease that fails or
	// times out puts the tenant on the fallback limit for Cooldown
	// (default 2 s) before the table is tried again.
	CallTimeout, Cooldown time.Duration
	// FallbackRate and FallbackBurst limit a tenant per instance while the
	// table cannot be reached (defaults Rate and Burst: the limit then holds
	// per instance, as it did before this package — fail open, bounded).
	FallbackRate  float64
	FallbackBurst int
	Logger        *slog.Logger
	Now           func() time.Time
}

// Limiter admits a tenant's requests against its platform-wide limit.
type Limiter struct {
	cfg     Config
	table   *table
	mu      sync.Mutex
	tenants map[string]*tenantState
	swept   time.Time
	stats   counters
}

// tenantState is one instance's view of a tenant's bucket. Its mutex is
// held across a lease, so one instance leases one chunk at a time per
// tenant and concurrent requests share it.
type tenantState struct {
	mu       sync.Mutex
	tokens   int       // leased, not yet spent
	expires  time.Time // when unspent tokens are dropped
	leasedAt time.Time
	chunk    int
	tat      int64     // the shared bucket's tat when last seen
	empty    time.Time // the shared bucket has no token before this
	failOpen time.Time // the table failed: use fallback until this
	fallback *rate.Limiter
	seen     time.Time
}

type counters struct {
	requests, admitted, calls, leases, fallback atomic.Int64
}

// Stats are a limiter's counts since it started.
type Stats struct {
	// Requests asked, Admitted answered yes; Calls are storage calls made
	// (Calls/Requests is the limiter's storage cost per request), Leases
	// the leases tried (granted or not); Fallback requests were decided by
	// the local limit.
	Requests, Admitted, Calls, Leases, Fallback int64
}

// idle is how long a tenant's state is kept without a request.
const idle = 10 * time.Minute

// New returns a limiter of cfg.
func New(cfg Config) *Limiter {
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	if cfg.MaxChunk < 1 {
		cfg.MaxChunk = max(1, int(cfg.Rate/10))
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 250 * time.Millisecond
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = 2 * time.Second
	}
	if cfg.FallbackRate <= 0 {
		cfg.FallbackRate = cfg.Rate
	}
	if cfg.FallbackBurst < 1 {
		cfg.FallbackBurst = cfg.Burst
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	interval := int64(math.Max(1, math.Round(float64(time.Second)/cfg.Rate)))
	return &Limiter{cfg: cfg,
		table:   &table{client: cfg.Client, name: cfg.Table, interval: interval, tolerance: int64(cfg.Burst) * interval},
		tenants: map[string]*tenantState{}, swept: cfg.Now()}
}

// Allow takes one token of tenantID's limit, reporting whether there was
// one. Most calls spend a token already leased; one in a chunk leases more
// (one storage call, two when the bucket was idle); while the shared bucket
// is known to be empty, refusals cost no storage call.
func (l *Limiter) Allow(ctx context.Context, tenantID string) bool {
	l.stats.requests.Add(1)
	s := l.state(tenantID, l.cfg.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	// The time once this tenant's lease in flight (if any) is done.
	ok := l.allow(ctx, tenantID, s, l.cfg.Now())
	if ok {
		l.stats.admitted.Add(1)
	}
	return ok
}

func (l *Limiter) allow(ctx context.Context, tenantID string, s *tenantState, now time.Time) bool {
	if now.Before(s.failOpen) {
		l.stats.fallback.Add(1)
		return s.fallback.AllowN(now, 1)
	}
	if s.tokens > 0 && now.Before(s.expires) {
		s.tokens--
		return true
	}
	switch {
	case s.tokens > 0: // expired unspent: lease less
		s.tokens, s.chunk = 0, max(1, s.chunk/2)
	case !s.leasedAt.IsZero() && now.Sub(s.leasedAt) < l.cfg.LeaseTTL/2: // spent fast: lease more
		s.chunk = min(l.cfg.MaxChunk, s.chunk*2)
	}
	if now.Before(s.empty) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.CallTimeout)
	defer cancel()
	calls := 0
	g, err := l.table.take(ctx, tenantID, s.chunk, now, s.tat, &calls)
	l.stats.calls.Add(int64(calls))
	l.stats.leases.Add(1)
	if err != nil {
		// Fail open, bounded: the table's trouble must not refuse every
		// request, nor let a tenant through unlimited.
		s.failOpen = now.Add(l.cfg.Cooldown)
		l.cfg.Logger.Warn("tenant quota unavailable; limiting per instance", slog.String("tenantId", tenantID),
			slog.Duration("for", l.cfg.Cooldown), slog.String("error", err.Error()))
		l.stats.fallback.Add(1)
		return s.fallback.AllowN(now, 1)
	}
	s.tat = g.tat
	if g.got == 0 {
		// Come back when a chunk is due (tat back within the tolerance by
		// chunk intervals), not at every token: instances racing for each
		// single token would each pay a call per admitted request. The
		// jitter keeps instances from waking together.
		due := int64(s.chunk) * l.table.interval
		s.empty = time.Unix(0, g.tat-l.table.tolerance+due+rand.Int64N(due+1))
		return false
	}
	s.tokens, s.expires, s.leasedAt = g.got-1, now.Add(l.cfg.LeaseTTL), now
	return true
}

func (l *Limiter) state(tenantID string, now time.Time) *tenantState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idle {
		for id, s := range l.tenants {
			if s.mu.TryLock() {
				if now.Sub(s.seen) > idle {
					delete(l.tenants, id)
				}
				s.mu.Unlock()
			}
		}
		l.swept = now
	}
	s, ok := l.tenants[tenantID]
	if !ok {
		s = &tenantState{chunk: 1, fallback: rate.NewLimiter(rate.Limit(l.cfg.FallbackRate), l.cfg.FallbackBurst)}
		l.tenants[tenantID] = s
	}
	s.seen = now
	return s
}

// Stats returns the limiter's counts so far.
func (l *Limiter) Stats() Stats {
	return Stats{Requests: l.stats.requests.Load(), Admitted: l.stats.admitted.Load(), Calls: l.stats.calls.Load(),
		Leases: l.stats.leases.Load(), Fallback: l.stats.fallback.Load()}
}
