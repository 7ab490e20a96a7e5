package backoff

import (
	"context"
	"testing"
	"time"
)

func TestPolicy_DelayBounds(t *testing.T) {
	p := Policy{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond}
	for attempt := 0; attempt < 70; attempt++ {
		limit := min(p.Base<<attempt, p.Cap)
		if p.Base<<attempt <= 0 {
			limit = p.Cap
		}
		for i := 0; i < 50; i++ {
			if d := p.Delay(attempt); d <= 0 || d > limit {
				t.Fatalf("attempt %d: delay %v outside (0, %v]", attempt, d, limit)
			}
		}
	}
}

func TestPolicy_WaitStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Policy{Base: time.Hour, Cap: time.Hour}).Wait(ctx, 0); err == nil {
		t.Fatal("Wait ignored a cancelled context")
	}
}
