package integrations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Dispatcher turns events into jobs: one per (event, interested
// integration, kind, key). It is idempotent — job ids are derived, so the
// stream, a redelivered stream batch and the sweeper may all hand it the
// same event — and it sends a message for every job still PENDING, so a
// crash between writing a job and sending it is repaired by the next
// delivery of the event. Outbox events are marked dispatched last.
type Dispatcher struct {
	Store      Store
	Queue      Queue
	Connectors map[Provider]Connector
	Logger     *slog.Logger
	Now        func() time.Time
}

// maxJobsPerWrite bounds one CreateJobs call (a transaction holds ≤ 100
// actions: a job and its counter each).
const maxJobsPerWrite = 40

// Dispatch plans and queues the jobs of events (of any tenants). It reads
// each tenant's integrations once per call, after the events were written,
// so an integration connected before an event was created always sees it.
// An error means some events may not be fully dispatched: the caller
// delivers them again.
func (d *Dispatcher) Dispatch(ctx context.Context, events []Event) error {
	byTenant := map[string][]Event{}
	var order []string
	for _, ev := range events {
		if !ids.Valid(ids.Tenant, ev.TenantID) {
			d.logger().Error("event without a valid tenant skipped", slog.String("event", ev.ID))
			continue
		}
		if _, ok := byTenant[ev.TenantID]; !ok {
			order = append(order, ev.TenantID)
		}
		byTenant[ev.TenantID] = append(byTenant[ev.TenantID], ev)
	}
	var errs []error
	for _, tid := range order {
		if err := d.dispatchTenant(tenant.WithID(ctx, tid), byTenant[tid]); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tid, err))
		}
	}
	return errors.Join(errs...)
}

func (d *Dispatcher) dispatchTenant(ctx context.Context, events []Event) error {
	list, err := d.Store.ListIntegrations(ctx)
	if err != nil {
		return err
	}
	byID := map[string]Integration{}
	for _, in := range list {
		byID[in.ID] = in
	}
	var jobs []Job
	for _, ev := range events {
		for _, in := range list {
			if in.Disconnected || (ev.IntegrationID != "" && ev.IntegrationID != in.ID) {
				continue
			}
			specs, err := d.plan(ev, in)
			if err != nil {
				d.logger().Error("event not planned", slog.String("event", ev.ID), slog.String("integration", in.ID), slog.String("error", err.Error()))
				continue
			}
			for _, sp := range specs {
				jobs = append(jobs, NewJob(in, sp))
			}
		}
	}
	if err := d.write(ctx, jobs); err != nil {
		return err
	}
	var errs []error
	for _, ev := range events {
		if ev.FromOutbox {
			if err := d.Store.MarkDispatched(ctx, ev.ID, d.now()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// plan asks the connector, except for the hub's own sync requests.
func (d *Dispatcher) plan(ev Event, in Integration) ([]JobSpec, error) {
	if ev.Type == EventSync {
		if ev.IntegrationID != in.ID {
			return nil, nil
		}
		return []JobSpec{{Kind: KindSync, Key: ev.ID, Event: ev}}, nil
	}
	c, ok := d.Connectors[in.Provider]
	if !ok {
		return nil, fmt.Errorf("no connector for %s", in.Provider)
	}
	return c.Plan(ev, in)
}

// Enqueue writes and sends the jobs of specs for one integration (a
// sync's jobs). It returns the jobs as stored.
func (d *Dispatcher) Enqueue(ctx context.Context, in Integration, specs []JobSpec) ([]Job, error) {
	jobs := make([]Job, len(specs))
	for i, sp := range specs {
		if sp.Event.TenantID == "" {
			sp.Event.TenantID = in.TenantID
		}
		jobs[i] = NewJob(in, sp)
	}
	return jobs, d.write(tenant.WithID(ctx, in.TenantID), jobs)
}

// write creates the jobs that are new and sends a message for each job
// that is still PENDING (new, or written before a crash that kept its
// message from being sent).
func (d *Dispatcher) write(ctx context.Context, jobs []Job) error {
	for start := 0; start < len(jobs); start += maxJobsPerWrite {
		chunk := jobs[start:min(start+maxJobsPerWrite, len(jobs))]
		stored, err := d.Store.CreateJobs(ctx, chunk)
		if err != nil {
			return err
		}
		var msgs []Message
		for _, j := range stored {
			if j.Status == JobPending {
				m := Message{TenantID: j.TenantID, JobID: j.ID}
				if wait := j.NextAttemptAt.Sub(d.now()); wait > 0 {
					m.Delay = min(wait, 15*time.Minute)
				}
				msgs = append(msgs, m)
			}
		}
		if len(msgs) > 0 {
			if err := d.Queue.Send(ctx, msgs); err != nil {
				return err
			}
		}
	}
	return nil
}

// NewJob is the job of one spec for one integration; its id is derived
// from (event, integration, kind, key), so planning an event twice makes
// the same job.
func NewJob(in Integration, sp JobSpec) Job {
	seed := sp.Event.ID + "|" + in.ID + "|" + sp.Kind + "|" + sp.Key
	return Job{
		ID: ids.Derive(JobIDPrefix, sp.Event.CreatedAt, seed), TenantID: in.TenantID, IntegrationID: in.ID, Provider: in.Provider,
		Kind: sp.Kind, Key: sp.Key, Status: JobPending, Event: sp.Event, CreatedAt: sp.Event.CreatedAt, UpdatedAt: sp.Event.CreatedAt,
	}
}

// Sweep re-dispatches outbox events still undispatched after grace (a
// dispatcher outage, a record that kept failing, a stream record that
// expired after 24 hours): the scheduler runs it every minute.
func (d *Dispatcher) Sweep(ctx context.Context, now time.Time, grace, lookback time.Duration, limit int) (int, error) {
	events, err := d.Store.Undispatched(ctx, now.Add(-grace), lookback, limit)
	if err != nil {
		return 0, err
	}
	if len(events) == 0 {
		return 0, nil
	}
	for i := range events {
		events[i].FromOutbox = true
	}
	return len(events), d.Dispatch(ctx, events)
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}
