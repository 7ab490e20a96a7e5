package integrations_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamo/dynamotest"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/secretbox"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The hub's core against the real store on DynamoDB Local (one server for
// the package, a table per test), the real sealer, an in-test connector
// whose behaviour each test sets, and a queue that records what is sent.

var (
	ddbEndpoint string
	tableSeq    atomic.Int64
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start DynamoDB Local:", err)
		os.Exit(1)
	}
	ddbEndpoint = srv.Endpoint()
	code := m.Run()
	_ = srv.Stop()
	os.Exit(code)
}

func newTable(tb testing.TB) *dynamo.Table {
	tb.Helper()
	c, err := dynamolocal.NewClient(tb.Context(), ddbEndpoint)
	if err != nil {
		tb.Fatal(err)
	}
	t := dynamo.New(c, fmt.Sprintf("hub%d_%d", time.Now().UnixNano(), tableSeq.Add(1)))
	if err := t.EnsureTable(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return t
}

// clock is the hub's clock in a test: it starts at the real time and moves
// only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recQueue records the messages sent; fail makes Send fail.
type recQueue struct {
	mu   sync.Mutex
	msgs []integrations.Message
	fail error
}

func (q *recQueue) Send(_ context.Context, msgs []integrations.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.msgs = append(q.msgs, msgs...)
	return nil
}

func (q *recQueue) setFail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fail = err
}

// since returns the messages sent after the first n.
func (q *recQueue) since(n int) []integrations.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.msgs[n:])
}

func (q *recQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// fakeConn is a connector whose behaviour a test sets.
type fakeConn struct {
	provider integrations.Provider

	mu       sync.Mutex
	connectF func(ctx context.Context, req integrations.ConnectRequest) (integrations.Connection, error)
	planF    func(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error)
	runF     func(ctx context.Context, c integrations.Config, job integrations.Job) error
	syncF    func(ctx context.Context, c integrations.Config) ([]integrations.JobSpec, error)
	connects int
	planned  []string // integration id + "|" + event id
	runs     []integrations.Job
	runCfgs  []integrations.Config
	runTids  []string // the tenant in each Run's ctx
	syncs    int
}

func newFakeConn(p integrations.Provider) *fakeConn { return &fakeConn{provider: p} }

func (f *fakeConn) Provider() integrations.Provider { return f.provider }

func (f *fakeConn) Connect(ctx context.Context, req integrations.ConnectRequest) (integrations.Connection, error) {
	f.mu.Lock()
	f.connects++
	fn := f.connectF
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req)
	}
	return integrations.Connection{Settings: req.Settings, Secrets: json.RawMessage(`{"token":"tok-` + req.IntegrationID + `"}`),
		SigningSecret: "whsec-" + req.IntegrationID}, nil
}

func (f *fakeConn) Plan(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error) {
	f.mu.Lock()
	f.planned = append(f.planned, in.ID+"|"+ev.ID)
	fn := f.planF
	f.mu.Unlock()
	if fn != nil {
		return fn(ev, in)
	}
	return []integrations.JobSpec{{Kind: integrations.KindDeliverEvent, Event: ev}}, nil
}

func (f *fakeConn) Run(ctx context.Context, c integrations.Config, job integrations.Job) error {
	tid, _ := tenant.IDFrom(ctx)
	f.mu.Lock()
	f.runs = append(f.runs, job)
	f.runCfgs = append(f.runCfgs, c)
	f.runTids = append(f.runTids, tid)
	fn := f.runF
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, c, job)
	}
	return nil
}

func (f *fakeConn) Sync(ctx context.Context, c integrations.Config) ([]integrations.JobSpec, error) {
	f.mu.Lock()
	f.syncs++
	fn := f.syncF
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, c)
	}
	return nil, nil
}

func (f *fakeConn) setRun(fn func(ctx context.Context, c integrations.Config, job integrations.Job) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runF = fn
}

func (f *fakeConn) setPlan(fn func(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planF = fn
}

func (f *fakeConn) setConnect(fn func(ctx context.Context, req integrations.ConnectRequest) (integrations.Connection, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connectF = fn
}

func (f *fakeConn) setSync(fn func(ctx context.Context, c integrations.Config) ([]integrations.JobSpec, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncF = fn
}

func (f *fakeConn) runCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs)
}

func (f *fakeConn) connectCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connects
}

func (f *fakeConn) plannedFor(integrationID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.planned {
		if len(p) > len(integrationID) && p[:len(integrationID)+1] == integrationID+"|" {
			n++
		}
	}
	return n
}

// testBackoff waits attempt minutes: deterministic, so delays are exact.
func testBackoff(attempt int) time.Duration { return time.Duration(attempt) * time.Minute }

// env is one tenant's hub on a fresh table.
type env struct {
	table  *dynamo.Table
	store  *dynamo.IntegrationStore
	sealer *secretbox.Box
	queue  *recQueue
	hook   *fakeConn // WEBHOOK
	books  *fakeConn // FREEE
	clock  *clock
	disp   *integrations.Dispatcher
	worker *integrations.Worker
	svc    *integrations.Service
	tn     tenant.Tenant
	ctx    context.Context // the tenant's, without a principal
	owner  context.Context // an OWNER of the tenant
}

func newEnv(t *testing.T) *env {
	t.Helper()
	table := newTable(t)
	kek := make([]byte, secretbox.KeySize)
	for i := range kek {
		kek[i] = byte(i + 1)
	}
	sealer, err := secretbox.NewLocalKey(kek)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{table: table, store: dynamo.NewIntegrationStore(table), sealer: sealer, queue: &recQueue{},
		hook: newFakeConn(integrations.Webhook), books: newFakeConn(integrations.Freee),
		clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}}
	conns := map[integrations.Provider]integrations.Connector{integrations.Webhook: e.hook, integrations.Freee: e.books}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.disp = &integrations.Dispatcher{Store: e.store, Queue: e.queue, Connectors: conns, Now: e.clock.Now, Logger: quiet}
	e.worker = &integrations.Worker{Store: e.store, Connectors: conns, Sealer: sealer, Dispatcher: e.disp, Queue: e.queue,
		Now: e.clock.Now, Lease: 2 * time.Minute, RunTimeout: 10 * time.Second, Backoff: testBackoff, Logger: quiet}
	e.svc = &integrations.Service{Store: e.store, Connectors: conns, Sealer: sealer, Queue: e.queue, Now: e.clock.Now, Logger: quiet}
	e.tn = dynamotest.MustTenant(t, table, "Kissa")
	e.ctx = tenant.WithID(context.Background(), e.tn.ID)
	e.owner = as(e.tn.ID, identity.Owner)
	return e
}

// as is a context whose caller is a user of tenant tid with role.
func as(tid string, role identity.Role) context.Context {
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: tid, UserID: ids.New(ids.User), Role: role})
}

// connect connects an integration as the owner.
func (e *env) connect(tb testing.TB, p integrations.Provider, name string) integrations.Integration {
	tb.Helper()
	in, _, err := e.svc.Connect(e.owner, p, name, json.RawMessage(`{"url":"https://erp.example.com/hook"}`))
	if err != nil {
		tb.Fatalf("connect %s: %v", name, err)
	}
	return in
}

// event is a business event of the tenant, a second old.
func (e *env) event(typ string) integrations.Event {
	at := e.clock.Now().Add(-time.Second)
	return integrations.Event{ID: ids.NewAt("evt", at), Type: typ, CreatedAt: at, TenantID: e.tn.ID,
		Data: json.RawMessage(`{"orderId":"ord_1","total":1200}`)}
}

func (e *env) integration(tb testing.TB, id string) integrations.Integration {
	tb.Helper()
	in, err := e.store.GetIntegration(e.ctx, id)
	if err != nil {
		tb.Fatalf("get integration %s: %v", id, err)
	}
	return in
}

func (e *env) job(tb testing.TB, id string) integrations.Job {
	tb.Helper()
	j, err := e.store.GetJob(e.ctx, id)
	if err != nil {
		tb.Fatalf("get job %s: %v", id, err)
	}
	return j
}

func (e *env) jobsOf(tb testing.TB, integrationID string) []integrations.Job {
	tb.Helper()
	list, _, err := e.store.ListJobs(e.ctx, integrationID, "", integrations.MaxJobsPage, "")
	if err != nil {
		tb.Fatalf("list jobs: %v", err)
	}
	return list
}

func (e *env) dispatch(tb testing.TB, events ...integrations.Event) {
	tb.Helper()
	if err := e.disp.Dispatch(context.Background(), events); err != nil {
		tb.Fatalf("dispatch: %v", err)
	}
}

func (e *env) undispatched(tb testing.TB) []integrations.Event {
	tb.Helper()
	list, err := e.store.Undispatched(context.Background(), e.clock.Now().Add(time.Hour), 48*time.Hour, 100)
	if err != nil {
		tb.Fatalf("undispatched: %v", err)
	}
	return list
}

// handle delivers the message of job id to the worker.
func (e *env) handle(id string, receiveCount int) integrations.Outcome {
	return e.worker.Handle(context.Background(), integrations.Message{TenantID: e.tn.ID, JobID: id}, receiveCount)
}

// deliverJob is the id of the DELIVER_EVENT job of ev for in.
func deliverJob(in integrations.Integration, ev integrations.Event) string {
	return integrations.NewJob(in, integrations.JobSpec{Kind: integrations.KindDeliverEvent, Event: ev}).ID
}

// createCustomer writes a customer, and with it a customer.created outbox
// event dated at.
func (e *env) createCustomer(tb testing.TB, ctx context.Context, at time.Time) {
	tb.Helper()
	c, err := sales.NewCustomer(ids.New(sales.CustomerIDPrefix), "Tanaka", "t@example.com", "", at)
	if err != nil {
		tb.Fatal(err)
	}
	if err := dynamo.NewSalesStore(e.table).CreateCustomer(ctx, c); err != nil {
		tb.Fatal(err)
	}
}

func jobIDs(msgs []integrations.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.JobID
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func wantCode(tb testing.TB, what string, err error, code apperr.Code) {
	tb.Helper()
	if !apperr.Is(err, code) {
		tb.Fatalf("%s: want %s, got %v", what, code, err)
	}
}

func counters(tb testing.TB, e *env, id string, pending, failed int64) {
	tb.Helper()
	in := e.integration(tb, id)
	if in.PendingJobs != pending || in.FailedJobs != failed {
		tb.Fatalf("integration %s counters: pending %d failed %d, want %d %d", in.Name, in.PendingJobs, in.FailedJobs, pending, failed)
	}
}

func TestDispatch_OneJobPerEventAndInterestedIntegration(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	books := e.connect(t, integrations.Freee, "Books")
	old := e.connect(t, integrations.Webhook, "Old ERP")
	if _, err := e.svc.Disconnect(e.owner, old.ID); err != nil {
		t.Fatal(err)
	}
	// The accounting connector wants closes only, as one job per location.
	e.books.setPlan(func(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error) {
		if ev.Type != integrations.EventRegisterClosed {
			return nil, nil
		}
		return []integrations.JobSpec{{Kind: integrations.KindPostDailySales, Key: "loc_1|2026-11-30", Event: ev}}, nil
	})
	sale, closed := e.event(integrations.EventOrderCompleted), e.event(integrations.EventRegisterClosed)
	e.dispatch(t, sale, closed)

	want := map[string]struct {
		in   integrations.Integration
		kind string
		key  string
		ev   integrations.Event
	}{
		deliverJob(erp, sale):   {erp, integrations.KindDeliverEvent, "", sale},
		deliverJob(erp, closed): {erp, integrations.KindDeliverEvent, "", closed},
		integrations.NewJob(books, integrations.JobSpec{Kind: integrations.KindPostDailySales, Key: "loc_1|2026-11-30", Event: closed}).ID: {
			books, integrations.KindPostDailySales, "loc_1|2026-11-30", closed},
	}
	for id, w := range want {
		j := e.job(t, id)
		if j.Status != integrations.JobPending || j.Attempts != 0 || j.TenantID != e.tn.ID || j.IntegrationID != w.in.ID ||
			j.Provider != w.in.Provider || j.Kind != w.kind || j.Key != w.key || j.Event.ID != w.ev.ID || j.Event.Type != w.ev.Type ||
			string(j.Event.Data) != string(w.ev.Data) || !j.CreatedAt.Equal(w.ev.CreatedAt) {
			t.Errorf("job %s: %+v", id, j)
		}
	}
	if n := len(e.jobsOf(t, erp.ID)); n != 2 {
		t.Errorf("ERP has %d jobs, want 2", n)
	}
	if n := len(e.jobsOf(t, books.ID)); n != 1 {
		t.Errorf("Books has %d jobs, want 1 (the sale does not interest it)", n)
	}
	if n := len(e.jobsOf(t, old.ID)); n != 0 {
		t.Errorf("the disconnected integration got %d jobs", n)
	}
	if e.hook.plannedFor(old.ID) != 0 {
		t.Error("the disconnected integration's connector was asked to plan")
	}
	counters(t, e, erp.ID, 2, 0)
	counters(t, e, books.ID, 1, 0)
	counters(t, e, old.ID, 0, 0)

	msgs := e.queue.since(0)
	var wantIDs []string
	for id := range want {
		wantIDs = append(wantIDs, id)
	}
	if !slices.Equal(jobIDs(msgs), sorted(wantIDs...)) {
		t.Fatalf("messages %+v, want one per job %v", msgs, wantIDs)
	}
	for _, m := range msgs {
		if m.TenantID != e.tn.ID || m.Delay != 0 {
			t.Errorf("message %+v", m)
		}
	}
}

func TestDispatch_AddressedEventGoesOnlyThere(t *testing.T) {
	e := newEnv(t)
	a := e.connect(t, integrations.Webhook, "A")
	b := e.connect(t, integrations.Webhook, "B")
	ev := e.event(integrations.EventShopifyOrder)
	ev.IntegrationID = b.ID
	e.dispatch(t, ev)
	if n := len(e.jobsOf(t, a.ID)); n != 0 {
		t.Errorf("A got %d jobs of an event addressed to B", n)
	}
	if e.hook.plannedFor(a.ID) != 0 {
		t.Error("A's connector was asked to plan an event addressed to B")
	}
	jobs := e.jobsOf(t, b.ID)
	if len(jobs) != 1 || jobs[0].ID != deliverJob(b, ev) || jobs[0].Event.IntegrationID != b.ID {
		t.Fatalf("B's jobs: %+v", jobs)
	}
	counters(t, e, a.ID, 0, 0)
	counters(t, e, b.ID, 1, 0)
	if got := jobIDs(e.queue.since(0)); !slices.Equal(got, []string{jobs[0].ID}) {
		t.Fatalf("messages for %v", got)
	}
}

func TestDispatch_AgainMakesNoJobButResendsPending(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	e1, e2 := e.event(integrations.EventOrderCompleted), e.event(integrations.EventOrderRefunded)
	e.dispatch(t, e1, e2)
	counters(t, e, erp.ID, 2, 0)
	j1, j2 := deliverJob(erp, e1), deliverJob(erp, e2)
	before := e.job(t, j2)

	// e1's job is delivered; e2's is still pending.
	if out := e.handle(j1, 1); !out.Ack {
		t.Fatalf("run e1's job: %+v", out)
	}
	counters(t, e, erp.ID, 1, 0)

	for round := range 2 {
		n := e.queue.len()
		e.dispatch(t, e1, e2)
		counters(t, e, erp.ID, 1, 0)
		if jobs := e.jobsOf(t, erp.ID); len(jobs) != 2 {
			t.Fatalf("round %d: %d jobs, want the same 2", round, len(jobs))
		}
		if got := jobIDs(e.queue.since(n)); !slices.Equal(got, []string{j2}) {
			t.Fatalf("round %d: re-sent %v, want only the pending job %s", round, got, j2)
		}
		if after := e.job(t, j2); after.Status != integrations.JobPending || after.Attempts != 0 || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("round %d: pending job rewritten: %+v", round, after)
		}
		if j := e.job(t, j1); j.Status != integrations.JobSucceeded {
			t.Fatalf("round %d: delivered job is %s", round, j.Status)
		}
	}
	if n := e.hook.runCount(); n != 1 {
		t.Fatalf("connector ran %d times", n)
	}
}

func TestDispatch_MarksOutboxEventsOnly(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	e.createCustomer(t, e.ctx, e.clock.Now().Add(-time.Second))
	inbound := integrations.Event{Type: integrations.EventShopifyOrder, CreatedAt: e.clock.Now().Add(-time.Second), IntegrationID: erp.ID,
		Data: json.RawMessage(`{"order":1}`)}
	if dup, err := e.store.RecordInbound(e.ctx, inbound, "wh-1"); err != nil || dup {
		t.Fatalf("record inbound: %v %v", dup, err)
	}
	outbox := e.undispatched(t)
	if len(outbox) != 2 {
		t.Fatalf("outbox: %+v", outbox)
	}
	for _, ev := range outbox {
		if !ev.FromOutbox {
			t.Fatalf("outbox event not FromOutbox: %+v", ev)
		}
	}

	// The same event handed over as a derived one is not the outbox's to mark.
	derived := outbox[0]
	derived.FromOutbox = false
	e.dispatch(t, derived)
	if left := e.undispatched(t); len(left) != 2 {
		t.Fatalf("a derived event marked the outbox: %d left", len(left))
	}
	counters(t, e, erp.ID, 1, 0)

	e.dispatch(t, outbox...)
	if left := e.undispatched(t); len(left) != 0 {
		t.Fatalf("outbox events still undispatched: %+v", left)
	}
	counters(t, e, erp.ID, 2, 0) // the derived dispatch's job is the same job
	if jobs := e.jobsOf(t, erp.ID); len(jobs) != 2 {
		t.Fatalf("%d jobs", len(jobs))
	}
}

func TestDispatch_TenantWithoutIntegrations(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP") // the other tenant's
	other := ids.New(ids.Tenant)                     // a tenant without integrations
	e.createCustomer(t, tenant.WithID(context.Background(), other), e.clock.Now().Add(-time.Second))
	outbox := e.undispatched(t)
	if len(outbox) != 1 || outbox[0].TenantID != other {
		t.Fatalf("outbox: %+v", outbox)
	}
	e.dispatch(t, outbox...)
	if left := e.undispatched(t); len(left) != 0 {
		t.Fatalf("not marked dispatched: %+v", left)
	}
	if n := e.queue.len(); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
	if e.hook.plannedFor(erp.ID) != 0 {
		t.Fatal("another tenant's integration planned the event")
	}
	counters(t, e, erp.ID, 0, 0)

	// An event without a valid tenant is skipped, not an error.
	bad := e.event(integrations.EventOrderCompleted)
	bad.TenantID = "nope"
	e.dispatch(t, bad)
	if n := e.queue.len(); n != 0 {
		t.Fatalf("%d messages for an event without a tenant", n)
	}
}

func TestDispatch_PlanErrorSkipsOnlyThatIntegration(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	books := e.connect(t, integrations.Freee, "Books")
	e.books.setPlan(func(integrations.Event, integrations.Integration) ([]integrations.JobSpec, error) {
		return nil, errors.New("bad mapping")
	})
	ev := e.event(integrations.EventOrderCompleted)
	e.dispatch(t, ev)
	counters(t, e, erp.ID, 1, 0)
	counters(t, e, books.ID, 0, 0)
}

func TestSweep_DispatchesStragglersOnce(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	const grace, lookback = 2 * time.Minute, time.Hour
	now := e.clock.Now()
	e.createCustomer(t, e.ctx, now.Add(-3*time.Minute))  // the stream missed it
	e.createCustomer(t, e.ctx, now.Add(-30*time.Second)) // the stream is still on it
	sweep := func(at time.Time) int {
		t.Helper()
		n, err := e.disp.Sweep(context.Background(), at, grace, lookback, 100)
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
		return n
	}

	if n := sweep(now); n != 1 {
		t.Fatalf("first sweep dispatched %d events, want the one older than the grace", n)
	}
	counters(t, e, erp.ID, 1, 0)
	if left := e.undispatched(t); len(left) != 1 || !left[0].CreatedAt.Equal(now.Add(-30*time.Second)) {
		t.Fatalf("left undispatched: %+v", left)
	}
	if n := sweep(now); n != 0 {
		t.Fatalf("second sweep dispatched %d", n)
	}
	counters(t, e, erp.ID, 1, 0)
	if n := e.queue.len(); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}

	later := now.Add(grace)
	if n := sweep(later); n != 1 {
		t.Fatalf("sweep after the grace dispatched %d", n)
	}
	if n := sweep(later); n != 0 {
		t.Fatalf("sweep again dispatched %d", n)
	}
	counters(t, e, erp.ID, 2, 0)
	if n := e.queue.len(); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}

	t.Run("a send that fails leaves the event for the next sweep", func(t *testing.T) {
		e.createCustomer(t, e.ctx, now.Add(-5*time.Minute))
		e.queue.setFail(errors.New("sqs down"))
		if _, err := e.disp.Sweep(context.Background(), now, grace, lookback, 100); err == nil {
			t.Fatal("sweep with the queue down succeeded")
		}
		counters(t, e, erp.ID, 3, 0) // the job was written before the send
		if left := e.undispatched(t); len(left) != 1 {
			t.Fatalf("the unsent event was marked dispatched: %+v", left)
		}
		e.queue.setFail(nil)
		n := e.queue.len()
		if got := sweep(now); got != 1 {
			t.Fatalf("sweep dispatched %d", got)
		}
		counters(t, e, erp.ID, 3, 0)
		if msgs := e.queue.since(n); len(msgs) != 1 {
			t.Fatalf("messages after the repair: %+v", msgs)
		}
		if left := e.undispatched(t); len(left) != 0 {
			t.Fatalf("still undispatched: %+v", left)
		}
		if jobs := e.jobsOf(t, erp.ID); len(jobs) != 3 {
			t.Fatalf("%d jobs, want 3", len(jobs))
		}
	})
}

func TestDispatch_ResendOfAWaitingJobWaitsForIt(t *testing.T) {
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	soon, late := e.event(integrations.EventOrderCompleted), e.event(integrations.EventOrderRefunded)
	e.dispatch(t, soon, late)
	e.hook.setRun(failWith(errors.New("ERP answered 503")))
	e.worker.Backoff = func(int) time.Duration { return time.Minute }
	e.handle(deliverJob(erp, soon), 1)
	e.worker.Backoff = func(int) time.Duration { return 2 * time.Hour }
	e.handle(deliverJob(erp, late), 1)
	e.clock.Advance(10 * time.Second)

	n := e.queue.len()
	e.dispatch(t, soon, late)
	delays := map[string]time.Duration{}
	for _, m := range e.queue.since(n) {
		delays[m.JobID] = m.Delay
	}
	if len(delays) != 2 || delays[deliverJob(erp, soon)] != 50*time.Second || delays[deliverJob(erp, late)] != 15*time.Minute {
		t.Fatalf("re-sent with delays %v, want 50s and SQS's 15 min cap", delays)
	}
	counters(t, e, erp.ID, 2, 0)
}

func TestDispatch_ConcurrentDeliveriesOfTheSameEventsCountOnce(t *testing.T) {
	// The stream, a redelivered stream batch and the sweeper at once.
	e := newEnv(t)
	erp := e.connect(t, integrations.Webhook, "ERP")
	books := e.connect(t, integrations.Freee, "Books")
	var evs []integrations.Event
	for range 5 {
		evs = append(evs, e.event(integrations.EventOrderCompleted))
	}
	evs = append(evs, evs[0]) // an event twice in one batch
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.disp.Dispatch(context.Background(), evs)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	counters(t, e, erp.ID, 5, 0)
	counters(t, e, books.ID, 5, 0)
	if n := len(e.jobsOf(t, erp.ID)) + len(e.jobsOf(t, books.ID)); n != 10 {
		t.Fatalf("%d jobs, want 10", n)
	}
	seen := map[string]bool{}
	for _, m := range e.queue.since(0) {
		seen[m.JobID] = true
	}
	if len(seen) != 10 {
		t.Fatalf("messages for %d jobs, want all 10", len(seen))
	}
}
