package deadline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestRemainingAndFits(t *testing.T) {
	if _, ok := Remaining(context.Background()); ok {
		t.Fatal("a context without a deadline has a remaining budget")
	}
	if !Fits(context.Background(), time.Hour) {
		t.Fatal("without a deadline everything fits")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	left, ok := Remaining(ctx)
	if !ok || left <= 0 || left > time.Minute {
		t.Fatalf("remaining %v %v", left, ok)
	}
	if !Fits(ctx, time.Second) || Fits(ctx, time.Hour) {
		t.Fatal("Fits disagrees with the budget")
	}
	cancel()
	if Fits(ctx, 0) {
		t.Fatal("an ended context fits nothing")
	}
}

func TestCallShrinksToTheBudget(t *testing.T) {
	parent, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	ctx, ccancel := Call(parent, 5*time.Second)
	defer ccancel()
	left, _ := Remaining(ctx)
	if left > time.Second {
		t.Fatalf("a call's timeout (%v) outlives the request's budget", left)
	}
	free, fcancel := Call(t.Context(), 5*time.Second)
	defer fcancel()
	if left, ok := Remaining(free); !ok || left > 5*time.Second || left < 4*time.Second {
		t.Fatalf("without a budget a call gets its own timeout, got %v", left)
	}
	short, scancel := context.WithTimeout(t.Context(), MinCall/2)
	defer scancel()
	none, ncancel := Call(short, 5*time.Second)
	defer ncancel()
	if none.Err() == nil {
		t.Fatal("a call with less than MinCall left was allowed to start")
	}
}

func TestReserveAndDetach(t *testing.T) {
	parent, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pdl, _ := parent.Deadline()
	r, rcancel := Reserve(parent, time.Second)
	defer rcancel()
	if dl, _ := r.Deadline(); !dl.Equal(pdl.Add(-time.Second)) {
		t.Fatalf("Reserve: %v, want %v", dl, pdl.Add(-time.Second))
	}
	d, dcancel := Detach(parent)
	defer dcancel()
	if dl, _ := d.Deadline(); !dl.Equal(pdl.Add(Grace)) {
		t.Fatalf("Detach: %v, want %v", dl, pdl.Add(Grace))
	}
	cancel()
	if d.Err() != nil {
		t.Fatal("a detached context ended with its parent")
	}
	if r.Err() == nil {
		t.Fatal("a reserved context outlived its parent")
	}
	nd, ndcancel := Detach(t.Context())
	defer ndcancel()
	if _, ok := nd.Deadline(); ok {
		t.Fatal("Detach invented a deadline")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestExceededAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("operation TransactWriteItems: %w", context.DeadlineExceeded), true},
		{context.Canceled, true},
		{fmt.Errorf("send: %w", timeoutErr{}), true},
	} {
		if got := Exceeded(tc.err); got != tc.want {
			t.Errorf("Exceeded(%v) = %v", tc.err, got)
		}
		u := Unavailable(tc.err)
		if tc.want && (apperr.CodeOf(u) != apperr.Unavailable || !errors.Is(u, tc.err)) {
			t.Errorf("Unavailable(%v) = %v", tc.err, u)
		}
		if !tc.want && u != tc.err {
			t.Errorf("Unavailable changed %v", tc.err)
		}
	}
	coded := apperr.Wrap(context.DeadlineExceeded, apperr.Conflict, "x")
	if Unavailable(coded) != error(coded) {
		t.Fatal("Unavailable overrode a code")
	}
	if err := OutOfTime(nil); apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("OutOfTime(nil) = %v", err)
	}
}
