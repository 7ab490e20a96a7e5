package stack

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/connectors/shopify"
	"github.com/renkei-pos/renkei/shared/connectors/webhook"
	"github.com/renkei-pos/renkei/shared/ddbstream"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/shopifyhook"
)

// HubConfig configures the integration hub, whichever runtime hosts it.
type HubConfig struct {
	// Local is local mode: provider base URLs may be overridden and
	// webhooks may go to http:// and loopback.
	Local bool
	// Sealer encrypts integration secrets (KMS in AWS, a key file locally).
	Sealer integrations.Sealer
	// Queue sends job messages (the jobs queue).
	Queue integrations.Queue
	// Freee is renkei's freee application (authorization-code exchange,
	// refreshes) and, in local mode only, where freee is: a test or `make
	// run` points it at a fake with freeefake's Fake.App().
	Freee freee.App
	// HTTPClient carries the freee and Shopify calls (nil: their own).
	HTTPClient *http.Client
	// Worker tuning (zero: the integrations package's defaults). Tests
	// shorten the lease and the backoff, and inject a crash with AfterRun.
	Lease      time.Duration
	RunTimeout time.Duration
	Backoff    func(attempt int) time.Duration
	AfterRun   func(integrations.Job) error
	Logger     *slog.Logger
}

// Hub is the integration hub's parts on one table.
type Hub struct {
	Store      *dynamo.IntegrationStore
	Service    *integrations.Service
	Dispatcher *integrations.Dispatcher
	Worker     *integrations.Worker
}

// NewHub builds the hub on table: the connectors with what they read of
// renkei, the dispatcher, the worker and the API's service.
func NewHub(table *dynamo.Table, cfg HubConfig) *Hub {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if !cfg.Local {
		// Provider base URLs are fixed outside local mode.
		cfg.Freee.TokenURL, cfg.Freee.APIBaseURL = "", ""
	}
	store := dynamo.NewIntegrationStore(table)
	salesStore := dynamo.NewSalesStore(table)
	importer := &sales.Service{Store: salesStore, Offline: salesStore, Closes: salesStore, Now: time.Now, Logger: cfg.Logger}
	connectors := map[integrations.Provider]integrations.Connector{
		integrations.Webhook: webhook.New(webhook.Options{}),
		integrations.Freee:   freee.New(cfg.HTTPClient, salesStore, cfg.Freee),
		integrations.Shopify: shopify.New(shopify.Deps{Catalog: dynamo.NewCatalogStore(table), Stock: dynamo.NewInventoryStore(table),
			Locations: dynamo.NewTenantStore(table), Orders: importer, HTTP: cfg.HTTPClient}),
	}
	d := &integrations.Dispatcher{Store: store, Queue: cfg.Queue, Connectors: connectors, Logger: cfg.Logger}
	return &Hub{
		Store:      store,
		Dispatcher: d,
		Service:    &integrations.Service{Store: store, Connectors: connectors, Sealer: cfg.Sealer, Queue: cfg.Queue, Local: cfg.Local, Logger: cfg.Logger},
		Worker: &integrations.Worker{Store: store, Connectors: connectors, Sealer: cfg.Sealer, Dispatcher: d, Queue: cfg.Queue, Local: cfg.Local,
			Logger: cfg.Logger, Lease: cfg.Lease, RunTimeout: cfg.RunTimeout, Backoff: cfg.Backoff, AfterRun: cfg.AfterRun},
	}
}

// Routes are the hub's HTTP routes beside /graphql: Shopify's order
// webhooks.
func (h *Hub) Routes(sealer integrations.Sealer, logger *slog.Logger) map[string]http.Handler {
	return map[string]http.Handler{shopifyhook.Pattern: &shopifyhook.Handler{Store: h.Store, Secrets: sealer, Logger: logger}}
}

// SweepGrace is how old an undispatched outbox event must be before the
// sweeper dispatches it (the stream normally does within a second), and
// SweepLookback how far back it looks (stream records live 24 hours; the
// outbox keeps events 30 days).
const (
	SweepGrace    = 2 * time.Minute
	SweepLookback = 7 * 24 * time.Hour
	sweepLimit    = 500
)

// SweepJob is the scheduled job that dispatches outbox events the stream
// did not (a dispatcher outage, a poison record, expired stream records).
func (h *Hub) SweepJob(logger *slog.Logger) Job {
	return Job{Name: "sweep-undispatched-events", Run: func(ctx context.Context, now time.Time) error {
		n, err := h.Dispatcher.Sweep(ctx, now, SweepGrace, SweepLookback, sweepLimit)
		if n > 0 {
			logger.Warn("undispatched outbox events swept", slog.Int("events", n))
		}
		return err
	}}
}

// dispatchHandler is the dispatcher's side of the stream consumer: every
// event of a batch (outbox items, stock level changes) becomes jobs. The
// write that marks an outbox item dispatched comes back on the stream as
// an image with dispatchedAt, which is not an event again. Records are
// dispatched as one batch: one read of each tenant's integrations.
func dispatchHandler(d *integrations.Dispatcher, logger *slog.Logger) ddbstream.Handler {
	return ddbstream.HandlerFunc(func(ctx context.Context, batch []ddbstream.Record) []string {
		var events []integrations.Event
		first := -1
		for i, r := range batch {
			e, ok, err := eventOf(r)
			if err != nil {
				logger.Error("stream record skipped by the dispatcher", slog.String("record", r.ID), slog.String("error", err.Error()))
				continue
			}
			if !ok {
				continue
			}
			if first < 0 {
				first = i
			}
			events = append(events, e)
		}
		if len(events) == 0 {
			return nil
		}
		if err := d.Dispatch(ctx, events); err != nil {
			// Dispatching is idempotent: the batch's events come again,
			// and the ones already dispatched make no new jobs.
			logger.Warn("stream records not dispatched; they come again", slog.Int("events", len(events)), slog.String("error", err.Error()))
			out := make([]string, 0, len(batch)-first)
			for _, r := range batch[first:] {
				out = append(out, r.SequenceNumber)
			}
			return out
		}
		return nil
	})
}

// eventOf is the event a stream record carries for integrations, if any
// (EventFromImage skips the image MarkDispatched leaves).
func eventOf(r ddbstream.Record) (integrations.Event, bool, error) {
	if r.NewImage == nil {
		return integrations.Event{}, false, nil
	}
	e, ok, err := dynamo.EventFromImage(r.NewImage)
	if err != nil || !ok {
		return integrations.Event{}, false, err
	}
	return e.Integration(), true, nil
}
