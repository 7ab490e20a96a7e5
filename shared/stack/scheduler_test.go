package stack

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunJobs(t *testing.T) {
	t.Run("every job runs even after a failure; failures are joined and logged", func(t *testing.T) {
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
		var ran []string
		var sawNow time.Time
		boom := errors.New("boom")
		jobs := []Job{
			{Name: "first", Run: func(ctx context.Context, at time.Time) error { ran = append(ran, "first"); return boom }},
			{Name: "second", Run: func(ctx context.Context, at time.Time) error { ran = append(ran, "second"); sawNow = at; return nil }},
		}
		err := RunJobs(context.Background(), jobs, now, logger)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "job first") {
			t.Fatalf("err = %v, want the first job's failure named", err)
		}
		if strings.Join(ran, ",") != "first,second" {
			t.Fatalf("ran %v", ran)
		}
		if !sawNow.Equal(now) {
			t.Fatalf("job saw now = %v, want %v", sawNow, now)
		}
		out := logs.String()
		if !strings.Contains(out, `"job":"first"`) || !strings.Contains(out, "scheduled job failed") || !strings.Contains(out, `"job":"second"`) {
			t.Fatalf("logs do not name both outcomes:\n%s", out)
		}
	})
	t.Run("no failure, nil error", func(t *testing.T) {
		jobs := []Job{{Name: "ok", Run: func(context.Context, time.Time) error { return nil }}}
		if err := RunJobs(context.Background(), jobs, time.Now(), slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTick(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	jobs := []Job{{Name: "count", Run: func(context.Context, time.Time) error {
		if runs.Add(1) == 3 {
			cancel()
		}
		return errors.New("a failing run does not stop the ticker")
	}}}
	done := make(chan struct{})
	go func() {
		Tick(ctx, 5*time.Millisecond, jobs, time.Now, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("Tick ran %d times in 5 s and did not stop when its context ended", runs.Load())
	}
	if n := runs.Load(); n != 3 {
		t.Fatalf("runs = %d, want 3 (stopped by the cancel in the third)", n)
	}
}
