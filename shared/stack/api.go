package stack

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/graph"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/quota"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/timecards"
)

// APIConfig is what the API handler needs, whichever runtime hosts it.
type APIConfig struct {
	DynamoDB  *dynamodb.Client
	Table     string
	JWTSecret []byte
	Logger    *slog.Logger
	// Health is added to the table check behind GET /healthz (e.g. the queue).
	Health     func(ctx context.Context) error
	Playground bool
	// Console, when set, serves the merchant console at every path the API
	// does not own (local mode: console.Handler(); in AWS CloudFront does).
	Console http.Handler
	// ConsoleOrigins and ViewerHostHeader tell the cookie-session endpoints
	// which browser origins are the console's (graph.Config).
	ConsoleOrigins   []string
	ViewerHostHeader string
	// OriginVerifySecret lets the API trust the viewer address CloudFront
	// forwards (graph.Config.OriginVerifySecret).
	OriginVerifySecret string
	Now                func() time.Time
	// Rates override the gateway's request limits (0 keeps the defaults).
	Rates Rates
	// Identity tunes the log-in policy and the session check (the zero
	// value is production's; tests shorten delays and TTLs).
	Identity identity.Config
	// Cards wires card sales and POST /webhooks/stripe (cards.go).
	Cards CardConfig
	// Hub serves the integration operations and POST /webhooks/shopify/…
	// (nil: they answer NOT_IMPLEMENTED).
	Hub *Hub
	// Sealer opens integration secrets for the inbound webhooks.
	Sealer integrations.Sealer
	// RequestBudget bounds every request (0: deadline.Request, the same in
	// the Lambda and locally); tests shorten it.
	RequestBudget time.Duration
	// Quota is the platform-wide tenant limiter (nil: one on DynamoDB of
	// Rates, see quota.go).
	Quota *quota.Limiter
}

// Rates are requests per second and bursts: per tenant (platform-wide,
// shared/quota), and per client address for unauthenticated calls (sign-up,
// log-in; per process). PerInstance counts the tenant limit per process
// instead, as before issue 11 (benchmarks compare the two).
type Rates struct {
	Tenant, TenantBurst, Public, PublicBurst int
	PerInstance                              bool
}

// NewAPI builds the services and the HTTP handler.
func NewAPI(cfg APIConfig) (*graph.Handler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	signer, err := identity.NewSigner(cfg.JWTSecret)
	if err != nil {
		return nil, err
	}
	table := dynamo.New(cfg.DynamoDB, cfg.Table)
	tenants := dynamo.NewTenantStore(table)
	salesStore := dynamo.NewSalesStore(table)
	svc := graph.Services{
		Tenants:  &tenant.Service{Store: tenants, Access: identity.TenantAccess{}, Now: cfg.Now},
		Catalog:  &catalog.Service{Store: dynamo.NewCatalogStore(table), Tenants: tenants, Now: cfg.Now},
		Identity: &identity.Service{Store: dynamo.NewIdentityStore(table), Tenants: tenants, Locations: tenants, Registers: tenants, Signer: signer, Now: cfg.Now, Config: cfg.Identity},
		Sales: &sales.Service{Store: salesStore, Offline: salesStore, Closes: salesStore, Refunds: dynamo.NewRefundStore(table), Now: cfg.Now,
			GiftCardLookups: dynamo.NewGiftCardStore(table)},
		Inventory: &inventory.Service{Store: dynamo.NewInventoryStore(table), Now: cfg.Now},
		Reports:   NewReports(table),
		Timecards: &timecards.Service{Store: dynamo.NewTimecardStore(table), Staff: dynamo.NewIdentityStore(table), Locations: tenants, Now: cfg.Now},
		GiftCards: &giftcards.Service{Store: dynamo.NewGiftCardStore(table), Tenants: tenants, Now: cfg.Now},
	}
	svc.Payments = &payments.Service{Store: dynamo.NewPaymentStore(table), Tenants: tenants, Gateway: cfg.Cards.Payments}
	if cfg.Cards.Accounts == nil {
		cfg.Cards.Accounts = svc.Payments
	}
	routes := wireCards(cfg.Cards, table, svc.Sales, cfg.Logger, cfg.Now)
	if cfg.Hub != nil {
		svc.Integrations = cfg.Hub.Service
		if routes == nil {
			routes = map[string]http.Handler{}
		}
		for pattern, h := range cfg.Hub.Routes(cfg.Sealer, cfg.Logger) {
			routes[pattern] = h
		}
	}
	if cfg.Console != nil {
		if routes == nil {
			routes = map[string]http.Handler{}
		}
		routes["/"] = cfg.Console
	}
	return graph.NewHandler(graph.Config{
		Services: svc, Logger: cfg.Logger, Playground: cfg.Playground, Routes: routes,
		ConsoleOrigins: cfg.ConsoleOrigins, ViewerHostHeader: cfg.ViewerHostHeader, OriginVerifySecret: cfg.OriginVerifySecret,
		TenantRate: cfg.Rates.Tenant, TenantBurst: cfg.Rates.TenantBurst, ClientRate: cfg.Rates.Public, ClientBurst: cfg.Rates.PublicBurst,
		RequestBudget: cfg.RequestBudget, TenantLimiter: tenantLimiter(cfg),
		Health: func(ctx context.Context) error {
			if err := table.Ping(ctx); err != nil {
				return err
			}
			if cfg.Health != nil {
				return cfg.Health(ctx)
			}
			return nil
		},
	})
}

// ViewerHostHeader is the header CloudFront's viewer-request function sets
// to the host the browser asked for (infra/console.go), so that the
// console's https Origin counts as the API's own.
const ViewerHostHeader = "Renkei-Viewer-Host"

// ConsoleOriginsFromEnv reads RENKEI_CONSOLE_ORIGINS: comma-separated
// origins (e.g. a custom console domain) whose pages may use console
// sessions besides the one CloudFront names in ViewerHostHeader.
func ConsoleOriginsFromEnv(getenv func(string) string) []string {
	var out []string
	for _, o := range strings.Split(getenv("RENKEI_CONSOLE_ORIGINS"), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}
