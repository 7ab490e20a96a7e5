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
	if err := (Policy{Base: time.Hour, Cap: time.Hour}).Wait(ctx, 0); err == nil || apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("Wait with a cancelled context = %v, want UNAVAILABLE", err)
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
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errBusy) || apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("err = %v (code %q), want UNAVAILABLE with both causes", err, apperr.CodeOf(err))
		}
	})
	t.Run("a retry that cannot fit the budget is not started", func(t *testing.T) {
		// No delay plus MinAttempt fits a budget of MinAttempt: the loop
		// must stop after the first try, at once, instead of sleeping to
		// the deadline.
		ctx, cancel := context.WithTimeout(t.Context(), MinAttempt)
		defer cancel()
		slow := Policy{Base: time.Millisecond, Cap: time.Millisecond, Attempts: 10}
		tries := 0
		err := slow.Retry(ctx, func(int) (bool, error) { tries++; return true, errBusy })
		if tries != 1 || apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, errBusy) {
			t.Fatalf("tries %d, err %v (code %q)", tries, err, apperr.CodeOf(err))
		}
	})
	t.Run("no deadline: the attempts bound the loop", func(t *testing.T) {
		tries := 0
		err := p.Retry(context.Background(), func(int) (bool, error) { tries++; return true, errBusy })
		if tries != p.Attempts || apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("tries %d, err %v", tries, err)
		}
	})
}

func TestPolicy_WaitRefusesWhatCannotFit(t *testing.T) {
	// MinAttempt must be left after the delay: a budget shorter than it
	// refuses even the shortest wait.
	ctx, cancel := context.WithTimeout(t.Context(), MinAttempt/2)
	defer cancel()
	err := (Policy{Base: time.Microsecond, Cap: time.Microsecond}).Wait(ctx, 0)
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	ctx2, cancel2 := context.WithTimeout(t.Context(), time.Minute)
	defer cancel2()
	if err := (Policy{Base: time.Microsecond, Cap: time.Microsecond}).Wait(ctx2, 0); err != nil {
		t.Fatalf("a wait that fits: %v", err)
	}
}
