package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Connector is one provider's side of the hub. Connectors are stateless;
// what they need from renkei (catalog, stock, closes, sales) they take as
// dependencies of their own constructors, called with the tenant in ctx.
type Connector interface {
	Provider() Provider
	// Connect checks settings against the provider before anything is
	// stored (credentials work, mappings exist, formats match) and splits
	// them into public settings and secrets. A bad setting is an
	// apperr.Invalid naming its field (e.g. "settings", "url"); the
	// provider being down is apperr.Unavailable.
	Connect(ctx context.Context, req ConnectRequest) (Connection, error)
	// Plan returns the jobs an event gives the integration (none when it
	// is not interested). It reads only public settings and does no I/O.
	Plan(ev Event, in Integration) ([]JobSpec, error)
	// Run performs one job. nil: done. An error is retried (with backoff,
	// or after RetryAfter when the provider said so) until MaxAttempts;
	// Permanent(err) fails the job at once. Error texts are shown to the
	// merchant: they name what failed, never a secret.
	Run(ctx context.Context, c Config, job Job) error
	// Sync returns the jobs of a full resync (syncIntegration).
	Sync(ctx context.Context, c Config) ([]JobSpec, error)
}

// ConnectRequest is a connectIntegration call, as the connector sees it.
type ConnectRequest struct {
	TenantID      string
	IntegrationID string // the id the integration will have
	Name          string
	Settings      json.RawMessage
	// Local is true when the server runs in local mode (RENKEI_ENV=local):
	// only then may settings carry apiBaseUrl/tokenUrl, or a webhook URL be
	// plain http or loopback.
	Local bool
	// Authorization opens a pending authorization of the connector's
	// provider named in the settings (NOT_FOUND when it is unknown,
	// expired or used): its secrets, and save, which stores a pair the
	// provider rotated meanwhile into it (the connect may yet fail). The
	// connector names the authorization in Connection.
	Authorization func(ctx context.Context, id string) (secrets json.RawMessage, save func(context.Context, json.RawMessage) error, err error)
}

// Connection is a checked connection.
type Connection struct {
	Settings json.RawMessage // public: returned by the API
	Secrets  json.RawMessage // sealed at rest, never returned
	Warnings []Warning
	// SigningSecret is returned once, in connectIntegration's payload
	// (WEBHOOK). It is also part of Secrets.
	SigningSecret string
	// AuthorizationID is the pending authorization the connection used:
	// the service consumes it (once) as it stores the integration.
	AuthorizationID string
}

// Config is what a connector runs a job with.
type Config struct {
	Integration Integration
	Secrets     json.RawMessage // opened
	Local       bool
	// SaveSecrets replaces the integration's secrets (e.g. a rotated OAuth
	// token pair) before the connector uses them.
	SaveSecrets func(ctx context.Context, secrets json.RawMessage) error
	// SaveWarnings replaces the integration's warnings (e.g. SKUs found
	// unmatched during a sync).
	SaveWarnings func(ctx context.Context, w []Warning) error
	// Marks keeps per-integration monotonic marks (e.g. the newest stock
	// version pushed per level).
	Marks Marks
}

// Marks are monotonic per-integration versions, kept in the table.
type Marks interface {
	// Advance sets key's mark to version if it is lower (or absent) and
	// reports whether it did; an equal or newer mark leaves it unchanged.
	Advance(ctx context.Context, integrationID, key string, version int64) (bool, error)
	// Get returns key's mark (0 when absent).
	Get(ctx context.Context, integrationID, key string) (int64, error)
}

// RetryError asks for another attempt, not before After when After > 0
// (a provider's Retry-After).
type RetryError struct {
	Err   error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter wraps err with the provider's requested delay.
func RetryAfter(err error, after time.Duration) error { return &RetryError{Err: err, After: after} }

// PermanentError fails a job without further attempts (the provider
// refused the request itself, e.g. a mapping it does not know).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryDelayOf returns the delay a RetryError asks for (0 when none).
func RetryDelayOf(err error) time.Duration {
	var r *RetryError
	if errors.As(err, &r) {
		return r.After
	}
	return 0
}

// ParseRetryAfter reads an HTTP Retry-After header (seconds or an HTTP
// date), capped at max; 0 when absent or unreadable.
func ParseRetryAfter(h http.Header, now time.Time, max time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	var d time.Duration
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		d = 0
	}
	if d > max {
		d = max
	}
	return d
}

// Sealer encrypts secrets at rest (envelope encryption: KMS in AWS, a local
// key file locally). aad binds a ciphertext to its owner (tenant and
// integration), so one cannot be moved to another.
type Sealer interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Queue sends job messages (SQS, MessageGroupId = tenant).
type Queue interface {
	Send(ctx context.Context, msgs []Message) error
}

// ClaimResult is the outcome of claiming a job.
type ClaimResult int

// Claim outcomes.
const (
	Claimed ClaimResult = iota // the caller holds the job until LeaseUntil
	Done                       // SUCCEEDED or FAILED: nothing to do
	Busy                       // another worker holds a live lease
	NotYet                     // PENDING with NextAttemptAt in the future
	Gone                       // no such job (expired, or never written)
)

// Store keeps integrations, jobs, marks and the outbox's dispatch state.
// Every method but TenantOfIntegration and Undispatched takes the tenant
// from ctx (tenant.WithID).
type Store interface {
	Marks
	CloseJobReader

	// CreateIntegration writes the integration and its platform lookup
	// (integration id → tenant); CONFLICT-free: ids are fresh.
	CreateIntegration(ctx context.Context, in Integration) error
	// GetIntegration reads one (NOT_FOUND when absent).
	GetIntegration(ctx context.Context, id string) (Integration, error)
	// ListIntegrations reads all of the tenant's (≤ MaxIntegrations), in
	// creation order.
	ListIntegrations(ctx context.Context) ([]Integration, error)
	// CountIntegrations is how many the tenant has.
	CountIntegrations(ctx context.Context) (int, error)
	// OldestPending returns the creation time of the integration's oldest
	// PENDING or RUNNING job (ok false when none).
	OldestPending(ctx context.Context, integrationID string) (time.Time, bool, error)
	// Disconnect marks the integration disconnected (idempotent).
	Disconnect(ctx context.Context, id string, at time.Time) (Integration, error)
	// SaveSecrets replaces the sealed secrets.
	SaveSecrets(ctx context.Context, id string, sealed []byte, at time.Time) error
	// SaveWarnings replaces the warnings.
	SaveWarnings(ctx context.Context, id string, w []Warning, at time.Time) error
	// UpdateSettings replaces the public settings of a connected
	// integration (NOT_FOUND when absent, INVALID when disconnected).
	UpdateSettings(ctx context.Context, id string, settings json.RawMessage, at time.Time) (Integration, error)
	// CreateAuthorization stores a pending authorization.
	CreateAuthorization(ctx context.Context, a Authorization) error
	// GetAuthorization reads one that has not expired at now (NOT_FOUND
	// otherwise).
	GetAuthorization(ctx context.Context, id string, now time.Time) (Authorization, error)
	// SaveAuthorizationSecrets replaces its sealed secrets (a rotated pair).
	SaveAuthorizationSecrets(ctx context.Context, id string, sealed []byte) error
	// ConsumeAuthorization deletes it if it has not expired at now;
	// NOT_FOUND when it is absent, expired or consumed already.
	ConsumeAuthorization(ctx context.Context, id string, now time.Time) error
	// TenantOfIntegration resolves an integration id to its tenant through
	// the platform lookup (inbound webhooks carry only the id).
	TenantOfIntegration(ctx context.Context, integrationID string) (string, error)

	// CreateJobs writes jobs that do not exist yet (PENDING, counted in
	// their integration's PendingJobs) and returns every job's stored
	// state: the new ones, and the existing ones as they are.
	CreateJobs(ctx context.Context, jobs []Job) ([]Job, error)
	// GetJob reads one job (NOT_FOUND when absent).
	GetJob(ctx context.Context, id string) (Job, error)
	// ClaimJob moves a PENDING job whose NextAttemptAt has come (or a
	// RUNNING one whose lease has run out) to RUNNING with attempts+1 and
	// LeaseUntil = now+lease.
	ClaimJob(ctx context.Context, id string, now time.Time, lease time.Duration) (Job, ClaimResult, error)
	// CompleteJob moves the job from RUNNING (at job.Attempts) to
	// SUCCEEDED, and records the integration's last success.
	CompleteJob(ctx context.Context, job Job, now time.Time) error
	// RetryJobLater moves it from RUNNING back to PENDING with
	// NextAttemptAt = next and the error recorded (integration's last error).
	RetryJobLater(ctx context.Context, job Job, errMsg string, next, now time.Time) error
	// FailJob moves it from RUNNING to FAILED (PendingJobs−1, FailedJobs+1).
	FailJob(ctx context.Context, job Job, errMsg string, now time.Time) error
	// RequeueJob moves a FAILED job back to PENDING with zero attempts
	// (retryIntegrationJob); INVALID when it is not FAILED.
	RequeueJob(ctx context.Context, id string, now time.Time) (Job, error)
	// ListJobs pages an integration's jobs, newest first, optionally of one
	// status; the cursor is bound to the query.
	ListJobs(ctx context.Context, integrationID string, status JobStatus, first int, after string) ([]Job, string, error)

	// MarkDispatched takes an outbox event out of the undispatched index
	// (idempotent; a no-op for an event that expired).
	MarkDispatched(ctx context.Context, eventID string, at time.Time) error
	// Undispatched returns outbox events (of every tenant) created before
	// `before` and still undispatched, oldest first, looking back
	// `lookback`: the sweeper's input. No Scan.
	Undispatched(ctx context.Context, before time.Time, lookback time.Duration, limit int) ([]Event, error)
	// RecordInbound writes an internal event addressed to one integration
	// in the outbox, with a dedupe item for dedupeKey (e.g. Shopify's
	// X-Shopify-Webhook-Id) in the same transaction; duplicate is true
	// (and nothing written) when the key was seen before.
	RecordInbound(ctx context.Context, ev Event, dedupeKey string) (duplicate bool, err error)
}
