package backoff

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
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

func TestPolicy_Retry(t *testing.T) {
	p := Policy{Base: time.Microsecond, Cap: time.Microsecond, Attempts: 4}
	errBusy := errors.New("busy")
	tests := []struct {
		name      string
		failFirst int // tries that ask for a retry
		final     error
		wantCode  apperr.Code
		wantTries int
	}{
		{"succeeds at once", 0, nil, "", 1},
		{"succeeds after retries", 3, nil, "", 4},
		{"a final error is returned as is", 1, apperr.New(apperr.OutOfStock, "short"), apperr.OutOfStock, 2},
		{"spent attempts are UNAVAILABLE", 100, nil, apperr.Unavailable, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			err := p.Retry(t.Context(), func(attempt int) (bool, error) {
				if attempt != tries {
					t.Fatalf("attempt %d on try %d", attempt, tries)
				}
				tries++
				if tries <= tc.failFirst {
					return true, errBusy
				}
				return false, tc.final
			})
			if apperr.CodeOf(err) != tc.wantCode || tries != tc.wantTries {
				t.Fatalf("err %v (code %q), tries %d; want code %q after %d", err, apperr.CodeOf(err), tries, tc.wantCode, tc.wantTries)
			}
			if tc.wantCode == apperr.Unavailable && !errors.Is(err, errBusy) {
				t.Fatalf("the last cause is lost: %v", err)
			}
		})
	}
	t.Run("a context that ends stops the waits", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		slow := Policy{Base: time.Hour, Cap: time.Hour, Attempts: 3}
		err := slow.Retry(ctx, func(int) (bool, error) { return true, errBusy })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}
