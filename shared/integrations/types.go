// Package integrations is the integration hub: the connected integrations of
// a tenant (freee, Shopify, signed webhooks), the jobs that carry events to
// them, the dispatcher that turns events into jobs, and the worker that runs
// jobs through a provider's Connector with retries, backoff and health.
//
// The pipeline: business transactions write outbox events (and stock levels
// carry inventory.changed) → the table's stream → Dispatcher (one job per
// event and interested integration, written to the table, then a message on
// the jobs queue with MessageGroupId = tenant) → Worker (claims the job,
// runs the connector, records the outcome) → the provider. Every step is
// idempotent: job ids are derived from (event, integration, kind, key), a
// job is claimed with a lease before it runs, and each connector makes its
// effect idempotent (webhook event ids, freee ref_number read-back, Shopify
// absolute quantities gated by version).
package integrations

import (
	"encoding/json"
	"time"
)

// Provider is an integration's kind.
type Provider string

// Providers.
const (
	Freee   Provider = "FREEE"
	Shopify Provider = "SHOPIFY"
	Webhook Provider = "WEBHOOK"
)

// Valid reports whether p is a known provider.
func (p Provider) Valid() bool { return p == Freee || p == Shopify || p == Webhook }

// Status is an integration's state as the API reports it.
type Status string

// Integration states.
const (
	StatusActive       Status = "ACTIVE"
	StatusError        Status = "ERROR"
	StatusDisconnected Status = "DISCONNECTED"
)

// JobStatus is a job's state.
type JobStatus string

// Job states. PENDING covers a job waiting for its first run and one
// waiting for its next attempt (NextAttemptAt).
const (
	JobPending   JobStatus = "PENDING"
	JobRunning   JobStatus = "RUNNING"
	JobSucceeded JobStatus = "SUCCEEDED"
	JobFailed    JobStatus = "FAILED"
)

// Valid reports whether s is a known job state.
func (s JobStatus) Valid() bool {
	return s == JobPending || s == JobRunning || s == JobSucceeded || s == JobFailed
}

// Job kinds.
const (
	KindDeliverEvent   = "DELIVER_EVENT"    // WEBHOOK: one event to the endpoint
	KindPostDailySales = "POST_DAILY_SALES" // FREEE: one location close as a deal
	KindPushInventory  = "PUSH_INVENTORY"   // SHOPIFY: one stock level's absolute quantity
	KindImportOrder    = "IMPORT_ORDER"     // SHOPIFY: an orders/create webhook as a sale
	// KindSync is the hub's own job: a syncIntegration request, which asks
	// the connector for its resync jobs and queues them.
	KindSync = "SYNC"
)

// Limits.
const (
	// MaxIntegrations is how many integrations a tenant may have connected
	// (disconnected ones included: they keep their job history).
	MaxIntegrations = 50
	// MaxAttempts is how often a job runs before it is FAILED (the jobs
	// queue's redrive also dead-letters a message after 5 receives).
	MaxAttempts = 5
	// MaxSettingsBytes bounds connectIntegration's settings JSON.
	MaxSettingsBytes = 16 << 10
	// MaxWarningItems bounds the items a warning lists (its Count is exact).
	MaxWarningItems = 100
	// MaxErrorLen bounds a recorded error message.
	MaxErrorLen = 500
)

// Event is one event as delivered to integrations:
// {"id","type","createdAt","tenantId","data"}.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"createdAt"`
	TenantID  string          `json:"tenantId"`
	Data      json.RawMessage `json:"data"`
	// IntegrationID addresses an internal event to one integration (an
	// inbound Shopify order); empty for the tenant's business events, which
	// every interested integration receives. Never delivered.
	IntegrationID string `json:"-"`
	// FromOutbox is true when the event is an outbox item (which the
	// dispatcher marks dispatched); false for events derived from other
	// items (inventory.changed from a stock level).
	FromOutbox bool `json:"-"`
}

// Business event types (the webhook connector's subscribable events).
const (
	EventOrderCompleted   = "order.completed"
	EventOrderRefunded    = "order.refunded"
	EventInventoryChanged = "inventory.changed"
	EventRegisterClosed   = "register.closed"
	EventCustomerCreated  = "customer.created"
	// EventTimecardClosed is written when a shift ends (shared/timecards).
	EventTimecardClosed = "timecard.closed"
	// EventGiftCardActivity is written with every gift card balance change
	// or deactivation (shared/dynamo/giftcards.go); the number is masked.
	EventGiftCardActivity = "gift_card.activity"
)

// Internal event types: addressed to one integration, never delivered.
const (
	// EventShopifyOrder carries an inbound Shopify orders/create (reduced
	// to what the import needs).
	EventShopifyOrder = "renkei.shopify.order"
	// EventSync carries one unit of a syncIntegration request.
	EventSync = "renkei.sync"
)

// Integration is one connected integration of a tenant.
type Integration struct {
	ID       string
	TenantID string
	Provider Provider
	Name     string
	// Settings are the public settings, returned by the API (secrets
	// removed by the connector at connect time).
	Settings json.RawMessage
	// SealedSecrets are the secret settings (tokens, signing secret),
	// encrypted (Sealer); opened only by the worker and inbound handlers.
	SealedSecrets []byte
	Disconnected  bool
	Warnings      []Warning
	// Counters kept with every job transition.
	PendingJobs, FailedJobs int64
	LastSuccessAt           time.Time
	LastErrorAt             time.Time
	LastError               string
	CreatedAt, UpdatedAt    time.Time
}

// Status derives the reported state.
func (in Integration) Status() Status {
	switch {
	case in.Disconnected:
		return StatusDisconnected
	case in.FailedJobs > 0 || (!in.LastErrorAt.IsZero() && in.LastErrorAt.After(in.LastSuccessAt)):
		return StatusError
	}
	return StatusActive
}

// Warning is a finding of a connect-time or sync-time check that does not
// stop the integration (e.g. renkei SKUs without a Shopify variant).
type Warning struct {
	Code    string   `json:"code" dynamodbav:"code"`
	Message string   `json:"message" dynamodbav:"message"`
	Items   []string `json:"items,omitempty" dynamodbav:"items,omitempty"` // at most MaxWarningItems
	Count   int      `json:"count" dynamodbav:"count"`                     // all items, listed or not
}

// Job is one event's (or sync unit's) delivery to one integration.
type Job struct {
	ID            string
	TenantID      string
	IntegrationID string
	Provider      Provider
	Kind          string
	// Key identifies what the job acts on, for the connector (e.g.
	// "<locationId>|<variantId>" for an inventory push).
	Key           string
	Status        JobStatus
	Attempts      int
	LastError     string
	Event         Event
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// JobSpec is a job a connector asks for.
type JobSpec struct {
	Kind  string
	Key   string
	Event Event
}

// Message is what the jobs queue carries: the job's address. The job
// itself lives in the table.
type Message struct {
	TenantID string `json:"t"`
	JobID    string `json:"j"`
	// Delay postpones the first delivery (SQS DelaySeconds, ≤ 15 min).
	Delay time.Duration `json:"-"`
}
