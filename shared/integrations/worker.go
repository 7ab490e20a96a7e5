package integrations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/metrics"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/text"
)

// Worker defaults.
const (
	// DefaultLease is how long a claimed job is its worker's: longer than
	// a run (DefaultRunTimeout), shorter than the queue's visibility
	// timeout, so a crashed worker's message comes back to a job whose
	// lease has run out.
	DefaultLease = 2 * time.Minute
	// DefaultRunTimeout bounds one connector run.
	DefaultRunTimeout = 60 * time.Second
	// MaxReceives is the jobs queue's redrive count: a message received
	// that often goes to the dead-letter queue, so the worker stops
	// relying on that message before then.
	MaxReceives = 5
	// maxQueueDelay is the longest delay a fresh SQS message may carry.
	maxQueueDelay = 15 * time.Minute
)

// Outcome is what the worker asks of the queue for one message: delete it
// (Ack), or make it visible again after Delay.
type Outcome struct {
	Ack   bool
	Delay time.Duration
}

// Worker runs jobs: claim, run the connector, record the outcome.
type Worker struct {
	Store      Store
	Connectors map[Provider]Connector
	Sealer     Sealer
	// Dispatcher queues the jobs of a SYNC job, and Queue sends the fresh
	// message of a job whose own message is about to be dead-lettered.
	Dispatcher *Dispatcher
	Queue      Queue
	Local      bool
	Logger     *slog.Logger
	Now        func() time.Time
	Lease      time.Duration
	RunTimeout time.Duration
	// Backoff is the wait after a failed attempt (1-based); nil:
	// DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// AfterRun, when set, is called after a successful run and before the
	// success is recorded; an error there is treated as the worker dying
	// at that moment (tests: "killed mid-job").
	AfterRun func(Job) error
	// Metrics receives the outcome metrics (IntegrationJobsFailed,
	// IntegrationLag); nil: metrics.Default.
	Metrics *metrics.Emitter
}

// DefaultBackoff waits about 1 min, 5 min, 25 min and 2 h after the first
// four failed attempts (±50 % jitter, so a provider's outage does not end
// in a thundering herd).
func DefaultBackoff(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 5
	}
	d = min(d, 6*time.Hour)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// Handle runs the job a message names. receiveCount is the message's
// ApproximateReceiveCount.
func (w *Worker) Handle(ctx context.Context, m Message, receiveCount int) Outcome {
	if !ids.Valid(ids.Tenant, m.TenantID) || !ids.Valid(JobIDPrefix, m.JobID) {
		w.logger().Error("job message with a bad address dropped", slog.String("tenant", m.TenantID), slog.String("job", m.JobID))
		return Outcome{Ack: true}
	}
	ctx = tenant.WithID(ctx, m.TenantID)
	now := w.now()
	job, res, err := w.Store.ClaimJob(ctx, m.JobID, now, w.lease())
	if err != nil {
		w.logger().Warn("job claim failed; the message comes again", slog.String("job", m.JobID), slog.String("error", err.Error()))
		return w.later(ctx, m, receiveCount, 10*time.Second)
	}
	switch res {
	case Done, Gone, Busy:
		// Busy: the holder's own message comes back if it dies.
		return Outcome{Ack: true}
	case NotYet:
		return w.later(ctx, m, receiveCount, job.NextAttemptAt.Sub(now))
	}
	runErr := w.run(ctx, job)
	if runErr == nil && w.AfterRun != nil {
		if err := w.AfterRun(job); err != nil {
			return Outcome{Delay: max(job.LeaseUntil.Sub(w.now()), 0) + time.Second}
		}
	}
	now = w.now()
	if runErr == nil {
		if err := w.Store.CompleteJob(ctx, job, now); err != nil {
			return w.recordFailed(ctx, m, receiveCount, job, err)
		}
		w.emit(job, "succeeded", metrics.Value{Name: metrics.IntegrationLag, Unit: metrics.Milliseconds, Value: metrics.Millis(now.Sub(jobStart(job)))})
		return Outcome{Ack: true}
	}
	msg := errorText(runErr)
	if IsPermanent(runErr) || job.Attempts >= MaxAttempts {
		if err := w.Store.FailJob(ctx, job, msg, now); err != nil {
			return w.recordFailed(ctx, m, receiveCount, job, err)
		}
		w.emit(job, "failed", metrics.Value{Name: metrics.IntegrationJobsFailed, Unit: metrics.Count, Value: 1})
		w.logger().Warn("integration job failed", slog.String("job", job.ID), slog.String("integration", job.IntegrationID), slog.Int("attempts", job.Attempts), slog.String("error", msg))
		return Outcome{Ack: true}
	}
	wait := max(w.backoff(job.Attempts), RetryDelayOf(runErr))
	next := now.Add(wait)
	if err := w.Store.RetryJobLater(ctx, job, msg, next, now); err != nil {
		return w.recordFailed(ctx, m, receiveCount, job, err)
	}
	return w.later(ctx, m, receiveCount, wait)
}

// run runs one claimed job through its connector.
func (w *Worker) run(ctx context.Context, job Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.logger().Error("connector panicked", slog.String("job", job.ID), slog.String("panic", fmt.Sprint(p)))
			err = errors.New("internal error while running the job")
		}
	}()
	in, err := w.Store.GetIntegration(ctx, job.IntegrationID)
	if err != nil {
		return err
	}
	if in.Disconnected {
		return Permanent(errors.New("the integration is disconnected"))
	}
	c, ok := w.Connectors[in.Provider]
	if !ok {
		return Permanent(fmt.Errorf("no connector for %s", in.Provider))
	}
	cfg, err := openConfig(ctx, w.Store, w.Sealer, w.Local, in, w.now)
	if err != nil {
		w.logger().Error("integration secrets could not be opened", slog.String("integration", in.ID), slog.String("error", err.Error()))
		return errors.New("the integration's credentials could not be read")
	}
	rctx, cancel := context.WithTimeout(ctx, w.runTimeout())
	defer cancel()
	if job.Kind == KindSync {
		specs, err := c.Sync(rctx, cfg)
		if err != nil {
			return w.timedOut(ctx, rctx, err)
		}
		for i := range specs {
			if specs[i].Event.ID == "" {
				// Derived from the sync request, so a retried SYNC job
				// makes the same jobs, not new ones.
				specs[i].Event = Event{ID: job.Event.ID, Type: EventSync, CreatedAt: job.Event.CreatedAt, TenantID: in.TenantID, Data: specs[i].Event.Data}
			}
		}
		_, err = w.Dispatcher.Enqueue(rctx, in, specs)
		return err
	}
	return w.timedOut(ctx, rctx, c.Run(rctx, cfg, job))
}

// timedOut says so readably when the run timeout (rctx) cut a connector
// call short, rather than "context deadline exceeded".
func (w *Worker) timedOut(ctx, rctx context.Context, err error) error {
	if err != nil && rctx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("the provider did not answer within %s", w.runTimeout())
	}
	return err
}

// later leaves the message for another delivery after delay — or, when the
// message is near its redrive count, sends a fresh one and deletes it, so a
// job that is only waiting never lands in the dead-letter queue.
func (w *Worker) later(ctx context.Context, m Message, receiveCount int, delay time.Duration) Outcome {
	delay = max(delay, 0)
	if receiveCount < MaxReceives-1 || w.Queue == nil {
		return Outcome{Delay: delay}
	}
	if err := w.Queue.Send(ctx, []Message{{TenantID: m.TenantID, JobID: m.JobID, Delay: min(delay, maxQueueDelay)}}); err != nil {
		return Outcome{Delay: delay}
	}
	return Outcome{Ack: true}
}

// recordFailed handles a failure to record an outcome: the claim is still
// ours until the lease runs out, so the message comes back just after it
// (a fresh one near the redrive count, or the job would stay RUNNING with
// its message dead-lettered), and the next claim runs the job again
// (connectors are idempotent).
func (w *Worker) recordFailed(ctx context.Context, m Message, receiveCount int, job Job, err error) Outcome {
	if apperr.Is(err, apperr.Conflict) || apperr.Is(err, apperr.NotFound) {
		// The job moved on without us (our lease was taken over and the
		// other run recorded it), or it is gone: nothing left to do.
		return Outcome{Ack: true}
	}
	w.logger().Warn("job outcome not recorded; it runs again after its lease", slog.String("job", job.ID), slog.String("error", err.Error()))
	return w.later(ctx, m, receiveCount, max(job.LeaseUntil.Sub(w.now()), 0)+time.Second)
}

// errorText is an error as a job records it: one clean line, bounded.
func errorText(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if !text.Clean(s, false) {
		s = strings.Map(func(r rune) rune {
			if text.Clean(string(r), false) {
				return r
			}
			return -1
		}, s)
	}
	if utf8.RuneCountInString(s) > MaxErrorLen {
		s = string([]rune(s)[:MaxErrorLen-1]) + "…"
	}
	return s
}

// emit writes one metrics line about a job's outcome; the tenant, the
// integration, provider, kind and attempts are properties (not dimensions).
func (w *Worker) emit(job Job, outcome string, v metrics.Value) {
	metrics.Or(w.Metrics).Emit(job.TenantID, map[string]any{"outcome": outcome, "integration": job.IntegrationID,
		"provider": string(job.Provider), "kind": job.Kind, "attempts": job.Attempts}, v)
}

// jobStart is when the work a job does was asked for: its event's time,
// or the job's creation for a job without one.
func jobStart(job Job) time.Time {
	if !job.Event.CreatedAt.IsZero() {
		return job.Event.CreatedAt
	}
	return job.CreatedAt
}

func (w *Worker) lease() time.Duration {
	if w.Lease > 0 {
		return w.Lease
	}
	return DefaultLease
}

func (w *Worker) runTimeout() time.Duration {
	if w.RunTimeout > 0 {
		return w.RunTimeout
	}
	return min(DefaultRunTimeout, w.lease()*3/4)
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}
