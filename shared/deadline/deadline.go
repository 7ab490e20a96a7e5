// Package deadline is the request budget: every API request ends by a
// deadline below the function's timeout, and every storage call, retry loop
// and card-processor call on its path spends from what is left. When too
// little is left for another attempt the loop stops at once and the request
// answers UNAVAILABLE — retryable with the same idempotency key, because
// every write on the request path is one idempotent transaction — instead of
// running into the function timeout (a gateway 5xx the client cannot tell
// from a lost request).
package deadline

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

const (
	// Request is every API request's budget (graph.Handler sets it, in the
	// Lambda and in the local server alike): the api function's timeout is
	// 25 s and its main ends the context 2 s before the invocation's own
	// deadline, so 20 s leaves 3 s to answer.
	Request = 20 * time.Second
	// Grace is how long a completion that must not be cut short — settling
	// a card sale the processor already charged, cancelling the intent of
	// a sale that was not saved — may outlive the request's deadline
	// (Detach). It is below the Lambda's 2 s headroom.
	Grace = time.Second
	// MinCall is the least time worth starting a storage call with: with
	// less left, the call is not sent at all.
	MinCall = 50 * time.Millisecond
)

// Message is what a client is told when the budget ran out.
const Message = "the request ran out of time; retry it with the same idempotency key"

// Remaining returns the time left before ctx's deadline (≤ 0 once it has
// passed) and whether ctx has a deadline at all.
func Remaining(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Until(dl), true
}

// Fits reports whether d still fits before ctx's deadline (always true
// without one) and ctx has not ended.
func Fits(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	left, ok := Remaining(ctx)
	return !ok || left >= d
}

// Within returns ctx bounded to budget from now (or ctx's own deadline if
// that is sooner): the request budget.
func Within(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, budget)
}

// Call returns the context of one call: at most max, shrunk to what is left
// of ctx's budget; when less than MinCall is left it has already ended, so
// the call fails at once (as UNAVAILABLE: see Exceeded) without being sent.
func Call(ctx context.Context, max time.Duration) (context.Context, context.CancelFunc) {
	if !Fits(ctx, MinCall) {
		return context.WithDeadline(ctx, time.Now())
	}
	return context.WithTimeout(ctx, max)
}

// Reserve returns ctx ending d before ctx's deadline (unchanged without
// one): for a client whose own retries sleep without watching the context
// (stripe-go sleeps up to 1 s between its network retries), so that its
// last sleep still ends inside the budget.
func Reserve(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-d))
}

// Detach returns a context that outlives ctx's cancellation (the client
// hanging up, the budget ending) but not by more than Grace past ctx's
// deadline: for completions that keep state consistent once something
// outside renkei has acted. Without a deadline on ctx it has none either
// (each storage call is still bounded).
func Detach(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(base)
	}
	return context.WithDeadline(base, dl.Add(Grace))
}

// Exceeded reports whether err is a deadline or cancellation — the
// budget's or a call's — or a network timeout: the work may or may not
// have happened, and the same idempotency key settles which.
func Exceeded(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Unavailable returns err as UNAVAILABLE (keeping it as the cause) when
// Exceeded(err) and it does not carry a code already; else err unchanged.
func Unavailable(err error) error {
	if !Exceeded(err) {
		return err
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apperr.Wrap(err, apperr.Unavailable, Message)
}

// OutOfTime is UNAVAILABLE for a loop that stops because its next attempt
// cannot fit the budget; cause (the last attempt's error) is kept for logs.
func OutOfTime(cause error) error {
	if cause == nil {
		cause = context.DeadlineExceeded
	}
	return apperr.Wrap(cause, apperr.Unavailable, Message)
}
