package integrations_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/text"
)

// pendingJob connects a webhook integration and dispatches one sale to it:
// the job's id, and the queue's length after its message.
func (e *env) pendingJob(t *testing.T) (integrations.Integration, string) {
	t.Helper()
	in := e.connect(t, integrations.Webhook, "ERP")
	ev := e.event(integrations.EventOrderCompleted)
	e.dispatch(t, ev)
	id := deliverJob(in, ev)
	if j := e.job(t, id); j.Status != integrations.JobPending {
		t.Fatalf("job not pending: %+v", j)
	}
	return in, id
}

func failWith(err error) func(context.Context, integrations.Config, integrations.Job) error {
	return func(context.Context, integrations.Config, integrations.Job) error { return err }
}

func TestWorker_Success(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	out := e.handle(id, 1)
	if out != (integrations.Outcome{Ack: true}) {
		t.Fatalf("outcome %+v, want ack", out)
	}
	j := e.job(t, id)
	if j.Status != integrations.JobSucceeded || j.Attempts != 1 || j.LastError != "" {
		t.Fatalf("job %+v", j)
	}
	got := e.integration(t, in.ID)
	if !got.LastSuccessAt.Equal(e.clock.Now()) || got.PendingJobs != 0 || got.FailedJobs != 0 || got.Status() != integrations.StatusActive {
		t.Fatalf("integration after success: %+v", got)
	}
	// The connector ran the claimed job with the opened secrets, in the tenant.
	if e.hook.runCount() != 1 {
		t.Fatalf("%d runs", e.hook.runCount())
	}
	cfg, ran, tid := e.hook.runCfgs[0], e.hook.runs[0], e.hook.runTids[0]
	if string(cfg.Secrets) != `{"token":"tok-`+in.ID+`"}` || cfg.Integration.ID != in.ID || cfg.Marks == nil || cfg.SaveSecrets == nil {
		t.Fatalf("config %+v", cfg)
	}
	if ran.ID != id || ran.Attempts != 1 || ran.Status != integrations.JobRunning || tid != e.tn.ID {
		t.Fatalf("ran %+v in tenant %q", ran, tid)
	}
	// The message again (SQS at-least-once): done, acked, not run again.
	if out := e.handle(id, 2); !out.Ack || e.hook.runCount() != 1 {
		t.Fatalf("redelivered message: %+v, %d runs", out, e.hook.runCount())
	}
}

func TestWorker_BadOrUnknownMessagesAreAcked(t *testing.T) {
	e := newEnv(t)
	for _, m := range []integrations.Message{
		{TenantID: "nope", JobID: "job_x"},
		{TenantID: e.tn.ID, JobID: "not a job"},
		{TenantID: e.tn.ID, JobID: ids.New(integrations.JobIDPrefix)}, // Gone
	} {
		if out := e.worker.Handle(context.Background(), m, 1); !out.Ack {
			t.Errorf("message %+v: %+v", m, out)
		}
	}
	if e.hook.runCount() != 0 {
		t.Fatal("connector ran")
	}
}

func TestWorker_RetryableFailure(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	sent := e.queue.len()
	e.hook.setRun(failWith(errors.New("ERP answered 503")))
	out := e.handle(id, 1)
	if out != (integrations.Outcome{Delay: time.Minute}) {
		t.Fatalf("outcome %+v, want not acked, visible again after the first backoff", out)
	}
	j := e.job(t, id)
	if j.Status != integrations.JobPending || j.Attempts != 1 || j.LastError != "ERP answered 503" || !j.NextAttemptAt.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("job %+v", j)
	}
	got := e.integration(t, in.ID)
	if got.LastError != "ERP answered 503" || !got.LastErrorAt.Equal(e.clock.Now()) || got.PendingJobs != 1 || got.FailedJobs != 0 ||
		got.Status() != integrations.StatusError {
		t.Fatalf("integration %+v", got)
	}
	if n := e.queue.len(); n != sent {
		t.Fatal("a message was sent for an early retry")
	}

	// Its time comes: the next attempt succeeds and the integration is ACTIVE again.
	e.hook.setRun(nil)
	e.clock.Advance(out.Delay)
	if out := e.handle(id, 2); !out.Ack {
		t.Fatalf("second attempt: %+v", out)
	}
	if j := e.job(t, id); j.Status != integrations.JobSucceeded || j.Attempts != 2 {
		t.Fatalf("job %+v", j)
	}
	if got := e.integration(t, in.ID); got.Status() != integrations.StatusActive || got.PendingJobs != 0 {
		t.Fatalf("integration %+v", got)
	}
}

func TestWorker_RetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		want  time.Duration
	}{
		{"longer than the backoff wins", 10 * time.Minute, 10 * time.Minute},
		{"shorter than the backoff loses", 10 * time.Second, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, id := e.pendingJob(t)
			e.hook.setRun(failWith(integrations.RetryAfter(errors.New("rate limited"), tc.after)))
			if out := e.handle(id, 1); out != (integrations.Outcome{Delay: tc.want}) {
				t.Fatalf("outcome %+v, want delay %s", out, tc.want)
			}
			if j := e.job(t, id); j.Status != integrations.JobPending || !j.NextAttemptAt.Equal(e.clock.Now().Add(tc.want)) || j.LastError != "rate limited" {
				t.Fatalf("job %+v", j)
			}
		})
	}
}

func TestWorker_FailsAfterMaxAttempts(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	e.hook.setRun(failWith(errors.New("ERP answered 500")))
	for attempt := 1; attempt < integrations.MaxAttempts; attempt++ {
		out := e.handle(id, 1)
		if out != (integrations.Outcome{Delay: testBackoff(attempt)}) {
			t.Fatalf("attempt %d: %+v", attempt, out)
		}
		if j := e.job(t, id); j.Status != integrations.JobPending || j.Attempts != attempt {
			t.Fatalf("attempt %d: job %+v", attempt, j)
		}
		e.clock.Advance(out.Delay)
	}
	if out := e.handle(id, 1); out != (integrations.Outcome{Ack: true}) {
		t.Fatalf("last attempt: %+v", out)
	}
	j := e.job(t, id)
	if j.Status != integrations.JobFailed || j.Attempts != integrations.MaxAttempts || j.LastError != "ERP answered 500" {
		t.Fatalf("job %+v", j)
	}
	got := e.integration(t, in.ID)
	if got.FailedJobs != 1 || got.PendingJobs != 0 || got.Status() != integrations.StatusError || got.LastError != "ERP answered 500" {
		t.Fatalf("integration %+v", got)
	}
	if out := e.handle(id, 1); !out.Ack || e.hook.runCount() != integrations.MaxAttempts {
		t.Fatalf("a FAILED job's message: %+v, %d runs", out, e.hook.runCount())
	}
}

func TestWorker_PermanentFailsAtOnce(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	e.hook.setRun(failWith(integrations.Permanent(errors.New("freee does not know account item 999"))))
	if out := e.handle(id, 1); out != (integrations.Outcome{Ack: true}) {
		t.Fatalf("outcome %+v", out)
	}
	if j := e.job(t, id); j.Status != integrations.JobFailed || j.Attempts != 1 || j.LastError != "freee does not know account item 999" {
		t.Fatalf("job %+v", j)
	}
	counters(t, e, in.ID, 0, 1)
}

func TestWorker_PanicIsRetryableWithoutItsText(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	e.hook.setRun(func(context.Context, integrations.Config, integrations.Job) error {
		panic("token sk_live_123 rejected")
	})
	if out := e.handle(id, 1); out != (integrations.Outcome{Delay: time.Minute}) {
		t.Fatalf("outcome %+v", out)
	}
	j := e.job(t, id)
	if j.Status != integrations.JobPending || j.Attempts != 1 || j.LastError != "internal error while running the job" {
		t.Fatalf("job %+v", j)
	}
	if got := e.integration(t, in.ID); strings.Contains(got.LastError, "sk_live") || got.LastError != j.LastError {
		t.Fatalf("integration's last error %q", got.LastError)
	}
}

func TestWorker_HangEndsAtRunTimeout(t *testing.T) {
	e := newEnv(t)
	_, id := e.pendingJob(t)
	e.worker.RunTimeout = 300 * time.Millisecond
	e.hook.setRun(func(ctx context.Context, _ integrations.Config, _ integrations.Job) error {
		<-ctx.Done()
		return ctx.Err()
	})
	start := time.Now()
	out := e.handle(id, 1)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the hang held the worker %s", took)
	}
	if out != (integrations.Outcome{Delay: time.Minute}) {
		t.Fatalf("outcome %+v", out)
	}
	if j := e.job(t, id); j.Status != integrations.JobPending || j.LastError != "the provider did not answer within 300ms" {
		t.Fatalf("job %+v", j)
	}
}

func TestWorker_NotYet(t *testing.T) {
	e := newEnv(t)
	_, id := e.pendingJob(t)
	e.hook.setRun(failWith(errors.New("ERP answered 503")))
	e.handle(id, 1) // due in 1 min
	e.clock.Advance(20 * time.Second)
	sent := e.queue.len()
	// An early message (a duplicate, or the redelivery SQS made anyway).
	if out := e.handle(id, 2); out != (integrations.Outcome{Delay: 40 * time.Second}) {
		t.Fatalf("outcome %+v, want the remaining 40s", out)
	}
	if out := e.handle(id, 3); out != (integrations.Outcome{Delay: 40 * time.Second}) {
		t.Fatalf("receive 3: %+v", out)
	}
	if e.hook.runCount() != 1 || e.queue.len() != sent {
		t.Fatalf("%d runs, %d new messages", e.hook.runCount(), e.queue.len()-sent)
	}
	if j := e.job(t, id); j.Status != integrations.JobPending || j.Attempts != 1 {
		t.Fatalf("job %+v", j)
	}
}

func TestWorker_NearRedriveSendsAFreshMessage(t *testing.T) {
	t.Run("not yet", func(t *testing.T) {
		e := newEnv(t)
		_, id := e.pendingJob(t)
		e.hook.setRun(failWith(errors.New("ERP answered 503")))
		e.handle(id, 1)
		e.clock.Advance(20 * time.Second)
		sent := e.queue.len()
		if out := e.handle(id, integrations.MaxReceives-1); out != (integrations.Outcome{Ack: true}) {
			t.Fatalf("outcome %+v", out)
		}
		msgs := e.queue.since(sent)
		if len(msgs) != 1 || msgs[0].JobID != id || msgs[0].TenantID != e.tn.ID || msgs[0].Delay != 40*time.Second {
			t.Fatalf("fresh messages %+v", msgs)
		}
		if e.hook.runCount() != 1 {
			t.Fatal("ran early")
		}
	})
	t.Run("retry", func(t *testing.T) {
		e := newEnv(t)
		_, id := e.pendingJob(t)
		e.hook.setRun(failWith(errors.New("ERP answered 503")))
		sent := e.queue.len()
		if out := e.handle(id, integrations.MaxReceives-1); out != (integrations.Outcome{Ack: true}) {
			t.Fatalf("outcome %+v", out)
		}
		msgs := e.queue.since(sent)
		if len(msgs) != 1 || msgs[0].JobID != id || msgs[0].Delay != time.Minute {
			t.Fatalf("fresh messages %+v", msgs)
		}
		if j := e.job(t, id); j.Status != integrations.JobPending || j.Attempts != 1 {
			t.Fatalf("job %+v", j)
		}
	})
	t.Run("a fresh message waits at most 15 minutes", func(t *testing.T) {
		e := newEnv(t)
		_, id := e.pendingJob(t)
		e.worker.Backoff = func(int) time.Duration { return 2 * time.Hour }
		e.hook.setRun(failWith(errors.New("ERP answered 503")))
		sent := e.queue.len()
		if out := e.handle(id, integrations.MaxReceives); !out.Ack {
			t.Fatalf("outcome %+v", out)
		}
		if msgs := e.queue.since(sent); len(msgs) != 1 || msgs[0].Delay != 15*time.Minute {
			t.Fatalf("fresh messages %+v", msgs)
		}
		if j := e.job(t, id); !j.NextAttemptAt.Equal(e.clock.Now().Add(2 * time.Hour)) {
			t.Fatalf("job %+v", j)
		}
	})
	t.Run("the queue down: left to SQS", func(t *testing.T) {
		e := newEnv(t)
		_, id := e.pendingJob(t)
		e.hook.setRun(failWith(errors.New("ERP answered 503")))
		e.queue.setFail(errors.New("sqs down"))
		if out := e.handle(id, integrations.MaxReceives-1); out != (integrations.Outcome{Delay: time.Minute}) {
			t.Fatalf("outcome %+v", out)
		}
	})
}

func TestWorker_BusyDuplicateIsAcked(t *testing.T) {
	e := newEnv(t)
	_, id := e.pendingJob(t)
	// Another worker holds the job.
	held, res, err := e.store.ClaimJob(e.ctx, id, e.clock.Now(), 2*time.Minute)
	if err != nil || res != integrations.Claimed {
		t.Fatalf("claim: %v %v", res, err)
	}
	if out := e.handle(id, 1); out != (integrations.Outcome{Ack: true}) {
		t.Fatalf("outcome %+v", out)
	}
	if e.hook.runCount() != 0 {
		t.Fatal("the connector ran a job another worker holds")
	}
	if j := e.job(t, id); j.Status != integrations.JobRunning || j.Attempts != 1 || !j.LeaseUntil.Equal(held.LeaseUntil) {
		t.Fatalf("job %+v", j)
	}
}

func TestWorker_DiesAfterRunRunsAgainAfterLease(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	deaths := 0
	e.worker.AfterRun = func(integrations.Job) error {
		if deaths == 0 {
			deaths++
			return errors.New("killed")
		}
		return nil
	}
	out := e.handle(id, 1)
	lease := e.worker.Lease
	if out.Ack || out.Delay < lease-5*time.Second || out.Delay > lease+2*time.Second {
		t.Fatalf("outcome %+v, want not acked until about the lease's end (%s)", out, lease)
	}
	if j := e.job(t, id); j.Status != integrations.JobRunning || j.Attempts != 1 {
		t.Fatalf("job %+v", j)
	}
	// A duplicate of the message while the dead worker's lease lasts.
	if out := e.handle(id, 2); !out.Ack || e.hook.runCount() != 1 {
		t.Fatalf("duplicate during the lease: %+v, %d runs", out, e.hook.runCount())
	}
	e.clock.Advance(lease + time.Second)
	if out := e.handle(id, 2); out != (integrations.Outcome{Ack: true}) {
		t.Fatalf("after the lease: %+v", out)
	}
	if n := e.hook.runCount(); n != 2 {
		t.Fatalf("connector ran %d times, want 2 (idempotency is its job)", n)
	}
	if j := e.job(t, id); j.Status != integrations.JobSucceeded || j.Attempts != 2 {
		t.Fatalf("job %+v", j)
	}
	if got := e.integration(t, in.ID); got.PendingJobs != 0 || !got.LastSuccessAt.Equal(e.clock.Now()) {
		t.Fatalf("integration %+v", got)
	}
}

func TestWorker_DisconnectedIntegrationsJobFails(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	if _, err := e.svc.Disconnect(e.owner, in.ID); err != nil {
		t.Fatal(err)
	}
	if out := e.handle(id, 1); out != (integrations.Outcome{Ack: true}) {
		t.Fatalf("outcome %+v", out)
	}
	if e.hook.runCount() != 0 {
		t.Fatal("a disconnected integration's job ran")
	}
	if j := e.job(t, id); j.Status != integrations.JobFailed || j.Attempts != 1 || !strings.Contains(j.LastError, "disconnected") {
		t.Fatalf("job %+v", j)
	}
	got := e.integration(t, in.ID)
	if got.PendingJobs != 0 || got.FailedJobs != 1 || got.Status() != integrations.StatusDisconnected {
		t.Fatalf("integration %+v", got)
	}
}

func TestWorker_ErrorTextIsOneCleanBoundedLine(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	long := strings.Repeat("é\x00\x1b[31m\u202e\u0085 x\n", 170) // 2,040 runes
	if utf8.RuneCountInString(long) < 2000 {
		t.Fatalf("%d runes", utf8.RuneCountInString(long))
	}
	e.hook.setRun(failWith(errors.New(long)))
	e.handle(id, 1)
	j := e.job(t, id)
	if n := utf8.RuneCountInString(j.LastError); n == 0 || n > integrations.MaxErrorLen {
		t.Fatalf("recorded %d runes", n)
	}
	if !text.Clean(j.LastError, false) || strings.Contains(j.LastError, "  ") {
		t.Fatalf("recorded error not one clean line: %q", j.LastError)
	}
	if !strings.HasPrefix(j.LastError, "é[31m x é[31m x") {
		t.Fatalf("recorded error lost its text: %q", j.LastError[:40])
	}
	if got := e.integration(t, in.ID); got.LastError != j.LastError {
		t.Fatalf("integration's last error %q", got.LastError)
	}

	t.Run("short multi-line errors are joined", func(t *testing.T) {
		e.hook.setRun(failWith(errors.New("ERP answered 400:\n\tfield  total\r\nis required")))
		e.clock.Advance(time.Minute)
		e.handle(id, 2)
		if j := e.job(t, id); j.LastError != "ERP answered 400: field total is required" {
			t.Fatalf("recorded %q", j.LastError)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	for attempt, base := range map[int]time.Duration{1: time.Minute, 2: 5 * time.Minute, 3: 25 * time.Minute, 4: 125 * time.Minute, 9: 6 * time.Hour} {
		for range 50 {
			d := integrations.DefaultBackoff(attempt)
			if d < base/2 || d > base*3/2 {
				t.Fatalf("attempt %d: %s outside %s ±50%%", attempt, d, base)
			}
		}
	}
}

func TestSyncJob(t *testing.T) {
	e := newEnv(t)
	shop := e.connect(t, integrations.Webhook, "Shop")
	other := e.connect(t, integrations.Webhook, "Other")
	if _, err := e.svc.Sync(e.owner, shop.ID); err != nil {
		t.Fatal(err)
	}
	outbox := e.undispatched(t)
	if len(outbox) != 1 || outbox[0].Type != integrations.EventSync || outbox[0].IntegrationID != shop.ID || outbox[0].TenantID != e.tn.ID {
		t.Fatalf("sync request in the outbox: %+v", outbox)
	}
	req := outbox[0]
	e.dispatch(t, outbox...)
	if left := e.undispatched(t); len(left) != 0 {
		t.Fatalf("sync request not marked dispatched: %+v", left)
	}
	if n := len(e.jobsOf(t, other.ID)); n != 0 {
		t.Fatalf("the other integration got %d jobs", n)
	}
	if e.hook.plannedFor(shop.ID)+e.hook.plannedFor(other.ID) != 0 {
		t.Fatal("the connector was asked to plan a sync request")
	}
	jobs := e.jobsOf(t, shop.ID)
	if len(jobs) != 1 || jobs[0].Kind != integrations.KindSync || jobs[0].Key != req.ID || jobs[0].Event.ID != req.ID {
		t.Fatalf("sync jobs: %+v", jobs)
	}
	syncJob := jobs[0].ID

	e.hook.setSync(func(_ context.Context, c integrations.Config) ([]integrations.JobSpec, error) {
		if string(c.Secrets) != `{"token":"tok-`+shop.ID+`"}` {
			return nil, errors.New("secrets not opened")
		}
		var specs []integrations.JobSpec
		for _, k := range []string{"loc_1|var_1", "loc_1|var_2", "loc_2|var_1"} {
			specs = append(specs, integrations.JobSpec{Kind: integrations.KindPushInventory, Key: k,
				Event: integrations.Event{Data: json.RawMessage(`{"key":"` + k + `"}`)}})
		}
		return specs, nil
	})
	// The worker dies after the sync queued its jobs: the sync runs again.
	deaths := 0
	e.worker.AfterRun = func(integrations.Job) error {
		if deaths == 0 {
			deaths++
			return errors.New("killed")
		}
		return nil
	}
	sent := e.queue.len()
	if out := e.handle(syncJob, 1); out.Ack {
		t.Fatalf("first run: %+v", out)
	}
	if msgs := e.queue.since(sent); len(msgs) != 3 {
		t.Fatalf("first run sent %+v", msgs)
	}
	counters(t, e, shop.ID, 4, 0) // the sync job (still running) and its 3
	e.clock.Advance(e.worker.Lease + time.Second)
	sent = e.queue.len()
	if out := e.handle(syncJob, 2); !out.Ack {
		t.Fatalf("second run: %+v", out)
	}
	if e.hook.syncs != 2 {
		t.Fatalf("synced %d times", e.hook.syncs)
	}
	// Same jobs, re-sent (still pending), not duplicated.
	if msgs := e.queue.since(sent); len(msgs) != 3 {
		t.Fatalf("second run sent %+v", msgs)
	}
	counters(t, e, shop.ID, 3, 0)
	jobs = e.jobsOf(t, shop.ID)
	if len(jobs) != 4 {
		t.Fatalf("%d jobs, want the sync and its 3", len(jobs))
	}
	pushes := 0
	for _, j := range jobs {
		switch j.Kind {
		case integrations.KindSync:
			if j.Status != integrations.JobSucceeded {
				t.Errorf("sync job %+v", j)
			}
		case integrations.KindPushInventory:
			pushes++
			if j.Status != integrations.JobPending || j.Event.ID != req.ID || j.Event.Type != integrations.EventSync ||
				string(j.Event.Data) != `{"key":"`+j.Key+`"}` || j.Event.TenantID != e.tn.ID {
				t.Errorf("pushed job %+v", j)
			}
		}
	}
	if pushes != 3 {
		t.Fatalf("%d push jobs", pushes)
	}
}

// flakyStore is the real store whose CompleteJob fails the first n times
// with a transient error (DynamoDB throttling, a network blip).
type flakyStore struct {
	*dynamo.IntegrationStore
	mu            sync.Mutex
	completeFails int
}

func (s *flakyStore) CompleteJob(ctx context.Context, job integrations.Job, now time.Time) error {
	s.mu.Lock()
	fail := s.completeFails > 0
	if fail {
		s.completeFails--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("complete job: ProvisionedThroughputExceededException")
	}
	return s.IntegrationStore.CompleteJob(ctx, job, now)
}

func TestWorker_OutcomeNotRecorded(t *testing.T) {
	t.Run("the job runs again after its lease", func(t *testing.T) {
		e := newEnv(t)
		in, id := e.pendingJob(t)
		e.worker.Store = &flakyStore{IntegrationStore: e.store, completeFails: 1}
		lease := e.worker.Lease
		out := e.handle(id, 1)
		if out.Ack || out.Delay < lease-5*time.Second || out.Delay > lease+2*time.Second {
			t.Fatalf("outcome %+v, want not acked until about the lease's end", out)
		}
		if j := e.job(t, id); j.Status != integrations.JobRunning || j.Attempts != 1 {
			t.Fatalf("job %+v", j)
		}
		e.clock.Advance(lease + time.Second)
		if out := e.handle(id, 2); out != (integrations.Outcome{Ack: true}) {
			t.Fatalf("after the lease: %+v", out)
		}
		if j := e.job(t, id); j.Status != integrations.JobSucceeded || j.Attempts != 2 || e.hook.runCount() != 2 {
			t.Fatalf("job %+v after %d runs", j, e.hook.runCount())
		}
		counters(t, e, in.ID, 0, 0)
	})
	t.Run("near the redrive count a fresh message carries the job", func(t *testing.T) {
		// Left to SQS, the message would be dead-lettered with the job
		// RUNNING: nothing would ever run it again, and retryIntegrationJob
		// refuses a job that is not FAILED.
		e := newEnv(t)
		_, id := e.pendingJob(t)
		e.worker.Store = &flakyStore{IntegrationStore: e.store, completeFails: 1}
		lease := e.worker.Lease
		sent := e.queue.len()
		if out := e.handle(id, integrations.MaxReceives-1); out != (integrations.Outcome{Ack: true}) {
			t.Fatalf("outcome %+v, want acked with a fresh message", out)
		}
		msgs := e.queue.since(sent)
		if len(msgs) != 1 || msgs[0].JobID != id || msgs[0].Delay < lease-5*time.Second || msgs[0].Delay > lease+2*time.Second {
			t.Fatalf("fresh messages %+v", msgs)
		}
		e.clock.Advance(msgs[0].Delay)
		if out := e.handle(id, 1); out != (integrations.Outcome{Ack: true}) {
			t.Fatalf("the fresh message: %+v", out)
		}
		if j := e.job(t, id); j.Status != integrations.JobSucceeded || j.Attempts != 2 {
			t.Fatalf("job %+v", j)
		}
	})
}

func TestWorker_ConcurrentDuplicatesRunOnce(t *testing.T) {
	e := newEnv(t)
	in, id := e.pendingJob(t)
	outs := make([]integrations.Outcome, 8)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = e.handle(id, 1)
		}()
	}
	wg.Wait()
	for i, out := range outs {
		if !out.Ack {
			t.Errorf("worker %d: %+v", i, out)
		}
	}
	if n := e.hook.runCount(); n != 1 {
		t.Fatalf("connector ran %d times for one job", n)
	}
	if j := e.job(t, id); j.Status != integrations.JobSucceeded || j.Attempts != 1 {
		t.Fatalf("job %+v", j)
	}
	counters(t, e, in.ID, 0, 0)
}

func TestSyncJob_HangEndsAtRunTimeout(t *testing.T) {
	e := newEnv(t)
	in := e.connect(t, integrations.Webhook, "Shop")
	if _, err := e.svc.Sync(e.owner, in.ID); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t, e.undispatched(t)...)
	jobs := e.jobsOf(t, in.ID)
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v", jobs)
	}
	e.worker.RunTimeout = 300 * time.Millisecond
	e.hook.setSync(func(ctx context.Context, _ integrations.Config) ([]integrations.JobSpec, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if out := e.handle(jobs[0].ID, 1); out != (integrations.Outcome{Delay: time.Minute}) {
		t.Fatalf("outcome %+v", out)
	}
	if j := e.job(t, jobs[0].ID); j.Status != integrations.JobPending || j.LastError != "the provider did not answer within 300ms" {
		t.Fatalf("job %+v", j)
	}
}
