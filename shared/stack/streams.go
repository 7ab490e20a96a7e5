package stack

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/ddbstream"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/reports"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// StreamHandler is the table's one stream consumer: every concern that
// reads the stream plugs in here — the sales aggregator and the
// integration hub's dispatcher —, whether the records come from Lambda
// (functions/dispatcher) or the local poller. A nil hub runs the
// aggregator alone.
func StreamHandler(table *dynamo.Table, hub *Hub, logger *slog.Logger) ddbstream.Handler {
	hs := []ddbstream.Handler{aggregationHandler(NewReports(table), logger), giftCardLedgerHandler(table, logger)}
	if hub != nil {
		hs = append(hs, dispatchHandler(hub.Dispatcher, logger))
	}
	return ddbstream.Fanout(hs...)
}

// NewReports builds the reports service on the table.
func NewReports(table *dynamo.Table) *reports.Service {
	return &reports.Service{Store: dynamo.NewAggregateStore(table), Tenants: dynamo.NewTenantStore(table)}
}

// aggregationHandler adds each sales movement on the stream to the
// aggregates. A record that cannot be decoded is logged and skipped — it
// would fail the same way forever and hold up its shard — while a storage
// failure fails the record, which comes again.
func aggregationHandler(svc *reports.Service, logger *slog.Logger) ddbstream.Handler {
	return ddbstream.EachRecord(func(ctx context.Context, r ddbstream.Record) error {
		if r.NewImage == nil {
			return nil
		}
		e, ok, err := dynamo.EventFromImage(r.NewImage)
		if err == nil && ok {
			var m reports.Movement
			if m, ok, err = dynamo.MovementFromEvent(e); err == nil && ok {
				return svc.Aggregate(tenant.WithID(ctx, m.TenantID), m)
			}
		}
		if err != nil {
			logger.Error("stream record skipped", slog.String("record", r.ID), slog.String("error", err.Error()))
		}
		return nil
	}, func(r ddbstream.Record, err error) {
		logger.Warn("stream record failed; it comes again", slog.String("record", r.ID), slog.String("error", err.Error()))
	})
}

// giftCardLedgerHandler adds each gift_card.activity event's amount to the
// tenant's daily gift card ledger (the liability), once per event.
func giftCardLedgerHandler(table *dynamo.Table, logger *slog.Logger) ddbstream.Handler {
	svc := &giftcards.Service{Store: dynamo.NewGiftCardStore(table), Tenants: dynamo.NewTenantStore(table), Now: time.Now}
	return ddbstream.EachRecord(func(ctx context.Context, r ddbstream.Record) error {
		if r.NewImage == nil {
			return nil
		}
		e, ok, err := dynamo.EventFromImage(r.NewImage)
		if err == nil && ok && e.Type == dynamo.EventGiftCardActivity {
			var le giftcards.LedgerEntry
			if le, err = dynamo.LedgerEntryFromEvent(e); err == nil {
				return svc.ApplyLedger(tenant.WithID(ctx, le.TenantID), le)
			}
		}
		if err != nil {
			logger.Error("stream record skipped", slog.String("record", r.ID), slog.String("error", err.Error()))
		}
		return nil
	}, func(r ddbstream.Record, err error) {
		logger.Warn("stream record failed; it comes again", slog.String("record", r.ID), slog.String("error", err.Error()))
	})
}

// streamConsumer is the local poller feeding StreamHandler, as Lambda's
// event source mapping does in production.
type streamConsumer struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startStreamConsumer finds the table's stream and polls it until stop. It
// has clients of its own: the API's may carry test middleware (round-trip
// counters, injected faults) that the consumer's calls must not touch.
func startStreamConsumer(ctx context.Context, endpoint, tableName string, interval time.Duration, hub func(*dynamo.Table) *Hub, logger *slog.Logger) (*streamConsumer, error) {
	client, err := dynamolocal.NewClient(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &tableName})
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", tableName, err)
	}
	if desc.Table.LatestStreamArn == nil {
		return nil, fmt.Errorf("table %s has no stream", tableName)
	}
	streams, err := dynamolocal.NewStreamsClient(endpoint)
	if err != nil {
		return nil, err
	}
	table := dynamo.New(client, tableName)
	p := &ddbstream.Poller{Streams: streams, StreamARN: *desc.Table.LatestStreamArn, Handler: StreamHandler(table, hub(table), logger),
		Positions: dynamo.NewStreamPositions(table), Logger: logger, Interval: interval}
	// The poller outlives StartLocal's ctx: it stops with Close.
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &streamConsumer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		_ = p.Run(pctx)
	}()
	return c, nil
}

// stop ends the poller and waits for its pass in flight.
func (c *streamConsumer) stop() {
	if c == nil {
		return
	}
	c.cancel()
	<-c.done
}
