package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/text"
)

// IDPrefix prefixes integration ids; JobIDPrefix job ids.
const (
	IDPrefix    = "int"
	JobIDPrefix = "job"
)

// MaxJobsPage is the largest page of jobs.
const MaxJobsPage = 250

// ConnectTimeout bounds connectIntegration's checks against the provider.
const ConnectTimeout = 15 * time.Second

var nameRule = text.Rule{What: "name", Min: 1, Max: 100}

// Service is the API's side of the hub: connect, disconnect, resync, retry,
// and the health and job listings. Each method checks the caller's
// permission first (ReadIntegrations for reads, ManageIntegration for
// writes); the tenant is the caller's.
type Service struct {
	Store      Store
	Connectors map[Provider]Connector
	Sealer     Sealer
	Queue      Queue
	// Local is the server's local mode (provider URL overrides allowed).
	Local  bool
	Now    func() time.Time
	Logger *slog.Logger
}

// Health is an integration with its lag: the age of its oldest job still
// pending or running (HasLag false when there is none).
type Health struct {
	Integration
	Lag    time.Duration
	HasLag bool
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// SecretsAAD binds an integration's sealed secrets to it.
func SecretsAAD(tenantID, integrationID string) []byte {
	return []byte(tenantID + "|" + integrationID)
}

// Connect checks the settings against the provider, seals the secrets and
// stores the integration. signingSecret is returned once (WEBHOOK).
func (s *Service) Connect(ctx context.Context, p Provider, name string, settings json.RawMessage) (Integration, string, error) {
	pr, err := identity.Require(ctx, identity.ManageIntegration)
	if err != nil {
		return Integration{}, "", err
	}
	var errs apperr.List
	name = nameRule.Check(&errs, name, "input", "name")
	conn, ok := s.Connectors[p]
	if !ok {
		errs.Add(apperr.Invalid, "provider is not one of FREEE, SHOPIFY, WEBHOOK", "input", "provider")
	}
	switch {
	case len(settings) > MaxSettingsBytes:
		errs.Add(apperr.Invalid, fmt.Sprintf("settings must be at most %d bytes of JSON", MaxSettingsBytes), "input", "settings")
	case !isObject(settings):
		errs.Add(apperr.Invalid, "settings must be a JSON object", "input", "settings")
	}
	if err := errs.Err(); err != nil {
		return Integration{}, "", err
	}
	n, err := s.Store.CountIntegrations(ctx)
	if err != nil {
		return Integration{}, "", err
	}
	if n >= MaxIntegrations {
		return Integration{}, "", apperr.Newf(apperr.Invalid, nil, "a business may have at most %d integrations", MaxIntegrations)
	}
	now := s.now()
	id := ids.NewAt(IDPrefix, now)
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	c, err := conn.Connect(cctx, ConnectRequest{TenantID: pr.TenantID, IntegrationID: id, Name: name, Settings: settings, Local: s.Local,
		Authorization: s.pendingSecrets(p)})
	if err != nil {
		if _, expected := apperr.Expected(err); expected || apperr.Is(err, apperr.Unavailable) {
			return Integration{}, "", err
		}
		// Network trouble reaching the provider is not the caller's fault,
		// and its text may name hosts: say what happened, log the rest.
		s.logger().Warn("integration check failed", slog.String("provider", string(p)), slog.String("error", err.Error()))
		return Integration{}, "", apperr.Wrap(err, apperr.Unavailable, "the provider could not be reached to check the settings; try again")
	}
	in := Integration{ID: id, TenantID: pr.TenantID, Provider: p, Name: name, Settings: c.Settings, Warnings: c.Warnings,
		CreatedAt: now, UpdatedAt: now}
	if len(c.Secrets) > 0 {
		if in.SealedSecrets, err = s.Sealer.Seal(ctx, c.Secrets, SecretsAAD(pr.TenantID, id)); err != nil {
			return Integration{}, "", fmt.Errorf("seal integration secrets: %w", err)
		}
	}
	if c.AuthorizationID != "" {
		// Consumed before the integration is written: of two connects
		// racing with one authorization, one gets it.
		if err := s.Store.ConsumeAuthorization(ctx, c.AuthorizationID, now); apperr.Is(err, apperr.NotFound) {
			return Integration{}, "", apperr.New(apperr.Invalid, "the authorization was used already or has expired; authorize again", "input", "settings", "authorizationId")
		} else if err != nil {
			return Integration{}, "", err
		}
	}
	if err := s.Store.CreateIntegration(ctx, in); err != nil {
		return Integration{}, "", err
	}
	return in, c.SigningSecret, nil
}

// Disconnect stops an integration: no new jobs are made for it, and its
// pending jobs end FAILED ("disconnected") when they come up. Its history
// stays readable.
func (s *Service) Disconnect(ctx context.Context, id string) (Integration, error) {
	if _, err := identity.Require(ctx, identity.ManageIntegration); err != nil {
		return Integration{}, err
	}
	if err := validID(IDPrefix, id, "input", "id"); err != nil {
		return Integration{}, err
	}
	return s.Store.Disconnect(ctx, id, s.now())
}

// Sync queues a full resync: every mapped stock level (EC) or every closed
// day not yet posted (accounting). The request is written to the outbox as
// an event addressed to the integration, so it is as recoverable as any
// event; the dispatcher makes it a SYNC job, whose run asks the connector
// for the resync's jobs and queues them (ordinary jobs: visible, retried,
// idempotent).
func (s *Service) Sync(ctx context.Context, id string) (Integration, error) {
	pr, err := identity.Require(ctx, identity.ManageIntegration)
	if err != nil {
		return Integration{}, err
	}
	if err := validID(IDPrefix, id, "input", "id"); err != nil {
		return Integration{}, err
	}
	in, err := s.Store.GetIntegration(ctx, id)
	if err != nil {
		return Integration{}, err
	}
	if in.Disconnected {
		return Integration{}, apperr.New(apperr.Invalid, "the integration is disconnected", "input", "id")
	}
	now := s.now()
	ev := Event{ID: ids.NewAt("evt", now), Type: EventSync, CreatedAt: now, TenantID: pr.TenantID, IntegrationID: id, Data: json.RawMessage(`{}`)}
	if _, err := s.Store.RecordInbound(ctx, ev, ev.ID); err != nil {
		return Integration{}, err
	}
	return in, nil
}

// RetryJob runs a FAILED job again, from a fresh attempt count.
func (s *Service) RetryJob(ctx context.Context, jobID string) (Job, error) {
	pr, err := identity.Require(ctx, identity.ManageIntegration)
	if err != nil {
		return Job{}, err
	}
	if err := validID(JobIDPrefix, jobID, "input", "id"); err != nil {
		return Job{}, err
	}
	j, err := s.Store.GetJob(ctx, jobID)
	if err != nil {
		return Job{}, err
	}
	switch j.Status {
	case JobFailed:
		if j, err = s.Store.RequeueJob(ctx, jobID, s.now()); err != nil {
			return Job{}, err
		}
	case JobPending:
		// Already queued again, its message perhaps lost: sending another
		// is harmless (a job runs under a claim).
	case JobRunning:
		// A worker that died on its message's last delivery leaves the job
		// RUNNING with no message: once its lease has run out, a new
		// message lets the next claim take it over.
		if j.LeaseUntil.After(s.now()) {
			return Job{}, apperr.New(apperr.Invalid, "the job is running; retry it if it is still running after "+j.LeaseUntil.UTC().Format(time.RFC3339), "input", "id")
		}
	default:
		return Job{}, apperr.New(apperr.Invalid, "only a failed job can be retried; this one is "+string(j.Status), "input", "id")
	}
	if err := s.Queue.Send(ctx, []Message{{TenantID: pr.TenantID, JobID: j.ID}}); err != nil {
		// The job is PENDING in the table; retrying the call sends it.
		return Job{}, apperr.Wrap(err, apperr.Unavailable, "the job is queued again but could not be sent yet; retry")
	}
	return j, nil
}

// List returns the tenant's integrations with their health.
func (s *Service) List(ctx context.Context) ([]Health, error) {
	if _, err := identity.Require(ctx, identity.ReadIntegrations); err != nil {
		return nil, err
	}
	list, err := s.Store.ListIntegrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Health, len(list))
	errs := make([]error, len(list))
	sem := make(chan struct{}, 8)
	done := make(chan struct{})
	for i := range list {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			out[i], errs[i] = s.health(ctx, list[i])
		}()
	}
	for range list {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns one integration with its health.
func (s *Service) Get(ctx context.Context, id string) (Health, error) {
	if _, err := identity.Require(ctx, identity.ReadIntegrations); err != nil {
		return Health{}, err
	}
	if err := validID(IDPrefix, id, "id"); err != nil {
		return Health{}, err
	}
	in, err := s.Store.GetIntegration(ctx, id)
	if err != nil {
		return Health{}, err
	}
	return s.health(ctx, in)
}

func (s *Service) health(ctx context.Context, in Integration) (Health, error) {
	h := Health{Integration: in}
	if in.PendingJobs <= 0 {
		return h, nil
	}
	oldest, ok, err := s.Store.OldestPending(ctx, in.ID)
	if err != nil || !ok {
		return h, err
	}
	h.HasLag, h.Lag = true, max(s.now().Sub(oldest), 0)
	return h, nil
}

// Jobs pages an integration's jobs, newest first; status "" lists all.
func (s *Service) Jobs(ctx context.Context, integrationID string, status JobStatus, first int, after string) ([]Job, string, error) {
	if _, err := identity.Require(ctx, identity.ReadIntegrations); err != nil {
		return nil, "", err
	}
	if err := validID(IDPrefix, integrationID, "integrationId"); err != nil {
		return nil, "", err
	}
	if status != "" && !status.Valid() {
		return nil, "", apperr.New(apperr.Invalid, "status is not a job status", "status")
	}
	if first < 1 || first > MaxJobsPage {
		return nil, "", apperr.Newf(apperr.Invalid, []string{"first"}, "first must be between 1 and %d", MaxJobsPage)
	}
	if _, err := s.Store.GetIntegration(ctx, integrationID); err != nil {
		return nil, "", err
	}
	return s.Store.ListJobs(ctx, integrationID, status, first, after)
}

// openConfig is the connector's view of an integration, shared by the
// service (sync) and the worker.
func openConfig(ctx context.Context, st Store, sealer Sealer, local bool, in Integration, now func() time.Time) (Config, error) {
	cfg := Config{Integration: in, Local: local, Marks: st}
	aad := SecretsAAD(in.TenantID, in.ID)
	if len(in.SealedSecrets) > 0 {
		plain, err := sealer.Open(ctx, in.SealedSecrets, aad)
		if err != nil {
			return Config{}, fmt.Errorf("open secrets of integration %s: %w", in.ID, err)
		}
		cfg.Secrets = plain
	}
	cfg.SaveSecrets = func(ctx context.Context, secrets json.RawMessage) error {
		sealed, err := sealer.Seal(ctx, secrets, aad)
		if err != nil {
			return fmt.Errorf("seal integration secrets: %w", err)
		}
		return st.SaveSecrets(tenant.WithID(ctx, in.TenantID), in.ID, sealed, now())
	}
	cfg.SaveWarnings = func(ctx context.Context, w []Warning) error {
		return st.SaveWarnings(tenant.WithID(ctx, in.TenantID), in.ID, w, now())
	}
	return cfg, nil
}

func validID(prefix, id string, field ...string) error {
	if !ids.Valid(prefix, id) {
		return apperr.New(apperr.NotFound, "no such "+map[string]string{IDPrefix: "integration", JobIDPrefix: "job"}[prefix], field...)
	}
	return nil
}

func isObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}
