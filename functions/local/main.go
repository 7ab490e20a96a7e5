// Command local runs all of renkei on one machine: DynamoDB Local (AWS's
// engine) and the SQS emulator on loopback, the table and queues, and the
// API on RENKEI_HTTP_ADDR (default 127.0.0.1:8080). Without FREEE_CLIENT_ID
// a fake freee (consent page, token endpoint, accounting API) runs on
// loopback too, so the console's freee connection works offline. Ctrl-C
// stops everything.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/connectors/shopify/shopifyfake"
	"github.com/renkei-pos/renkei/shared/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "renkei:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	if env := getenv("RENKEI_ENV"); env != "" && env != "local" {
		return fmt.Errorf("RENKEI_ENV=%q: the local stack runs in local mode only (RENKEI_ENV=local, as make run sets it)", env)
	}
	addr := getenv("RENKEI_HTTP_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	dataDir := getenv("RENKEI_DATA_DIR")
	if dataDir == "" {
		dataDir = ".local"
	}
	interval := time.Duration(0) // stack.DefaultSchedulerInterval
	if v := getenv("RENKEI_SCHEDULER_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d == 0 {
			return fmt.Errorf("RENKEI_SCHEDULER_INTERVAL=%q: want a duration such as 1m or 30s, or a negative one to run no scheduled jobs", v)
		}
		interval = d
	}
	rates, err := stack.RatesFromEnv(getenv)
	if err != nil {
		return err
	}
	pendingTTL, err := stack.PendingTTLFromEnv(getenv)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if getenv("RENKEI_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	engineLog, err := os.OpenFile(dataDir+"/engines.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return err
		}
		if engineLog, err = os.OpenFile(dataDir+"/engines.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			return err
		}
	}
	defer engineLog.Close()
	freeeApp, stopFreee, err := localFreee(getenv, dataDir, stdout)
	if err != nil {
		return err
	}
	defer stopFreee()
	defer localShopify(getenv, stdout)()
	fmt.Fprintln(stdout, "renkei: starting DynamoDB Local and the SQS emulator (data in "+dataDir+"/)…")
	l, err := stack.StartLocal(ctx, stack.LocalConfig{
		DataDir: dataDir, DynamoDBEndpoint: getenv("RENKEI_DYNAMODB_ENDPOINT"), HTTPAddr: addr,
		Table: getenv("RENKEI_TABLE"), Logger: logger, EngineLog: engineLog,
		Cards:             stack.CardSettingsFromEnv(getenv), // no STRIPE_SECRET_KEY: the labelled card simulator
		SchedulerInterval: interval,
		PendingTTL:        pendingTTL,
		Rates:             rates,
		Integrations:      stack.HubConfig{Freee: freeeApp},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "renkei: console at %s/ (open it and sign up), GraphQL API at %s (GraphiQL at %s/graphiql, health at %s/healthz). Ctrl-C stops.\n", l.BaseURL, l.URL, l.BaseURL, l.BaseURL)
	select {
	case <-ctx.Done():
	case err = <-l.Served():
	}
	fmt.Fprintln(stdout, "renkei: stopping…")
	if cerr := l.Close(context.Background()); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// localFreee is renkei's freee app for the local stack: the real freee with
// FREEE_CLIENT_ID and FREEE_CLIENT_SECRET (FREEE_AUTHORIZE_URL optional),
// else an in-process fake freee on a free loopback port
// (RENKEI_FREEE_FAKE_ADDR to choose it). The fake's state (companies,
// deals, tokens) is kept in <dataDir>/freee-fake.json across restarts,
// written when the stack stops.
func localFreee(getenv func(string) string, dataDir string, stdout io.Writer) (freee.App, func(), error) {
	if id := getenv("FREEE_CLIENT_ID"); id != "" {
		if getenv("FREEE_CLIENT_SECRET") == "" {
			return freee.App{}, nil, errors.New("FREEE_CLIENT_ID is set but FREEE_CLIENT_SECRET is not")
		}
		return freee.App{ClientID: id, ClientSecret: getenv("FREEE_CLIENT_SECRET"), AuthorizeURL: getenv("FREEE_AUTHORIZE_URL")}, func() {}, nil
	}
	addr := getenv("RENKEI_FREEE_FAKE_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	f := freeefake.New()
	path := filepath.Join(dataDir, "freee-fake.json")
	if b, err := os.ReadFile(path); err == nil {
		if err := f.LoadState(bytes.NewReader(b)); err != nil {
			return freee.App{}, nil, fmt.Errorf("%s: %w (delete it to start the fake freee afresh)", path, err)
		}
	}
	if err := f.Listen(addr); err != nil {
		return freee.App{}, nil, fmt.Errorf("RENKEI_FREEE_FAKE_ADDR=%q: %w", addr, err)
	}
	fmt.Fprintf(stdout, "renkei: FREEE_CLIENT_ID is not set: a fake freee (company %d %q, state in %s) serves its consent page at %s\n",
		freeefake.DefaultCompanyID, freeefake.DefaultCompany().Name, path, f.AuthorizeURL)
	stop := func() {
		_ = f.Close()
		var buf bytes.Buffer
		if err := f.SaveState(&buf); err == nil {
			_ = os.WriteFile(path, buf.Bytes(), 0o600)
		}
	}
	return f.App(), stop, nil
}

// Local Shopify fake: a shop the console can connect to (local mode lets
// its settings carry apiBaseUrl).
const (
	localShopDomain = "renkei-local.myshopify.com"
	localShopToken  = "shpat_renkei_local_fake"
)

// localShopify starts a fake Shopify shop on loopback (unless
// RENKEI_SHOPIFY_FAKE=off), prints how to connect to it, and returns its
// stop.
func localShopify(getenv func(string) string, stdout io.Writer) func() {
	if getenv("RENKEI_SHOPIFY_FAKE") == "off" {
		return func() {}
	}
	shop := shopifyfake.New(localShopToken)
	shibuya := shop.AddLocation("渋谷店", true)
	online := shop.AddLocation("オンライン倉庫", true)
	for _, sku := range []string{"DEMO-001", "DEMO-002", "DEMO-003"} {
		shop.AddVariant(sku)
	}
	fmt.Fprintf(stdout, "renkei: a fake Shopify shop (in memory) answers for shopDomain %s with accessToken %s and settings apiBaseUrl %s; locations %s (渋谷店), %s (オンライン倉庫); variants DEMO-001…003\n",
		localShopDomain, localShopToken, shop.URL(), shibuya, online)
	return shop.Close
}
