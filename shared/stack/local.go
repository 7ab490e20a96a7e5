package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/renkei-pos/renkei/console"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/jobqueue"
	"github.com/renkei-pos/renkei/shared/quota"
	"github.com/renkei-pos/renkei/shared/secretbox"
	"github.com/renkei-pos/renkei/shared/sqslocal"
	"github.com/renkei-pos/renkei/shared/sqsqueue"
	"github.com/renkei-pos/renkei/shared/stripehook"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

// LocalConfig configures the local stack. The zero value suits tests: an
// in-memory DynamoDB Local, an embedded SQS, the API on a free loopback port.
type LocalConfig struct {
	// DataDir keeps DynamoDB Local's files and the local JWT secret. ""
	// keeps everything in memory.
	DataDir string
	// DynamoDBEndpoint uses an already running DynamoDB (Local) instead of
	// starting one.
	DynamoDBEndpoint string
	// HTTPAddr is where the API listens; default 127.0.0.1:0 (a free port).
	HTTPAddr string
	Table    string // default "renkei"
	Queue    string // default "renkei-jobs"
	Logger   *slog.Logger
	// EngineLog receives DynamoDB Local's output.
	EngineLog io.Writer
	Rates     Rates
	// JWTSecret signs access tokens; nil reads RENKEI_JWT_SECRET, else a key
	// kept in DataDir (or in memory without one).
	JWTSecret []byte
	// DynamoDBOptions adjust the API's DynamoDB client (benchmarks count
	// round trips with a middleware; tests inject faults).
	DynamoDBOptions []func(*dynamodb.Options)
	// Identity tunes the log-in policy and the session check (zero:
	// production's).
	Identity identity.Config
	// Cards are the card processor's settings; the zero value runs the
	// labelled simulator (`make run` reads them with CardSettingsFromEnv).
	Cards CardSettings
	// SchedulerInterval is how often the scheduled jobs run (the
	// EventBridge rule's rate in AWS); 0: DefaultSchedulerInterval,
	// negative: never (tests run a job themselves, e.g.
	// ExpirePendingPayments).
	SchedulerInterval time.Duration
	// PendingTTL is how long a card sale may wait for its card before the
	// scheduled expiry cancels it (0: sales.DefaultPendingTTL).
	PendingTTL time.Duration
	// StreamInterval is the pause between the stream poller's passes
	// (0: 200 ms).
	StreamInterval time.Duration
	// Integrations tunes the integration hub (its Local, Sealer, Queue and
	// Logger are the stack's): tests shorten the worker's lease and
	// backoff, inject a crash after a run, or give the connectors an HTTP
	// client. Integrations.Freee is renkei's freee app: point it at a fake
	// freee with freeefake's Fake.App() (its consent page, token endpoint
	// and API; functions/local does so without FREEE_CLIENT_ID).
	Integrations HubConfig
	// SecretsKeyFile keeps the key that seals integration secrets; ""
	// uses RENKEI_SECRETS_KEY_FILE, else <DataDir>/integration-secrets.key
	// (a key in memory without a DataDir).
	SecretsKeyFile string
	// RequestBudget bounds every API request (0: deadline.Request, as in
	// the Lambda).
	RequestBudget time.Duration
	// WorkerPerTenant and WorkerConcurrency bound the local job poller:
	// jobs of one tenant in flight at once, and in all (0: jobqueue's
	// defaults, 2 and 8).
	WorkerPerTenant, WorkerConcurrency int
}

// Local is a running local stack.
type Local struct {
	// URL is the GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql.
	URL      string
	BaseURL  string
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	Table    string
	Queues   sqsqueue.Queues
	// Quota is the API's platform-wide tenant limiter (nil with
	// Rates.PerInstance); benchmarks read its Stats.
	Quota *quota.Limiter
	// Hub is the integration hub the API, the stream consumer's
	// dispatcher and the job poller share.
	Hub *Hub

	ddb    *dynamolocal.Server
	sqsSrv *sqslocal.Server
	// cards is the local card simulator (nil with a Stripe key).
	cards  *stripepay.Simulator
	stream *streamConsumer  // the table's stream consumer (streams.go)
	worker *jobqueue.Poller // runs integration jobs from the jobs queue
	// jobs are the scheduled jobs and ticker their local schedule
	// (scheduler.go).
	jobs   []Job
	ticker *ticker
	http   *http.Server
	served chan error
}

// StartLocal starts the engines, creates the table and queues, and serves
// the API. On error everything already started is stopped.
func StartLocal(ctx context.Context, cfg LocalConfig) (_ *Local, err error) {
	if cfg.Table == "" {
		cfg.Table = "renkei"
	}
	if cfg.Queue == "" {
		cfg.Queue = "renkei-jobs"
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	l := &Local{Table: cfg.Table}
	defer func() {
		if err != nil {
			l.Close(context.Background())
		}
	}()
	endpoint := cfg.DynamoDBEndpoint
	if endpoint == "" {
		opts := dynamolocal.Options{Log: cfg.EngineLog}
		if cfg.DataDir != "" {
			opts.DBPath = filepath.Join(cfg.DataDir, "dynamodb")
		}
		if l.ddb, err = dynamolocal.Start(ctx, opts); err != nil {
			return nil, fmt.Errorf("start DynamoDB Local: %w", err)
		}
		endpoint = l.ddb.Endpoint()
	}
	if l.DynamoDB, err = dynamolocal.NewClient(ctx, endpoint, cfg.DynamoDBOptions...); err != nil {
		return nil, err
	}
	if err := dynamo.New(l.DynamoDB, cfg.Table).EnsureTable(ctx); err != nil {
		return nil, err
	}
	if l.sqsSrv, err = sqslocal.Start(ctx, sqslocal.Options{}); err != nil {
		return nil, fmt.Errorf("start SQS emulator: %w", err)
	}
	if l.SQS, err = sqslocal.NewClient(ctx, l.sqsSrv.Endpoint()); err != nil {
		return nil, err
	}
	if l.Queues, err = sqsqueue.EnsureQueues(ctx, l.SQS, cfg.Queue, 180); err != nil {
		return nil, err
	}
	hubCfg := cfg.Integrations
	hubCfg.Local, hubCfg.Logger = true, cfg.Logger
	hubCfg.Queue = jobqueue.NewSender(l.SQS, l.Queues.Jobs)
	if hubCfg.Sealer, err = localSealer(cfg); err != nil {
		return nil, err
	}
	l.Hub = NewHub(dynamo.New(l.DynamoDB, cfg.Table), hubCfg)
	// The stream consumer's hub reads the table with the consumer's own
	// client (test middleware on the API's client must not touch it).
	consumerHub := func(t *dynamo.Table) *Hub { return NewHub(t, hubCfg) }
	if l.stream, err = startStreamConsumer(ctx, endpoint, cfg.Table, cfg.StreamInterval, consumerHub, cfg.Logger); err != nil {
		return nil, err
	}
	l.worker = &jobqueue.Poller{Client: l.SQS, QueueURL: l.Queues.Jobs, Handler: l.Hub.Worker.Handle, Logger: cfg.Logger,
		PerGroup: cfg.WorkerPerTenant, Concurrency: cfg.WorkerConcurrency}
	if err := l.worker.Start(ctx); err != nil {
		return nil, fmt.Errorf("start the job poller: %w", err)
	}
	secret := cfg.JWTSecret
	if secret == nil {
		if secret, err = jwtSecret(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	// Stripe's onboarding returns to the console this server serves: on
	// its fixed address when it has one (RENKEI_HTTP_ADDR), else the
	// defaults' 127.0.0.1:8080.
	if _, port, err := net.SplitHostPort(cfg.HTTPAddr); err == nil && port != "0" {
		if cfg.Cards.ConnectReturnURL == "" {
			cfg.Cards.ConnectReturnURL = "http://" + cfg.HTTPAddr + "/?cardOnboarding=done"
		}
		if cfg.Cards.ConnectRefreshURL == "" {
			cfg.Cards.ConnectRefreshURL = "http://" + cfg.HTTPAddr + "/?cardOnboarding=refresh"
		}
	}
	gateway, sim, err := NewCardGateway(cfg.Cards, true, cfg.Logger)
	if err != nil {
		return nil, err
	}
	l.cards = sim
	cards := CardConfig{Payments: gateway, PendingTTL: cfg.PendingTTL}
	l.jobs = ScheduledJobs(l.DynamoDB, cfg.Table, cards, l.Hub, cfg.Logger)
	if !cfg.Rates.PerInstance {
		// A client of its own: DynamoDBOptions' test middleware (faults,
		// round-trip counters) is about the requests' storage work.
		qc, err := dynamolocal.NewClient(ctx, endpoint)
		if err != nil {
			return nil, err
		}
		l.Quota = NewQuota(qc, cfg.Table, cfg.Rates, cfg.Logger)
	}
	h, err := NewAPI(APIConfig{
		Cards:    cards,
		DynamoDB: l.DynamoDB, Table: cfg.Table, JWTSecret: secret, Logger: cfg.Logger, Playground: true, Console: console.Handler(), Rates: cfg.Rates, Identity: cfg.Identity,
		Health: func(ctx context.Context) error { return sqsqueue.Ping(ctx, l.SQS, l.Queues.Jobs) },
		Hub:    l.Hub, Sealer: hubCfg.Sealer, RequestBudget: cfg.RequestBudget, Quota: l.Quota,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	l.BaseURL = "http://" + ln.Addr().String()
	l.URL = l.BaseURL + "/graphql"
	var handler http.Handler = h
	if sim != nil {
		// The simulator sends its webhooks here and taps cards on its
		// reader through a local-only route.
		sim.SetWebhookURL(l.BaseURL + stripehook.Path)
		mux := http.NewServeMux()
		mux.Handle("POST "+stripepay.PresentPath, sim.Handler())
		mux.Handle("/", h)
		handler = mux
	}
	l.http = &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	l.served = make(chan error, 1)
	go func() { l.served <- l.http.Serve(ln) }()
	l.ticker = startTicker(cfg.SchedulerInterval, l.jobs, cfg.Logger)
	return l, nil
}

// Close stops the HTTP server and the engines.
func (l *Local) Close(ctx context.Context) error {
	var errs []error
	if l.http != nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		errs = append(errs, l.http.Shutdown(sctx))
		cancel()
	}
	l.ticker.stop()
	l.stream.stop()
	if l.worker != nil {
		errs = append(errs, l.worker.Stop(ctx))
	}
	if l.cards != nil {
		errs = append(errs, l.cards.Close(ctx))
	}
	if l.sqsSrv != nil {
		errs = append(errs, l.sqsSrv.Stop(ctx))
	}
	if l.ddb != nil {
		errs = append(errs, l.ddb.Stop())
	}
	return errors.Join(errs...)
}

// EnginePID is the DynamoDB Local JVM's process id, or 0 when the stack
// uses an engine it did not start (DynamoDBEndpoint).
func (l *Local) EnginePID() int {
	if l.ddb == nil {
		return 0
	}
	return l.ddb.PID()
}

// Served returns the HTTP server's exit (e.g. a failed listener).
func (l *Local) Served() <-chan error { return l.served }

// jwtSecret keeps a random signing key under dataDir so sessions survive a
// restart of `make run`; without a dataDir the key lives in memory.
func jwtSecret(dataDir string) ([]byte, error) {
	if v := os.Getenv("RENKEI_JWT_SECRET"); v != "" {
		return []byte(v), nil
	}
	fresh := func() []byte {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return []byte(hex.EncodeToString(b))
	}
	if dataDir == "" {
		return fresh(), nil
	}
	path := filepath.Join(dataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dataDir, err)
	}
	key := fresh()
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}

// localSealer seals integration secrets with a key file kept beside the
// data (created 0600 on first use), or a key in memory without a DataDir.
func localSealer(cfg LocalConfig) (*secretbox.Box, error) {
	path := cfg.SecretsKeyFile
	if path == "" {
		path = os.Getenv("RENKEI_SECRETS_KEY_FILE")
	}
	if path == "" && cfg.DataDir != "" {
		path = filepath.Join(cfg.DataDir, "integration-secrets.key")
	}
	if path == "" {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		return secretbox.NewLocalKey(key)
	}
	return secretbox.NewLocal(path)
}
