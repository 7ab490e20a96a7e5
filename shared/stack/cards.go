package stack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/stripehook"
)

// CardConfig is what card sales need, whichever runtime hosts them.
type CardConfig struct {
	// Payments is the card processor (stripepay.Gateway, or the labelled
	// simulator locally). nil: CARD payments are refused and
	// POST /webhooks/stripe is not served.
	Payments payments.Gateway
	// Accounts applies account.updated events (payments.Service); nil
	// acknowledges them unread.
	Accounts stripehook.AccountEvents
	// PendingTTL is how long a card sale may wait for its card
	// (0: sales.DefaultPendingTTL).
	PendingTTL time.Duration
}

// wireCards gives the sales service its processor and pending store, and
// returns the webhook's route.
func wireCards(cfg CardConfig, table *dynamo.Table, s *sales.Service, logger *slog.Logger, now func() time.Time) map[string]http.Handler {
	s.Pending, s.PendingTTL, s.Logger = dynamo.NewPendingStore(table), cfg.PendingTTL, logger
	if cfg.Payments == nil {
		return nil
	}
	s.Payments = cfg.Payments
	h := &stripehook.Handler{Parser: cfg.Payments, Payments: s, Accounts: cfg.Accounts, Logger: logger, Now: now}
	return map[string]http.Handler{"POST " + stripehook.Path: h}
}

// PendingPaymentsJob is the scheduled job that expires card sales left
// PENDING_PAYMENT past the TTL (sales.Service.ExpirePendingPayments): their
// intents are cancelled and their stock given back. Safe to overlap.
func PendingPaymentsJob(ddb *dynamodb.Client, tableName string, cfg CardConfig, logger *slog.Logger) Job {
	table := dynamo.New(ddb, tableName)
	s := &sales.Service{Store: dynamo.NewSalesStore(table), Pending: dynamo.NewPendingStore(table), Payments: cfg.Payments,
		PendingTTL: cfg.PendingTTL, Logger: logger, Now: time.Now}
	return Job{Name: "expire-pending-payments", Run: func(ctx context.Context, now time.Time) error {
		res, err := s.ExpirePendingPayments(ctx, now)
		if err != nil {
			return err
		}
		if res.Failed > 0 {
			return fmt.Errorf("%d pending card sales left for the next run", res.Failed)
		}
		if res.Expired+res.Settled > 0 {
			logger.Info("pending card sales expired", slog.Int("expired", res.Expired), slog.Int("alreadySettled", res.Settled))
		}
		return nil
	}}
}

// ExpirePendingPayments runs the expiry of pending card sales once, as of
// now, against the local stack (tests move now past the TTL; `make run`'s
// ticker runs the same job every minute). With a Stripe key set the intents
// are not cancelled from here.
func (l *Local) ExpirePendingPayments(ctx context.Context, now time.Time, logger *slog.Logger) error {
	var cfg CardConfig
	if l.cards != nil {
		cfg.Payments = l.cards
	}
	return PendingPaymentsJob(l.DynamoDB, l.Table, cfg, logger).Run(ctx, now)
}

// PendingTTLFromEnv reads RENKEI_PENDING_PAYMENT_TTL, how long a card sale
// may wait for its card before the scheduler cancels it: a Go duration
// between 1m and 24h ("" keeps sales.DefaultPendingTTL, 15m).
func PendingTTLFromEnv(getenv func(string) string) (time.Duration, error) {
	v := getenv("RENKEI_PENDING_PAYMENT_TTL")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute || d > 24*time.Hour {
		return 0, fmt.Errorf("RENKEI_PENDING_PAYMENT_TTL must be a duration between 1m and 24h, e.g. 15m")
	}
	return d, nil
}
