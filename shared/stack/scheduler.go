package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DefaultSchedulerInterval is how often the local stack runs the scheduled
// jobs; in AWS an EventBridge rule runs functions/scheduler at the same
// rate (infra/workers.go).
const DefaultSchedulerInterval = time.Minute

// Job is one scheduled job. A run must be safe to repeat and to overlap with
// another run: every job's writes are conditioned on the state they move
// from.
type Job struct {
	Name string
	Run  func(ctx context.Context, now time.Time) error
}

// RunJobs runs every job once, in order, each even if an earlier one failed,
// logs each outcome and returns the failures joined.
func RunJobs(ctx context.Context, jobs []Job, now time.Time, logger *slog.Logger) error {
	var errs []error
	for _, j := range jobs {
		start := time.Now()
		err := j.Run(ctx, now)
		attrs := []any{slog.String("job", j.Name), slog.Duration("took", time.Since(start))}
		if err != nil {
			logger.Error("scheduled job failed", append(attrs, slog.String("error", err.Error()))...)
			errs = append(errs, fmt.Errorf("job %s: %w", j.Name, err))
			continue
		}
		// Every minute: at debug level, or the local log is all ticks.
		logger.Debug("scheduled job done", attrs...)
	}
	return errors.Join(errs...)
}

// Tick runs the jobs every interval until ctx ends (the local stack's
// stand-in for the EventBridge schedule). The first run is one interval
// after the start, as in AWS. A run's failure is logged, never fatal: the
// next tick tries again.
func Tick(ctx context.Context, interval time.Duration, jobs []Job, now func() time.Time, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ctx.Err() != nil { // both ready: stopping wins
				return
			}
			_ = RunJobs(ctx, jobs, now(), logger)
		}
	}
}

// ScheduledJobs are the jobs every scheduler run runs, in order: the same
// list in functions/scheduler (AWS) and in the local stack's ticker. A nil
// hub leaves out the sweep of undispatched outbox events.
func ScheduledJobs(ddb *dynamodb.Client, table string, cards CardConfig, hub *Hub, logger *slog.Logger) []Job {
	jobs := []Job{PendingPaymentsJob(ddb, table, cards, logger)}
	if hub != nil {
		jobs = append(jobs, hub.SweepJob(logger))
	}
	return jobs
}

// ticker is the local stack's running Tick.
type ticker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startTicker runs Tick in the background; a negative interval runs
// nothing (stop is then a no-op, as on a nil ticker).
func startTicker(interval time.Duration, jobs []Job, logger *slog.Logger) *ticker {
	if interval < 0 {
		return nil
	}
	if interval == 0 {
		interval = DefaultSchedulerInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &ticker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		Tick(ctx, interval, jobs, time.Now, logger)
	}()
	return t
}

// stop ends the ticker and waits for a run in progress to finish.
func (t *ticker) stop() {
	if t == nil {
		return
	}
	t.cancel()
	<-t.done
}
