package identity

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// fakeRead answers a session read and counts the calls.
type fakeRead struct {
	calls  atomic.Int64
	active atomic.Bool
	err    error
	gate   chan struct{} // when set, a read waits for it
}

func (f *fakeRead) read(context.Context) (bool, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	return f.active.Load(), f.err
}

func TestSessionCache_Active(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	ttl := 30 * time.Second

	t.Run("one read per session per TTL", func(t *testing.T) {
		c := newSessionCache(ttl, 10)
		f := &fakeRead{}
		f.active.Store(true)
		for _, at := range []time.Duration{0, time.Second, ttl - time.Millisecond} {
			if ok, err := c.active(t.Context(), "s1", t0.Add(at), f.read); !ok || err != nil {
				t.Fatalf("at +%v: %v %v", at, ok, err)
			}
		}
		if f.calls.Load() != 1 {
			t.Fatalf("%d reads within the TTL, want 1", f.calls.Load())
		}
		f.active.Store(false) // revoked elsewhere
		if ok, _ := c.active(t.Context(), "s1", t0.Add(ttl), f.read); ok || f.calls.Load() != 2 {
			t.Fatalf("after the TTL: active=%v reads=%d, want a fresh read saying revoked", ok, f.calls.Load())
		}
		if ok, _ := c.active(t.Context(), "s1", t0.Add(time.Hour), f.read); ok || f.calls.Load() != 2 {
			t.Fatalf("a revocation is not final: active=%v reads=%d", ok, f.calls.Load())
		}
	})
	t.Run("a local revocation is immediate and wins over an older read", func(t *testing.T) {
		c := newSessionCache(ttl, 10)
		f := &fakeRead{gate: make(chan struct{})}
		f.active.Store(true)
		done := make(chan bool)
		go func() {
			ok, _ := c.active(context.Background(), "s2", t0, f.read)
			done <- ok
		}()
		for f.calls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		c.revoked("s2", t0.Add(time.Millisecond)) // while the read that saw it active is in flight
		close(f.gate)
		<-done
		if ok, _ := c.active(t.Context(), "s2", t0.Add(2*time.Millisecond), f.read); ok {
			t.Fatal("an in-flight read overwrote a revocation")
		}
	})
	t.Run("concurrent checks share one read", func(t *testing.T) {
		c := newSessionCache(ttl, 10)
		f := &fakeRead{gate: make(chan struct{})}
		f.active.Store(true)
		var wg sync.WaitGroup
		var actives atomic.Int64
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if ok, err := c.active(t.Context(), "s3", t0, f.read); ok && err == nil {
					actives.Add(1)
				}
			}()
		}
		for f.calls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond)
		close(f.gate)
		wg.Wait()
		if f.calls.Load() != 1 || actives.Load() != 50 {
			t.Fatalf("reads=%d actives=%d, want 1 and 50", f.calls.Load(), actives.Load())
		}
	})
	t.Run("errors are not cached", func(t *testing.T) {
		c := newSessionCache(ttl, 10)
		f := &fakeRead{err: apperr.New(apperr.Unavailable, "down")}
		if _, err := c.active(t.Context(), "s4", t0, f.read); !errors.Is(err, f.err) {
			t.Fatalf("err = %v", err)
		}
		f.err = nil
		f.active.Store(true)
		if ok, err := c.active(t.Context(), "s4", t0, f.read); !ok || err != nil || f.calls.Load() != 2 {
			t.Fatalf("after recovery: %v %v reads=%d", ok, err, f.calls.Load())
		}
	})
	t.Run("forget makes the next check read", func(t *testing.T) {
		c := newSessionCache(ttl, 10)
		f := &fakeRead{}
		f.active.Store(true)
		_, _ = c.active(t.Context(), "s5", t0, f.read)
		c.forget("s5")
		_, _ = c.active(t.Context(), "s5", t0, f.read)
		if f.calls.Load() != 2 {
			t.Fatalf("reads = %d, want 2", f.calls.Load())
		}
	})
	t.Run("bounded size", func(t *testing.T) {
		c := newSessionCache(ttl, 100)
		f := &fakeRead{}
		f.active.Store(true)
		for i := 0; i < 1000; i++ {
			_, _ = c.active(t.Context(), string(rune('a'+i%26))+time.Duration(i).String(), t0, f.read)
		}
		if n := len(c.entries); n > 100 {
			t.Fatalf("%d entries, bound 100", n)
		}
	})
}
