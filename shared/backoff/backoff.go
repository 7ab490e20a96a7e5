// Package backoff is renkei's one retry policy: bounded attempts with
// full-jitter exponential delays, cut short when the request's context ends.
// Every retry loop over storage uses it — transaction conflicts and
// throttling, unprocessed batch keys, stock levels or an order counter that
// moved, optimistic version checks — and every loop that runs out of
// attempts ends the same way: UNAVAILABLE, which clients retry with the same
// idempotency key. So does a loop whose next attempt cannot fit the
// request's remaining budget (shared/deadline): it stops at once rather
// than sleeping into the deadline.
package backoff

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
)

// Policy is a base delay doubled per attempt, capped, for at most Attempts
// tries in all.
type Policy struct {
	Base, Cap time.Duration
	Attempts  int // tries including the first; < 1 means 1
}

// Contention is the policy of every storage retry loop. Ten tries whose
// waits average half of 10, 20, 40, … ms capped at 250 ms give up after
// about a second and a half at worst, well inside an API request.
var Contention = Policy{Base: 10 * time.Millisecond, Cap: 250 * time.Millisecond, Attempts: 10}

// Delay returns a random delay in (0, min(Base·2^attempt, Cap)].
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Base << attempt
	if d > p.Cap || d <= 0 {
		d = p.Cap
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// MinAttempt is the least time left, after a retry's delay, for the retry
// to be worth starting: a storage call that answers in milliseconds when
// healthy. A loop with less left stops (UNAVAILABLE).
const MinAttempt = 100 * time.Millisecond

// Wait sleeps for the attempt's delay and returns nil, or returns an
// UNAVAILABLE error (wrapping ctx's error, if any) without sleeping when
// the delay plus MinAttempt does not fit ctx's remaining budget, or as soon
// as ctx ends during the sleep.
func (p Policy) Wait(ctx context.Context, attempt int) error {
	d := p.Delay(attempt)
	if !deadline.Fits(ctx, d+MinAttempt) {
		return deadline.OutOfTime(ctx.Err())
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return deadline.OutOfTime(ctx.Err())
	case <-t.C:
		return nil
	}
}

// Busy is the message of the error a loop that ran out of attempts returns.
const Busy = "the store is busy; retry the request with the same idempotency key"

// Retry calls try(attempt) for attempt = 0, 1, … until it reports that
// there is nothing to retry (then its error, nil or not, is returned), the
// attempts are spent (then UNAVAILABLE wrapping the last error), or the
// next attempt cannot fit ctx's budget or ctx ends during a wait (then
// UNAVAILABLE wrapping the last error and ctx's).
func (p Policy) Retry(ctx context.Context, try func(attempt int) (retry bool, err error)) error {
	for attempt := 0; ; attempt++ {
		retry, err := try(attempt)
		if !retry {
			return err
		}
		if attempt+1 >= p.Attempts {
			return apperr.Wrap(err, apperr.Unavailable, Busy)
		}
		if werr := p.Wait(ctx, attempt); werr != nil {
			return deadline.OutOfTime(errors.Join(err, werr))
		}
	}
}
