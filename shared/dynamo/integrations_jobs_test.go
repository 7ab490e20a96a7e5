package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// testJobs are n jobs of one integration, created a millisecond apart from t0.
func testJobs(ctx context.Context, in integrations.Integration, n int, t0 time.Time) []integrations.Job {
	tid, _ := tenant.IDFrom(ctx)
	jobs := make([]integrations.Job, n)
	for i := range jobs {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		ev := integrations.Event{ID: ids.Derive("evt", at, in.ID+fmt.Sprint(i)), Type: integrations.EventOrderCompleted, CreatedAt: at, TenantID: tid,
			Data: json.RawMessage(fmt.Sprintf(`{"orderId":"o%d"}`, i)), FromOutbox: true}
		jobs[i] = integrations.Job{ID: ids.Derive("job", at, in.ID+"|"+ev.ID), IntegrationID: in.ID, Provider: in.Provider,
			Kind: integrations.KindDeliverEvent, Key: ev.ID, Event: ev, CreatedAt: at}
	}
	return jobs
}

func mustCounters(tb testing.TB, st *IntegrationStore, ctx context.Context, id string, pending, failed int64) integrations.Integration {
	tb.Helper()
	in, err := st.GetIntegration(ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	if in.PendingJobs != pending || in.FailedJobs != failed {
		tb.Fatalf("counters pending=%d failed=%d, want %d and %d", in.PendingJobs, in.FailedJobs, pending, failed)
	}
	return in
}

func mustClaim(tb testing.TB, st *IntegrationStore, ctx context.Context, id string, now time.Time) integrations.Job {
	tb.Helper()
	j, r, err := st.ClaimJob(ctx, id, now, time.Minute)
	if err != nil || r != integrations.Claimed {
		tb.Fatalf("claim %s: %v %v", id, r, err)
	}
	return j
}

func TestIntegrationStore_CreateJobs(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	a, b := mustIntegration(t, st, ctx, t0), mustIntegration(t, st, ctx, t0.Add(time.Millisecond))
	// 130 jobs over two integrations: two transactions at least.
	jobs := append(testJobs(ctx, a, 80, t0), testJobs(ctx, b, 50, t0.Add(time.Second))...)

	t.Run("new jobs are PENDING and counted", func(t *testing.T) {
		got, err := st.CreateJobs(ctx, append(jobs[:3:3], jobs...)) // the first three twice
		if err != nil || len(got) != len(jobs) {
			t.Fatalf("CreateJobs: %d jobs, %v", len(got), err)
		}
		for i, j := range got {
			if j.ID != jobs[i].ID || j.Status != integrations.JobPending || j.Attempts != 0 || !j.NextAttemptAt.Equal(jobs[i].CreatedAt) ||
				string(j.Event.Data) != string(jobs[i].Event.Data) || !j.CreatedAt.Equal(jobs[i].CreatedAt) {
				t.Fatalf("job %d: %+v", i, j)
			}
		}
		mustCounters(t, st, ctx, a.ID, 80, 0)
		mustCounters(t, st, ctx, b.ID, 50, 0)
		stored, err := st.GetJob(ctx, jobs[5].ID)
		if err != nil || stored.Key != jobs[5].Key || stored.Event.ID != jobs[5].Event.ID || !stored.Event.FromOutbox || stored.Kind != integrations.KindDeliverEvent ||
			!stored.Event.CreatedAt.Equal(jobs[5].Event.CreatedAt) || stored.TenantID == "" || stored.Provider != integrations.Webhook {
			t.Fatalf("GetJob: %+v %v", stored, err)
		}
	})
	t.Run("again: nothing new, counters unchanged, stored states returned", func(t *testing.T) {
		claimed := mustClaim(t, st, ctx, jobs[0].ID, t0.Add(time.Hour))
		got, err := st.CreateJobs(ctx, jobs)
		if err != nil || len(got) != len(jobs) {
			t.Fatalf("CreateJobs again: %d, %v", len(got), err)
		}
		if got[0].Status != integrations.JobRunning || got[0].Attempts != claimed.Attempts {
			t.Fatalf("existing job returned as %+v", got[0])
		}
		mustCounters(t, st, ctx, a.ID, 80, 0)
		mustCounters(t, st, ctx, b.ID, 50, 0)
	})
	t.Run("a mix writes only the new ones", func(t *testing.T) {
		more := testJobs(ctx, a, 90, t0) // the first 80 exist
		got, err := st.CreateJobs(ctx, more)
		if err != nil || len(got) != 90 || got[85].Status != integrations.JobPending {
			t.Fatalf("CreateJobs mix: %d, %v", len(got), err)
		}
		mustCounters(t, st, ctx, a.ID, 90, 0)
	})
	t.Run("unknown integration", func(t *testing.T) {
		ghost := integrations.Integration{ID: ids.New(ids.Integration), Provider: integrations.Webhook}
		_, err := st.CreateJobs(ctx, testJobs(ctx, ghost, 1, t0))
		wantCode(t, "jobs of an unknown integration", err, apperr.NotFound)
	})
	t.Run("malformed job", func(t *testing.T) {
		bad := testJobs(ctx, a, 1, t0.Add(time.Hour))
		bad[0].ID = "job#1"
		if _, err := st.CreateJobs(ctx, bad); err == nil {
			t.Fatal("a job id with # was written")
		}
	})
}

func TestIntegrationStore_JobTransitions(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	in := mustIntegration(t, st, ctx, t0)
	jobs, err := st.CreateJobs(ctx, testJobs(ctx, in, 4, t0))
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)

	t.Run("claim, double claim, complete", func(t *testing.T) {
		j := mustClaim(t, st, ctx, jobs[0].ID, now)
		if j.Status != integrations.JobRunning || j.Attempts != 1 || !j.LeaseUntil.Equal(now.Add(time.Minute)) {
			t.Fatalf("claimed: %+v", j)
		}
		if _, r, err := st.ClaimJob(ctx, j.ID, now.Add(time.Second), time.Minute); err != nil || r != integrations.Busy {
			t.Fatalf("double claim: %v %v", r, err)
		}
		if err := st.CompleteJob(ctx, j, now.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ := st.GetJob(ctx, j.ID)
		if got.Status != integrations.JobSucceeded || !got.LeaseUntil.IsZero() {
			t.Fatalf("completed: %+v", got)
		}
		if _, r, err := st.ClaimJob(ctx, j.ID, now.Add(time.Hour), time.Minute); err != nil || r != integrations.Done {
			t.Fatalf("claim of a done job: %v %v", r, err)
		}
		wantCode(t, "complete twice", st.CompleteJob(ctx, j, now.Add(3*time.Second)), apperr.Conflict)
		in := mustCounters(t, st, ctx, in.ID, 3, 0)
		if !in.LastSuccessAt.Equal(now.Add(2*time.Second)) || in.Status() != integrations.StatusActive {
			t.Fatalf("after success: %+v", in)
		}
	})
	t.Run("a stale worker cannot finish a job taken over", func(t *testing.T) {
		first := mustClaim(t, st, ctx, jobs[1].ID, now)
		second := mustClaim(t, st, ctx, jobs[1].ID, now.Add(time.Minute+time.Millisecond)) // the lease ran out
		if second.Attempts != 2 {
			t.Fatalf("takeover attempts %d", second.Attempts)
		}
		wantCode(t, "stale complete", st.CompleteJob(ctx, first, now.Add(2*time.Minute)), apperr.Conflict)
		wantCode(t, "stale fail", st.FailJob(ctx, first, "late", now.Add(2*time.Minute)), apperr.Conflict)
		wantCode(t, "stale retry", st.RetryJobLater(ctx, first, "late", now.Add(time.Hour), now.Add(2*time.Minute)), apperr.Conflict)
		if err := st.CompleteJob(ctx, second, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		mustCounters(t, st, ctx, in.ID, 2, 0)
	})
	t.Run("retry later, not yet, then fail", func(t *testing.T) {
		j := mustClaim(t, st, ctx, jobs[2].ID, now)
		long := strings.Repeat("é", integrations.MaxErrorLen+50)
		next := now.Add(30 * time.Second)
		if err := st.RetryJobLater(ctx, j, long, next, now.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ := st.GetJob(ctx, j.ID)
		if got.Status != integrations.JobPending || !got.NextAttemptAt.Equal(next) || []rune(got.LastError)[0] != 'é' ||
			len([]rune(got.LastError)) != integrations.MaxErrorLen || got.Attempts != 1 {
			t.Fatalf("retried: %+v", got)
		}
		cur := mustCounters(t, st, ctx, in.ID, 2, 0)
		if len([]rune(cur.LastError)) != integrations.MaxErrorLen || !cur.LastErrorAt.Equal(now.Add(3*time.Minute)) || cur.Status() != integrations.StatusError {
			t.Fatalf("integration after retry: %+v", cur)
		}
		if _, r, err := st.ClaimJob(ctx, j.ID, next.Add(-time.Millisecond), time.Minute); err != nil || r != integrations.NotYet {
			t.Fatalf("early claim: %v %v", r, err)
		}
		j = mustClaim(t, st, ctx, j.ID, next)
		if j.Attempts != 2 {
			t.Fatalf("second attempt: %+v", j)
		}
		if err := st.FailJob(ctx, j, "freee answered 400", next.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetJob(ctx, j.ID)
		if got.Status != integrations.JobFailed || got.LastError != "freee answered 400" {
			t.Fatalf("failed: %+v", got)
		}
		mustCounters(t, st, ctx, in.ID, 1, 1)
	})
	ttlOf := func(id string) int64 {
		var it jobItem
		if _, err := st.t.get(ctx, key(jobPK("T#"+jobs[0].TenantID, id), skJob), &it); err != nil {
			t.Fatal(err)
		}
		return it.TTL
	}
	t.Run("terminal jobs expire", func(t *testing.T) {
		if got, want := ttlOf(jobs[0].ID), now.Add(2*time.Second).Add(succeededJobTTL).Unix(); got != want {
			t.Fatalf("succeeded job's ttl %d, want %d", got, want)
		}
		if got, want := ttlOf(jobs[2].ID), now.Add(30*time.Second+time.Second).Add(failedJobTTL).Unix(); got != want {
			t.Fatalf("failed job's ttl %d, want %d", got, want)
		}
	})
	t.Run("requeue", func(t *testing.T) {
		at := now.Add(time.Hour)
		j, err := st.RequeueJob(ctx, jobs[2].ID, at)
		if err != nil || j.Status != integrations.JobPending || j.Attempts != 0 || !j.NextAttemptAt.Equal(at) {
			t.Fatalf("requeue: %+v %v", j, err)
		}
		got, _ := st.GetJob(ctx, j.ID)
		if got.Status != integrations.JobPending || got.Attempts != 0 || !got.NextAttemptAt.Equal(at) || !got.UpdatedAt.Equal(at) {
			t.Fatalf("requeued as stored: %+v", got)
		}
		mustCounters(t, st, ctx, in.ID, 2, 0)
		if ttl := ttlOf(jobs[2].ID); ttl != 0 {
			t.Fatalf("requeued job keeps ttl %d", ttl)
		}
		_, err = st.RequeueJob(ctx, jobs[2].ID, at)
		wantCode(t, "requeue a PENDING job", err, apperr.Invalid)
		_, err = st.RequeueJob(ctx, jobs[0].ID, at)
		wantCode(t, "requeue a SUCCEEDED job", err, apperr.Invalid)
		_, err = st.RequeueJob(ctx, "job_nothing", at)
		wantCode(t, "requeue an unknown job", err, apperr.NotFound)
		mustCounters(t, st, ctx, in.ID, 2, 0)
		mustClaim(t, st, ctx, jobs[2].ID, at)
	})
	t.Run("gone", func(t *testing.T) {
		if _, r, err := st.ClaimJob(ctx, "job_nothing", now, time.Minute); err != nil || r != integrations.Gone {
			t.Fatalf("claim unknown: %v %v", r, err)
		}
		if _, r, err := st.ClaimJob(ctx, "job#x", now, time.Minute); err != nil || r != integrations.Gone {
			t.Fatalf("claim garbled: %v %v", r, err)
		}
		_, err := st.GetJob(ctx, "job_nothing")
		wantCode(t, "get unknown", err, apperr.NotFound)
	})
	t.Run("another tenant can neither read nor claim", func(t *testing.T) {
		other := tenantCtx(t)
		_, err := st.GetJob(other, jobs[3].ID)
		wantCode(t, "foreign get", err, apperr.NotFound)
		if _, r, err := st.ClaimJob(other, jobs[3].ID, now, time.Minute); err != nil || r != integrations.Gone {
			t.Fatalf("foreign claim: %v %v", r, err)
		}
		_, err = st.RequeueJob(other, jobs[3].ID, now)
		wantCode(t, "foreign requeue", err, apperr.NotFound)
		list, _, err := st.ListJobs(other, in.ID, "", 10, "")
		if err != nil || len(list) != 0 {
			t.Fatalf("foreign list: %+v %v", list, err)
		}
		if got, _ := st.GetJob(ctx, jobs[3].ID); got.Status != integrations.JobPending || got.Attempts != 0 {
			t.Fatalf("job touched by another tenant: %+v", got)
		}
	})
}

// TestIntegrationStore_JobCountersUnderConcurrency runs 8 workers over 50
// jobs: each claims every job (most claims lose), and the winner retries it
// once, then completes it or fails it. The counters end exact.
func TestIntegrationStore_JobCountersUnderConcurrency(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	in := mustIntegration(t, st, ctx, t0)
	jobs, err := st.CreateJobs(ctx, testJobs(ctx, in, 50, t0))
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)
	fail := map[string]bool{}
	for i, j := range jobs {
		fail[j.ID] = i%5 == 0
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var mu sync.Mutex
	won := map[string]int{}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				j := jobs[(i+w*7)%len(jobs)]
				for round := 0; round < 2; round++ {
					c, r, err := st.ClaimJob(ctx, j.ID, now, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if r != integrations.Claimed {
						break
					}
					mu.Lock()
					won[j.ID]++
					mu.Unlock()
					switch {
					case c.Attempts == 1:
						err = st.RetryJobLater(ctx, c, "try again", now, now) // due at once: another worker may take it
					case fail[c.ID]:
						err = st.FailJob(ctx, c, "gave up", now)
					default:
						err = st.CompleteJob(ctx, c, now)
					}
					if err != nil {
						errs <- fmt.Errorf("job %s attempt %d: %w", c.ID, c.Attempts, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var failed int64
	for _, j := range jobs {
		got, err := st.GetJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case got.Status == integrations.JobFailed:
			failed++
		case got.Status != integrations.JobSucceeded:
			// A job whose retry came after every worker had passed it stays PENDING.
			if got.Status != integrations.JobPending || got.Attempts != 1 {
				t.Fatalf("job %s ended %s after %d attempts", got.ID, got.Status, got.Attempts)
			}
			c := mustClaim(t, st, ctx, got.ID, now)
			if fail[c.ID] {
				err, failed = st.FailJob(ctx, c, "gave up", now), failed+1
			} else {
				err = st.CompleteJob(ctx, c, now)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if won[j.ID] > 2 {
			t.Fatalf("job %s claimed %d times", j.ID, won[j.ID])
		}
	}
	if failed != 10 {
		t.Fatalf("%d jobs failed, want 10", failed)
	}
	mustCounters(t, st, ctx, in.ID, 0, failed)
}

func TestIntegrationStore_ListJobs(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx := tenantCtx(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	in, other := mustIntegration(t, st, ctx, t0), mustIntegration(t, st, ctx, t0)
	jobs, err := st.CreateJobs(ctx, testJobs(ctx, in, 7, t0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateJobs(ctx, testJobs(ctx, other, 2, t0)); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	if _, ok, err := st.OldestPending(ctx, in.ID); err != nil || !ok {
		t.Fatalf("oldest pending: %v %v", ok, err)
	}
	// jobs 0 and 3 succeed, job 5 runs.
	for _, i := range []int{0, 3} {
		if err := st.CompleteJob(ctx, mustClaim(t, st, ctx, jobs[i].ID, now), now); err != nil {
			t.Fatal(err)
		}
	}
	mustClaim(t, st, ctx, jobs[5].ID, now)

	ids := func(list []integrations.Job) string {
		var out []string
		for _, j := range list {
			for i := range jobs {
				if jobs[i].ID == j.ID {
					out = append(out, fmt.Sprint(i))
				}
			}
		}
		return strings.Join(out, ",")
	}
	t.Run("all, newest first, in pages", func(t *testing.T) {
		var seen []string
		after := ""
		for page := 0; page < 10; page++ {
			list, next, err := st.ListJobs(ctx, in.ID, "", 3, after)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ids(list))
			if next == "" {
				break
			}
			after = next
		}
		if got := strings.Join(seen, "|"); got != "6,5,4|3,2,1|0" {
			t.Fatalf("pages %q", got)
		}
	})
	t.Run("by status", func(t *testing.T) {
		for status, want := range map[integrations.JobStatus]string{
			integrations.JobPending: "6,4,2,1", integrations.JobRunning: "5", integrations.JobSucceeded: "3,0", integrations.JobFailed: "",
		} {
			list, next, err := st.ListJobs(ctx, in.ID, status, 10, "")
			if err != nil || ids(list) != want || next != "" {
				t.Fatalf("%s: %q %q %v", status, ids(list), next, err)
			}
		}
		list, next, err := st.ListJobs(ctx, in.ID, integrations.JobPending, 2, "")
		if err != nil || ids(list) != "6,4" || next == "" {
			t.Fatalf("pending page 1: %q %v", ids(list), err)
		}
		list, _, err = st.ListJobs(ctx, in.ID, integrations.JobPending, 2, next)
		if err != nil || ids(list) != "2,1" {
			t.Fatalf("pending page 2: %q %v", ids(list), err)
		}
	})
	t.Run("foreign and garbled cursors are INVALID", func(t *testing.T) {
		_, next, err := st.ListJobs(ctx, in.ID, integrations.JobPending, 1, "")
		if err != nil || next == "" {
			t.Fatal(err)
		}
		_, allNext, _ := st.ListJobs(ctx, in.ID, "", 1, "")
		for name, c := range map[string]struct {
			iid    string
			status integrations.JobStatus
			after  string
		}{
			"another status":      {in.ID, integrations.JobRunning, next},
			"all":                 {in.ID, "", next},
			"another integration": {other.ID, integrations.JobPending, next},
			"status from all":     {in.ID, integrations.JobPending, allNext},
			"garbled":             {in.ID, integrations.JobPending, "%%%"},
			"forged sort key":     {in.ID, integrations.JobPending, bindCursor("intjobs|"+in.ID+"|PENDING", "yesterday#job_1")},
			"truncated":           {in.ID, integrations.JobPending, next[:len(next)/2]},
		} {
			_, _, err := st.ListJobs(ctx, c.iid, c.status, 1, c.after)
			wantCode(t, name, err, apperr.Invalid)
		}
		_, _, err = st.ListJobs(ctx, in.ID, "DONE", 1, "")
		wantCode(t, "unknown status", err, apperr.Invalid)
	})
	t.Run("oldest pending", func(t *testing.T) {
		at, ok, err := st.OldestPending(ctx, in.ID)
		if err != nil || !ok || !at.Equal(jobs[1].CreatedAt) {
			t.Fatalf("oldest pending: %v %v %v, want %v", at, ok, err, jobs[1].CreatedAt)
		}
		// Claiming job 1 leaves the oldest open one RUNNING: still job 1.
		mustClaim(t, st, ctx, jobs[1].ID, now)
		if at, ok, _ := st.OldestPending(ctx, in.ID); !ok || !at.Equal(jobs[1].CreatedAt) {
			t.Fatalf("oldest with job 1 running: %v %v", at, ok)
		}
		empty := mustIntegration(t, st, ctx, t0)
		if _, ok, err := st.OldestPending(ctx, empty.ID); err != nil || ok {
			t.Fatalf("oldest of none: %v %v", ok, err)
		}
	})
}
