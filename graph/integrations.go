package graph

import (
	"context"
	"encoding/json"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Integrations: the Integration and IntegrationJob types and the
// integration operations, served by the integration hub's service (which
// checks ReadIntegrations for reads and ManageIntegration for writes).

// maxIntegrationWarnings bounds Integration.warnings: the first 20 are
// served (connectors report a handful: one per kind of finding).
const maxIntegrationWarnings = 20

// integrationResolver is one integration with its health. A payload's
// integration (connect, disconnect, sync) comes without its lag, which is
// read when lagSeconds is asked for.
type integrationResolver struct {
	h        integrations.Health
	withLag  bool
	r        *Resolver
	lagOnce  sync.Once
	lag      *float64
	lagError error
}

func (i *integrationResolver) ID() graphql.ID     { return graphql.ID(i.h.ID) }
func (i *integrationResolver) Provider() string   { return string(i.h.Provider) }
func (i *integrationResolver) Name() string       { return i.h.Name }
func (i *integrationResolver) Status() string     { return string(i.h.Status()) }
func (i *integrationResolver) LastError() *string { return strPtr(i.h.LastError) }
func (i *integrationResolver) PendingJobs() int32 { return clampInt32(i.h.PendingJobs) }
func (i *integrationResolver) FailedJobs() int32  { return clampInt32(i.h.FailedJobs) }
func (i *integrationResolver) CreatedAt() graphql.Time {
	return graphql.Time{Time: i.h.CreatedAt}
}

// Settings are the public settings (secrets never reach the table's
// public copy: the connector splits them at connect time).
func (i *integrationResolver) Settings() JSON {
	var m JSON
	if err := json.Unmarshal(i.h.Settings, &m); err != nil || m == nil {
		return JSON{}
	}
	return m
}

func (i *integrationResolver) LastSuccessAt() *graphql.Time {
	if i.h.LastSuccessAt.IsZero() {
		return nil
	}
	return timePtr(graphql.Time{Time: i.h.LastSuccessAt})
}

// LagSeconds is the age of the oldest job still pending or running; null
// when there is none.
func (i *integrationResolver) LagSeconds(ctx context.Context) (*float64, error) {
	i.lagOnce.Do(func() {
		h := i.h
		if !i.withLag && h.PendingJobs > 0 {
			h, i.lagError = i.r.svc.Integrations.Get(ctx, i.h.ID)
		}
		if i.lagError == nil && h.HasLag {
			s := h.Lag.Seconds()
			i.lag = &s
		}
	})
	if i.lagError != nil {
		return nil, top(ctx, i.lagError)
	}
	return i.lag, nil
}

// Warnings are findings of the connect-time and sync-time checks that do
// not stop the integration (e.g. SKUs without a Shopify variant).
func (i *integrationResolver) Warnings() []*integrationWarningResolver {
	ws := i.h.Warnings[:min(len(i.h.Warnings), maxIntegrationWarnings)]
	out := make([]*integrationWarningResolver, len(ws))
	for k, w := range ws {
		items := w.Items[:min(len(w.Items), integrations.MaxWarningItems)]
		if items == nil {
			items = []string{}
		}
		out[k] = &integrationWarningResolver{Code: w.Code, Message: w.Message, Items: items, Count: clampInt32(int64(w.Count))}
	}
	return out
}

type integrationWarningResolver struct {
	Code    string
	Message string
	Items   []string
	Count   int32
}

func clampInt32(n int64) int32 {
	return int32(min(max(n, 0), 1<<31-1))
}

type integrationJobResolver struct{ j integrations.Job }

func (j *integrationJobResolver) ID() graphql.ID     { return graphql.ID(j.j.ID) }
func (j *integrationJobResolver) Kind() string       { return j.j.Kind }
func (j *integrationJobResolver) Status() string     { return string(j.j.Status) }
func (j *integrationJobResolver) Attempts() int32    { return int32(min(j.j.Attempts, 1<<31-1)) }
func (j *integrationJobResolver) LastError() *string { return strPtr(j.j.LastError) }
func (j *integrationJobResolver) EventID() *graphql.ID {
	if j.j.Event.ID == "" {
		return nil
	}
	id := graphql.ID(j.j.Event.ID)
	return &id
}
func (j *integrationJobResolver) EventType() *string { return strPtr(j.j.Event.Type) }
func (j *integrationJobResolver) CreatedAt() graphql.Time {
	return graphql.Time{Time: j.j.CreatedAt}
}
func (j *integrationJobResolver) UpdatedAt() graphql.Time {
	return graphql.Time{Time: j.j.UpdatedAt}
}

// NextAttemptAt is when a pending job that failed runs again.
func (j *integrationJobResolver) NextAttemptAt() *graphql.Time {
	if j.j.Status != integrations.JobPending || j.j.NextAttemptAt.IsZero() || !j.j.NextAttemptAt.After(j.j.UpdatedAt) {
		return nil
	}
	return timePtr(graphql.Time{Time: j.j.NextAttemptAt})
}

type integrationJobConnectionResolver struct {
	Nodes    []*integrationJobResolver
	PageInfo *pageInfo
}

// Integrations lists the tenant's integrations with their health.
func (r *Resolver) Integrations(ctx context.Context) ([]*integrationResolver, error) {
	if r.svc.Integrations == nil {
		return nil, notImplemented(ctx, "integrations", identity.ReadIntegrations)
	}
	hs, err := r.svc.Integrations.List(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	out := make([]*integrationResolver, len(hs))
	for k, h := range hs {
		out[k] = &integrationResolver{h: h, withLag: true, r: r}
	}
	return out, nil
}

// Integration is one integration with its health; null when the id names
// none of the tenant's (the service checks the caller may read them).
func (r *Resolver) Integration(ctx context.Context, args struct{ ID graphql.ID }) (*integrationResolver, error) {
	if r.svc.Integrations == nil {
		return nil, notImplemented(ctx, "integration", identity.ReadIntegrations)
	}
	h, err := r.svc.Integrations.Get(ctx, string(args.ID))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return &integrationResolver{h: h, withLag: true, r: r}, nil
}

// IntegrationJobs pages an integration's jobs, newest first.
func (r *Resolver) IntegrationJobs(ctx context.Context, args struct {
	IntegrationID graphql.ID
	Status        *string
	First         *int32
	After         *string
}) (*integrationJobConnectionResolver, error) {
	if r.svc.Integrations == nil {
		return nil, notImplementedPage(ctx, "integrationJobs", identity.ReadIntegrations, args.First)
	}
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	jobs, next, err := r.svc.Integrations.Jobs(ctx, string(args.IntegrationID), integrations.JobStatus(deref(args.Status)), first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	out := &integrationJobConnectionResolver{Nodes: make([]*integrationJobResolver, len(jobs)), PageInfo: &pageInfo{HasNextPage: next != "", EndCursor: strPtr(next)}}
	for k, j := range jobs {
		out.Nodes[k] = &integrationJobResolver{j}
	}
	return out, nil
}

type integrationPayloadResolver struct {
	Integration   *integrationResolver
	SigningSecret *string
	UserErrors    []*userError
}

type integrationJobPayloadResolver struct {
	Job        *integrationJobResolver
	UserErrors []*userError
}

func (r *Resolver) integrationResult(ctx context.Context, in integrations.Integration, err error) (*integrationPayloadResolver, error) {
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &integrationPayloadResolver{UserErrors: ue}, err
	}
	return &integrationPayloadResolver{Integration: &integrationResolver{h: integrations.Health{Integration: in}, r: r}, UserErrors: []*userError{}}, nil
}

// unbuilt answers an integration mutation on a server without the hub: a
// caller without the permission gets FORBIDDEN in the payload, as from the
// service; the others NOT_IMPLEMENTED.
func unbuilt(ctx context.Context, op string) ([]*userError, error) {
	if _, err := identity.Require(ctx, identity.ManageIntegration); err != nil {
		return userErrors(ctx, err)
	}
	return nil, notImplemented(ctx, op, identity.ManageIntegration)
}

type connectIntegrationInput struct {
	Provider string
	Name     string
	Settings JSON
}

// ConnectIntegration checks the settings against the provider and connects
// the integration; a WEBHOOK's signing secret is in the payload, this once.
func (r *Resolver) ConnectIntegration(ctx context.Context, args struct{ Input connectIntegrationInput }) (*integrationPayloadResolver, error) {
	if r.svc.Integrations == nil {
		ue, err := unbuilt(ctx, "connectIntegration")
		return &integrationPayloadResolver{UserErrors: ue}, err
	}
	settings, err := json.Marshal(args.Input.Settings)
	if err != nil {
		return nil, top(ctx, err)
	}
	in, secret, err := r.svc.Integrations.Connect(ctx, integrations.Provider(args.Input.Provider), args.Input.Name, settings)
	p, err := r.integrationResult(ctx, in, err)
	if p.Integration != nil {
		p.SigningSecret = strPtr(secret)
	}
	return p, err
}

type integrationIDInput struct {
	ID graphql.ID
}

// DisconnectIntegration stops an integration; its history stays readable.
func (r *Resolver) DisconnectIntegration(ctx context.Context, args struct{ Input integrationIDInput }) (*integrationPayloadResolver, error) {
	if r.svc.Integrations == nil {
		ue, err := unbuilt(ctx, "disconnectIntegration")
		return &integrationPayloadResolver{UserErrors: ue}, err
	}
	in, err := r.svc.Integrations.Disconnect(ctx, string(args.Input.ID))
	return r.integrationResult(ctx, in, err)
}

// SyncIntegration queues a full resync.
func (r *Resolver) SyncIntegration(ctx context.Context, args struct{ Input integrationIDInput }) (*integrationPayloadResolver, error) {
	if r.svc.Integrations == nil {
		ue, err := unbuilt(ctx, "syncIntegration")
		return &integrationPayloadResolver{UserErrors: ue}, err
	}
	in, err := r.svc.Integrations.Sync(ctx, string(args.Input.ID))
	return r.integrationResult(ctx, in, err)
}

// RetryIntegrationJob runs a FAILED job again from a fresh attempt count.
func (r *Resolver) RetryIntegrationJob(ctx context.Context, args struct{ Input integrationIDInput }) (*integrationJobPayloadResolver, error) {
	if r.svc.Integrations == nil {
		ue, err := unbuilt(ctx, "retryIntegrationJob")
		return &integrationJobPayloadResolver{UserErrors: ue}, err
	}
	j, err := r.svc.Integrations.RetryJob(ctx, string(args.Input.ID))
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &integrationJobPayloadResolver{UserErrors: ue}, err
	}
	return &integrationJobPayloadResolver{Job: &integrationJobResolver{j}, UserErrors: []*userError{}}, nil
}
