package integrations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// fieldsOf returns the field paths of an error's apperr entries.
func fieldsOf(err error) []string {
	var l apperr.List
	if errors.As(err, &l) {
		out := make([]string, len(l))
		for i, e := range l {
			out[i] = strings.Join(e.Field, ".")
		}
		return out
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		return []string{strings.Join(e.Field, ".")}
	}
	return nil
}

func (e *env) count(tb testing.TB) int {
	tb.Helper()
	n, err := e.store.CountIntegrations(e.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestService_ConnectValidation(t *testing.T) {
	e := newEnv(t)
	obj := json.RawMessage(`{"url":"https://erp.example.com/hook"}`)
	big := json.RawMessage(`{"x":"` + strings.Repeat("a", integrations.MaxSettingsBytes) + `"}`)
	for _, tc := range []struct {
		name     string
		provider integrations.Provider
		title    string
		settings json.RawMessage
		fields   []string
	}{
		{"unknown provider", "SLACK", "ERP", obj, []string{"input.provider"}},
		{"empty name", integrations.Webhook, "", obj, []string{"input.name"}},
		{"blank name", integrations.Webhook, "   ", obj, []string{"input.name"}},
		{"name with a control character", integrations.Webhook, "ERP\x07", obj, []string{"input.name"}},
		{"name with a bidi override", integrations.Webhook, "ERP\u202e", obj, []string{"input.name"}},
		{"name too long", integrations.Webhook, strings.Repeat("n", 101), obj, []string{"input.name"}},
		{"settings an array", integrations.Webhook, "ERP", json.RawMessage(`[]`), []string{"input.settings"}},
		{"settings a string", integrations.Webhook, "ERP", json.RawMessage(`"https://x"`), []string{"input.settings"}},
		{"settings null", integrations.Webhook, "ERP", json.RawMessage(`null`), []string{"input.settings"}},
		{"settings absent", integrations.Webhook, "ERP", nil, []string{"input.settings"}},
		{"settings not JSON", integrations.Webhook, "ERP", json.RawMessage(`{"url":`), []string{"input.settings"}},
		{"settings over 16 KiB", integrations.Webhook, "ERP", big, []string{"input.settings"}},
		{"everything wrong", "SLACK", "", json.RawMessage(`1`), []string{"input.name", "input.provider", "input.settings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, secret, err := e.svc.Connect(e.owner, tc.provider, tc.title, tc.settings)
			wantCode(t, "connect", err, apperr.Invalid)
			got := fieldsOf(err)
			slices.Sort(got)
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, err)
			}
			if secret != "" {
				t.Fatal("a signing secret for a refused connect")
			}
		})
	}
	if n := e.count(t); n != 0 {
		t.Fatalf("%d integrations stored", n)
	}
	if n := e.hook.connectCount(); n != 0 {
		t.Fatalf("the connector was asked %d times about bad input", n)
	}
	// Exactly 16 KiB is allowed.
	pad := integrations.MaxSettingsBytes - len(`{"x":""}`)
	exact := json.RawMessage(`{"x":"` + strings.Repeat("a", pad) + `"}`)
	if _, _, err := e.svc.Connect(e.owner, integrations.Webhook, "  ERP  ", exact); err != nil {
		t.Fatalf("16 KiB of settings: %v", err)
	}
	list, _ := e.store.ListIntegrations(e.ctx)
	if len(list) != 1 || list[0].Name != "ERP" {
		t.Fatalf("stored %+v", list)
	}
}

func TestService_ConnectLimit(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	for i := range integrations.MaxIntegrations - 1 {
		in := integrations.Integration{ID: ids.NewAt(ids.Integration, now.Add(time.Duration(i)*time.Millisecond)), Provider: integrations.Webhook,
			Name: fmt.Sprintf("Hook %d", i), Settings: json.RawMessage(`{}`), Disconnected: i%2 == 0, CreatedAt: now}
		if err := e.store.CreateIntegration(e.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e.connect(t, integrations.Webhook, "Fiftieth")
	asked := e.hook.connectCount()
	_, _, err := e.svc.Connect(e.owner, integrations.Webhook, "Fifty-first", json.RawMessage(`{"url":"https://erp.example.com/hook"}`))
	wantCode(t, "51st integration", err, apperr.Invalid)
	if n := e.count(t); n != integrations.MaxIntegrations {
		t.Fatalf("%d integrations", n)
	}
	if e.hook.connectCount() != asked {
		t.Fatal("the provider was checked for a refused connect")
	}
}

func TestService_ConnectorErrors(t *testing.T) {
	e := newEnv(t)
	t.Run("a connector's INVALID passes through", func(t *testing.T) {
		e.hook.setConnect(func(context.Context, integrations.ConnectRequest) (integrations.Connection, error) {
			return integrations.Connection{}, apperr.New(apperr.Invalid, "url must be https", "input", "settings", "url")
		})
		_, _, err := e.svc.Connect(e.owner, integrations.Webhook, "ERP", json.RawMessage(`{"url":"http://x"}`))
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid || ae.Message != "url must be https" ||
			strings.Join(ae.Field, ".") != "input.settings.url" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a network error is UNAVAILABLE without its text", func(t *testing.T) {
		e.hook.setConnect(func(context.Context, integrations.ConnectRequest) (integrations.Connection, error) {
			return integrations.Connection{}, errors.New("dial tcp 10.1.2.3:443: connection refused (token=abc123)")
		})
		_, _, err := e.svc.Connect(e.owner, integrations.Webhook, "ERP", json.RawMessage(`{"url":"https://x"}`))
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Unavailable {
			t.Fatalf("got %v", err)
		}
		if strings.Contains(ae.Message, "10.1.2.3") || strings.Contains(ae.Message, "abc123") || ae.Message == "" {
			t.Fatalf("message %q", ae.Message)
		}
		if _, expected := apperr.Expected(err); expected {
			t.Fatal("a network error reported as the caller's fault")
		}
	})
	t.Run("the connector sees the request", func(t *testing.T) {
		var got integrations.ConnectRequest
		e.hook.setConnect(func(_ context.Context, req integrations.ConnectRequest) (integrations.Connection, error) {
			got = req
			return integrations.Connection{Settings: json.RawMessage(`{"url":"https://x"}`)}, nil
		})
		e.svc.Local = true
		defer func() { e.svc.Local = false }()
		in, _, err := e.svc.Connect(e.owner, integrations.Webhook, " ERP ", json.RawMessage(`{"url":"https://x","secret":"s"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.TenantID != e.tn.ID || got.IntegrationID != in.ID || got.Name != "ERP" || !got.Local || string(got.Settings) != `{"url":"https://x","secret":"s"}` {
			t.Fatalf("request %+v", got)
		}
		if stored := e.integration(t, in.ID); stored.SealedSecrets != nil || string(stored.Settings) != `{"url":"https://x"}` {
			t.Fatalf("stored %+v", stored)
		}
	})
	if n := e.count(t); n != 1 {
		t.Fatalf("%d integrations stored", n)
	}
}

func TestService_SecretsAreSealed(t *testing.T) {
	e := newEnv(t)
	const plain = `{"accessToken":"at-very-secret","refreshToken":"rt-very-secret"}`
	e.hook.setConnect(func(_ context.Context, req integrations.ConnectRequest) (integrations.Connection, error) {
		return integrations.Connection{Settings: json.RawMessage(`{"url":"https://x"}`), Secrets: json.RawMessage(plain), SigningSecret: "whsec_1"}, nil
	})
	in, signing, err := e.svc.Connect(e.owner, integrations.Webhook, "ERP", json.RawMessage(`{"url":"https://x"}`))
	if err != nil || signing != "whsec_1" {
		t.Fatalf("connect: %q %v", signing, err)
	}
	stored := e.integration(t, in.ID)
	if len(stored.SealedSecrets) == 0 || bytes.Contains(stored.SealedSecrets, []byte("very-secret")) || bytes.Contains(stored.Settings, []byte("very-secret")) {
		t.Fatalf("secrets stored in the clear: %q / %q", stored.SealedSecrets, stored.Settings)
	}
	opened, err := e.sealer.Open(context.Background(), stored.SealedSecrets, []byte(e.tn.ID+"|"+in.ID))
	if err != nil || string(opened) != plain {
		t.Fatalf("open with tenant|id: %q %v", opened, err)
	}
	if !bytes.Equal(integrations.SecretsAAD(e.tn.ID, in.ID), []byte(e.tn.ID+"|"+in.ID)) {
		t.Fatal("SecretsAAD is not tenant|id")
	}
	// Bound to its owner: another integration's (or tenant's) aad does not open it.
	for _, aad := range []string{e.tn.ID + "|" + ids.New(ids.Integration), ids.New(ids.Tenant) + "|" + in.ID} {
		if _, err := e.sealer.Open(context.Background(), stored.SealedSecrets, []byte(aad)); err == nil {
			t.Fatalf("opened with aad %q", aad)
		}
	}
}

func TestService_Permissions(t *testing.T) {
	e := newEnv(t)
	in, jobID := e.pendingJob(t)
	for _, role := range []identity.Role{identity.Cashier, identity.Manager} {
		ctx := as(e.tn.ID, role)
		_, _, err := e.svc.Connect(ctx, integrations.Webhook, "ERP", json.RawMessage(`{"url":"https://x"}`))
		wantCode(t, string(role)+" connect", err, apperr.Forbidden)
		_, err = e.svc.Disconnect(ctx, in.ID)
		wantCode(t, string(role)+" disconnect", err, apperr.Forbidden)
		_, err = e.svc.Sync(ctx, in.ID)
		wantCode(t, string(role)+" sync", err, apperr.Forbidden)
		_, err = e.svc.RetryJob(ctx, jobID)
		wantCode(t, string(role)+" retry", err, apperr.Forbidden)
	}
	// Nothing changed: one integration, connected, no sync requested, no message.
	if n := e.count(t); n != 1 {
		t.Fatalf("%d integrations", n)
	}
	if got := e.integration(t, in.ID); got.Disconnected {
		t.Fatal("disconnected by a forbidden call")
	}
	if left := e.undispatched(t); len(left) != 0 {
		t.Fatalf("a forbidden sync wrote %+v", left)
	}
	if n := e.queue.len(); n != 1 {
		t.Fatalf("%d messages (a forbidden retry sent one?)", n)
	}

	manager := as(e.tn.ID, identity.Manager)
	if list, err := e.svc.List(manager); err != nil || len(list) != 1 || list[0].ID != in.ID {
		t.Fatalf("manager list: %+v %v", list, err)
	}
	if h, err := e.svc.Get(manager, in.ID); err != nil || h.ID != in.ID {
		t.Fatalf("manager get: %+v %v", h, err)
	}
	if jobs, _, err := e.svc.Jobs(manager, in.ID, "", 10, ""); err != nil || len(jobs) != 1 {
		t.Fatalf("manager jobs: %+v %v", jobs, err)
	}
	cashier := as(e.tn.ID, identity.Cashier)
	_, err := e.svc.List(cashier)
	wantCode(t, "cashier list", err, apperr.Forbidden)
	_, err = e.svc.Get(cashier, in.ID)
	wantCode(t, "cashier get", err, apperr.Forbidden)
	_, _, err = e.svc.Jobs(cashier, in.ID, "", 10, "")
	wantCode(t, "cashier jobs", err, apperr.Forbidden)
	// An API key never manages integrations, whatever its scopes.
	key := identity.WithPrincipal(context.Background(), identity.Principal{TenantID: e.tn.ID, APIKeyID: "key_1", Scopes: identity.AllScopes})
	_, err = e.svc.List(key)
	wantCode(t, "api key list", err, apperr.Forbidden)
	_, err = e.svc.Sync(key, in.ID)
	wantCode(t, "api key sync", err, apperr.Forbidden)
	_, err = e.svc.List(context.Background())
	wantCode(t, "no caller", err, apperr.Unauthenticated)
}

func TestService_SyncAndDisconnect(t *testing.T) {
	e := newEnv(t)
	in := e.connect(t, integrations.Webhook, "ERP")
	_, err := e.svc.Sync(e.owner, ids.New(ids.Integration))
	wantCode(t, "sync of an unknown integration", err, apperr.NotFound)
	_, err = e.svc.Sync(e.owner, "int_#bad")
	wantCode(t, "sync of a garbled id", err, apperr.NotFound)
	got, err := e.svc.Disconnect(e.owner, in.ID)
	if err != nil || !got.Disconnected || got.Status() != integrations.StatusDisconnected {
		t.Fatalf("disconnect: %+v %v", got, err)
	}
	if again, err := e.svc.Disconnect(e.owner, in.ID); err != nil || !again.Disconnected {
		t.Fatalf("disconnect again: %+v %v", again, err)
	}
	_, err = e.svc.Sync(e.owner, in.ID)
	wantCode(t, "sync of a disconnected integration", err, apperr.Invalid)
	if left := e.undispatched(t); len(left) != 0 {
		t.Fatalf("sync requests written: %+v", left)
	}
	// Another tenant's owner can neither see nor disconnect it.
	stranger := as(ids.New(ids.Tenant), identity.Owner)
	_, err = e.svc.Disconnect(stranger, e.connect(t, integrations.Webhook, "Mine").ID)
	wantCode(t, "another tenant's disconnect", err, apperr.NotFound)
}

func TestService_RetryJob(t *testing.T) {
	e := newEnv(t)
	in := e.connect(t, integrations.Webhook, "ERP")
	done, failed, pending := e.event(integrations.EventOrderCompleted), e.event(integrations.EventOrderRefunded), e.event(integrations.EventRegisterClosed)
	e.dispatch(t, done, failed, pending)
	doneID, failedID, pendingID := deliverJob(in, done), deliverJob(in, failed), deliverJob(in, pending)
	if out := e.handle(doneID, 1); !out.Ack {
		t.Fatal(out)
	}
	e.hook.setRun(failWith(integrations.Permanent(errors.New("ERP refused the event"))))
	if out := e.handle(failedID, 1); !out.Ack {
		t.Fatal(out)
	}
	e.hook.setRun(nil)
	counters(t, e, in.ID, 1, 1)

	sent := e.queue.len()
	_, err := e.svc.RetryJob(e.owner, doneID)
	wantCode(t, "retry of a SUCCEEDED job", err, apperr.Invalid)
	_, err = e.svc.RetryJob(e.owner, ids.New(integrations.JobIDPrefix))
	wantCode(t, "retry of an unknown job", err, apperr.NotFound)
	_, err = e.svc.RetryJob(e.owner, "job_#x")
	wantCode(t, "retry of a garbled id", err, apperr.NotFound)
	_, err = e.svc.RetryJob(as(ids.New(ids.Tenant), identity.Owner), failedID)
	wantCode(t, "retry of another tenant's job", err, apperr.NotFound)
	if n := e.queue.len(); n != sent {
		t.Fatalf("%d messages sent for refused retries", n-sent)
	}

	j, err := e.svc.RetryJob(e.owner, failedID)
	if err != nil || j.ID != failedID || j.Status != integrations.JobPending || j.Attempts != 0 {
		t.Fatalf("retry of a FAILED job: %+v %v", j, err)
	}
	if msgs := e.queue.since(sent); len(msgs) != 1 || msgs[0].JobID != failedID || msgs[0].TenantID != e.tn.ID {
		t.Fatalf("messages %+v", msgs)
	}
	counters(t, e, in.ID, 2, 0)
	if stored := e.job(t, failedID); stored.Status != integrations.JobPending || stored.Attempts != 0 {
		t.Fatalf("stored %+v", stored)
	}
	// It runs again, and succeeds.
	if out := e.handle(failedID, 1); !out.Ack {
		t.Fatal(out)
	}
	if stored := e.job(t, failedID); stored.Status != integrations.JobSucceeded || stored.Attempts != 1 {
		t.Fatalf("retried job %+v", stored)
	}
	counters(t, e, in.ID, 1, 0)

	sent = e.queue.len()
	before := e.job(t, pendingID)
	j, err = e.svc.RetryJob(e.owner, pendingID)
	if err != nil || j.Status != integrations.JobPending {
		t.Fatalf("retry of a PENDING job: %+v %v", j, err)
	}
	if msgs := e.queue.since(sent); len(msgs) != 1 || msgs[0].JobID != pendingID {
		t.Fatalf("messages %+v", msgs)
	}
	if after := e.job(t, pendingID); !after.UpdatedAt.Equal(before.UpdatedAt) || after.Attempts != 0 {
		t.Fatalf("a PENDING job was rewritten: %+v", after)
	}
	counters(t, e, in.ID, 1, 0)

	t.Run("a RUNNING job", func(t *testing.T) {
		if _, _, err := e.store.ClaimJob(e.ctx, pendingID, e.clock.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.RetryJob(e.owner, pendingID)
		wantCode(t, "retry of a RUNNING job", err, apperr.Invalid)
		// Its worker died on the message's last delivery: once the lease
		// has run out, a retry sends a message the next claim takes over.
		e.clock.Advance(2 * time.Minute)
		sent := e.queue.len()
		if j, err := e.svc.RetryJob(e.owner, pendingID); err != nil || j.Status != integrations.JobRunning {
			t.Fatalf("retry of a RUNNING job past its lease: %+v %v", j, err)
		}
		if msgs := e.queue.since(sent); len(msgs) != 1 || msgs[0].JobID != pendingID {
			t.Fatalf("messages %+v", msgs)
		}
	})
	t.Run("the queue down", func(t *testing.T) {
		e.hook.setRun(failWith(integrations.Permanent(errors.New("no"))))
		e.clock.Advance(2 * time.Minute)
		if out := e.handle(pendingID, 1); !out.Ack {
			t.Fatal(out)
		}
		e.queue.setFail(errors.New("sqs down"))
		_, err := e.svc.RetryJob(e.owner, pendingID)
		wantCode(t, "retry with the queue down", err, apperr.Unavailable)
		// The job is queued again in the table; retrying the call sends it.
		e.queue.setFail(nil)
		if j, err := e.svc.RetryJob(e.owner, pendingID); err != nil || j.Status != integrations.JobPending {
			t.Fatalf("retry again: %+v %v", j, err)
		}
	})
}

func TestService_ListAndGetReportLag(t *testing.T) {
	e := newEnv(t)
	lagging := e.connect(t, integrations.Webhook, "Lagging")
	e.clock.Advance(time.Millisecond) // ids sort by creation time at millisecond resolution
	idle := e.connect(t, integrations.Freee, "Idle")
	ev := e.event(integrations.EventOrderCompleted)
	ev.CreatedAt = e.clock.Now().Add(-5 * time.Minute)
	ev.ID = ids.NewAt("evt", ev.CreatedAt)
	e.books.setPlan(func(integrations.Event, integrations.Integration) ([]integrations.JobSpec, error) { return nil, nil })
	e.dispatch(t, ev)

	list, err := e.svc.List(e.owner)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list[0].ID != lagging.ID || list[1].ID != idle.ID {
		t.Fatalf("order %s %s", list[0].Name, list[1].Name)
	}
	if !list[0].HasLag || list[0].Lag != 5*time.Minute || list[0].PendingJobs != 1 {
		t.Fatalf("lagging: %+v", list[0])
	}
	if list[1].HasLag || list[1].Lag != 0 {
		t.Fatalf("idle: %+v", list[1])
	}
	h, err := e.svc.Get(e.owner, lagging.ID)
	if err != nil || !h.HasLag || h.Lag != 5*time.Minute {
		t.Fatalf("get: %+v %v", h, err)
	}
	_, err = e.svc.Get(e.owner, ids.New(ids.Integration))
	wantCode(t, "get unknown", err, apperr.NotFound)

	// The job delivered: no lag.
	if out := e.handle(deliverJob(lagging, ev), 1); !out.Ack {
		t.Fatal(out)
	}
	if h, err := e.svc.Get(e.owner, lagging.ID); err != nil || h.HasLag || h.Lag != 0 || h.LastSuccessAt.IsZero() {
		t.Fatalf("after delivery: %+v %v", h, err)
	}

	// Another tenant lists none of them.
	if other, err := e.svc.List(as(ids.New(ids.Tenant), identity.Owner)); err != nil || len(other) != 0 {
		t.Fatalf("another tenant's list: %+v %v", other, err)
	}
}

func TestService_Jobs(t *testing.T) {
	e := newEnv(t)
	in := e.connect(t, integrations.Webhook, "ERP")
	var evs []integrations.Event
	for i := range 3 {
		ev := e.event(integrations.EventOrderCompleted)
		ev.CreatedAt = e.clock.Now().Add(time.Duration(i-10) * time.Second)
		ev.ID = ids.NewAt("evt", ev.CreatedAt)
		evs = append(evs, ev)
	}
	e.dispatch(t, evs...)
	e.hook.setRun(failWith(integrations.Permanent(errors.New("refused"))))
	if out := e.handle(deliverJob(in, evs[0]), 1); !out.Ack {
		t.Fatal(out)
	}

	for _, first := range []int{0, -1, integrations.MaxJobsPage + 1} {
		_, _, err := e.svc.Jobs(e.owner, in.ID, "", first, "")
		wantCode(t, fmt.Sprintf("first %d", first), err, apperr.Invalid)
		if f := fieldsOf(err); len(f) != 1 || f[0] != "first" {
			t.Fatalf("first %d: fields %v", first, f)
		}
	}
	_, _, err := e.svc.Jobs(e.owner, in.ID, "DONE", 10, "")
	wantCode(t, "bad status", err, apperr.Invalid)
	if f := fieldsOf(err); len(f) != 1 || f[0] != "status" {
		t.Fatalf("bad status: fields %v", f)
	}
	if jobs, _, err := e.svc.Jobs(e.owner, in.ID, "", integrations.MaxJobsPage, ""); err != nil || len(jobs) != 3 {
		t.Fatalf("first %d: %d jobs, %v", integrations.MaxJobsPage, len(jobs), err)
	}

	// Newest first, paged.
	page, cursor, err := e.svc.Jobs(e.owner, in.ID, "", 2, "")
	if err != nil || len(page) != 2 || cursor == "" || page[0].ID != deliverJob(in, evs[2]) || page[1].ID != deliverJob(in, evs[1]) {
		t.Fatalf("page 1: %+v %q %v", page, cursor, err)
	}
	page, cursor, err = e.svc.Jobs(e.owner, in.ID, "", 2, cursor)
	if err != nil || len(page) != 1 || cursor != "" || page[0].ID != deliverJob(in, evs[0]) {
		t.Fatalf("page 2: %+v %q %v", page, cursor, err)
	}
	// By status.
	if failed, _, err := e.svc.Jobs(e.owner, in.ID, integrations.JobFailed, 10, ""); err != nil || len(failed) != 1 ||
		failed[0].ID != deliverJob(in, evs[0]) || failed[0].LastError != "refused" {
		t.Fatalf("failed jobs: %+v %v", failed, err)
	}
	if pending, _, err := e.svc.Jobs(e.owner, in.ID, integrations.JobPending, 10, ""); err != nil || len(pending) != 2 {
		t.Fatalf("pending jobs: %+v %v", pending, err)
	}

	// Another tenant's integration: NOT_FOUND, for its owner too.
	_, _, err = e.svc.Jobs(as(ids.New(ids.Tenant), identity.Owner), in.ID, "", 10, "")
	wantCode(t, "another tenant's integration", err, apperr.NotFound)
	_, _, err = e.svc.Jobs(e.owner, ids.New(ids.Integration), "", 10, "")
	wantCode(t, "unknown integration", err, apperr.NotFound)
	_, _, err = e.svc.Jobs(e.owner, "int_#x", "", 10, "")
	wantCode(t, "garbled integration id", err, apperr.NotFound)
}
