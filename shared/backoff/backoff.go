// Package backoff waits between retries of contended work: full-jitter
// exponential delays, cut short when the request's context ends. Storage
// conflicts and stale-version retries share it.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is a base delay doubled per attempt, capped.
type Policy struct {
	Base, Cap time.Duration
}

// Delay returns a random delay in (0, min(Base·2^attempt, Cap)].
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Base << attempt
	if d > p.Cap || d <= 0 {
		d = p.Cap
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// Wait sleeps for the attempt's delay, or returns ctx's error if it ends first.
func (p Policy) Wait(ctx context.Context, attempt int) error {
	t := time.NewTimer(p.Delay(attempt))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
