package identity

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The request that starts a shared session read stops waiting when its own
// deadline comes; the read still completes and serves the next request.
func TestSessionCache_StarterKeepsItsDeadline(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	c := newSessionCache(30*time.Second, 10)
	f := &fakeRead{gate: make(chan struct{})}
	f.active.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.active(ctx, "s1", t0, f.read); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the starter waited past its deadline: err = %v", err)
	}
	close(f.gate) // storage answers at last
	ok, err := c.active(t.Context(), "s1", t0.Add(time.Second), f.read)
	if !ok || err != nil {
		t.Fatalf("after the read: %v %v", ok, err)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d reads, want the one shared read", n)
	}
}
