// Package stripepay implements payments.Gateway on Stripe (stripe-go v76,
// API version 2023-10-16) with Stripe Connect: each tenant is a Standard
// connected account and card sales are direct charges on it with an
// application fee. It also holds the labelled local simulator used when no
// Stripe key is configured (simulator.go), which signs its webhooks exactly
// as Stripe does so that the same ParseEvent verifies both.
package stripepay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/renkei-pos/renkei/shared/deadline"
	"github.com/renkei-pos/renkei/shared/payments"
)

// Config is the Stripe adapter's configuration. SecretKey and WebhookSecret
// come from Secrets Manager in production; none of them is ever logged.
type Config struct {
	SecretKey     string // sk_live_… / sk_test_… (or rk_…)
	WebhookSecret string // whsec_…: the Connect webhook endpoint's signing secret
	// ConnectReturnURL and ConnectRefreshURL are where Stripe's hosted
	// onboarding sends the merchant back (done / link expired).
	ConnectReturnURL  string
	ConnectRefreshURL string
	// APIBase replaces https://api.stripe.com; honoured only when Local is
	// set (tests point it at stripe-mock).
	APIBase string
	Local   bool
	// HTTPClient defaults to one with a 20 s timeout.
	HTTPClient *http.Client
}

// Gateway is payments.Gateway on Stripe.
type Gateway struct {
	api           *client.API
	webhookSecret string
	returnURL     string
	refreshURL    string
}

var _ payments.Gateway = (*Gateway)(nil)

// New builds the adapter with its own client (never stripe.Key, the global).
func New(cfg Config) (*Gateway, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripepay: no secret key")
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("stripepay: no webhook signing secret")
	}
	if cfg.ConnectReturnURL == "" || cfg.ConnectRefreshURL == "" {
		return nil, errors.New("stripepay: the Connect onboarding return and refresh URLs are required")
	}
	if cfg.APIBase != "" && !cfg.Local {
		return nil, errors.New("stripepay: the Stripe API base URL may be overridden only in local mode")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	bc := &stripe.BackendConfig{
		HTTPClient: hc,
		// Our own logs say what failed, without Stripe's request dumps.
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(2), // stripe-go resends with the same Idempotency-Key
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	}
	return &Gateway{
		api: client.New(cfg.SecretKey, backends), webhookSecret: cfg.WebhookSecret,
		returnURL: cfg.ConnectReturnURL, refreshURL: cfg.ConnectRefreshURL,
	}, nil
}

// retrySleep is the longest pause stripe-go takes between its network
// retries (0.5 s, then 1 s, with MaxNetworkRetries 2): a time.Sleep that
// does not watch the context.
const retrySleep = time.Second

// callContext bounds one Stripe call, retries included, to the request's
// budget less retrySleep, so that a retry pause started just before the
// end still ends inside the budget (each attempt's 20 s HTTP timeout is
// cut to what is left as well). What runs out is UNAVAILABLE (mapError):
// the same idempotency key settles whether Stripe acted.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return deadline.Reserve(ctx, retrySleep)
}

// APIVersion is the Stripe API version every request and webhook uses.
const APIVersion = stripe.APIVersion

// params are the common request parameters: the request's context, the
// connected account the call acts on ("" for the platform) and the
// idempotency key ("" for reads and tokens).
func params(ctx context.Context, accountID, idempotencyKey string) stripe.Params {
	p := stripe.Params{Context: ctx}
	if accountID != "" {
		p.SetStripeAccount(accountID)
	}
	if idempotencyKey != "" {
		p.SetIdempotencyKey(idempotencyKey)
	}
	return p
}

// need reports a caller's programming error: a missing argument.
func need(op string, fields map[string]string) error {
	for name, v := range fields {
		if v == "" {
			return fmt.Errorf("stripepay %s: %s is required", op, name)
		}
	}
	return nil
}

// CreateAccount creates a Standard connected account in req.Country (JP by
// default). Standard, because renkei takes direct charges: the merchant
// owns the Stripe relationship, its dashboard, payouts and disputes, and
// the platform keeps only its application fee.
func (g *Gateway) CreateAccount(ctx context.Context, req payments.AccountRequest) (payments.Account, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("create account", map[string]string{"tenant id": req.TenantID, "idempotency key": req.IdempotencyKey}); err != nil {
		return payments.Account{}, err
	}
	country := req.Country
	if country == "" {
		country = "JP"
	}
	p := &stripe.AccountParams{
		Params:   params(ctx, "", req.IdempotencyKey),
		Type:     stripe.String(string(stripe.AccountTypeStandard)),
		Country:  stripe.String(country),
		Metadata: map[string]string{"tenant_id": req.TenantID},
	}
	if req.BusinessName != "" {
		p.BusinessProfile = &stripe.AccountBusinessProfileParams{Name: stripe.String(req.BusinessName)}
	}
	a, err := g.api.Accounts.New(p)
	if err != nil {
		return payments.Account{}, mapError("create account", err)
	}
	return payments.Account{ID: a.ID, ChargesEnabled: a.ChargesEnabled}, nil
}

// OnboardingLink returns a fresh hosted onboarding link (they expire within
// minutes and are single-use, so one is made per request).
func (g *Gateway) OnboardingLink(ctx context.Context, accountID string) (string, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("onboarding link", map[string]string{"account id": accountID}); err != nil {
		return "", err
	}
	l, err := g.api.AccountLinks.New(&stripe.AccountLinkParams{
		Params:     params(ctx, "", ""),
		Account:    stripe.String(accountID),
		Type:       stripe.String(string(stripe.AccountLinkTypeAccountOnboarding)),
		ReturnURL:  stripe.String(g.returnURL),
		RefreshURL: stripe.String(g.refreshURL),
	})
	if err != nil {
		return "", mapError("create onboarding link", err)
	}
	return l.URL, nil
}

// CreateTerminalLocation creates a Terminal location on the connected
// account. renkei's locations carry no street address, so only the
// country is sent (see docs/api.md, Card payments).
func (g *Gateway) CreateTerminalLocation(ctx context.Context, req payments.TerminalLocationRequest) (string, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("create terminal location", map[string]string{"account id": req.AccountID, "location id": req.LocationID, "display name": req.DisplayName, "idempotency key": req.IdempotencyKey}); err != nil {
		return "", err
	}
	l, err := g.api.TerminalLocations.New(&stripe.TerminalLocationParams{
		Params:      params(ctx, req.AccountID, req.IdempotencyKey),
		DisplayName: stripe.String(req.DisplayName),
		Address:     &stripe.AddressParams{Country: stripe.String("JP")},
		Metadata:    map[string]string{"location_id": req.LocationID},
	})
	if err != nil {
		return "", mapError("create terminal location", err)
	}
	return l.ID, nil
}

// ConnectionToken returns a connection token secret scoped to a Terminal
// location of the connected account.
func (g *Gateway) ConnectionToken(ctx context.Context, accountID, terminalLocationID string) (string, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := need("connection token", map[string]string{"account id": accountID, "terminal location id": terminalLocationID}); err != nil {
		return "", err
	}
	t, err := g.api.TerminalConnectionTokens.New(&stripe.TerminalConnectionTokenParams{
		Params:   params(ctx, accountID, ""),
		Location: stripe.String(terminalLocationID),
	})
	if err != nil {
		return "", mapError("create connection token", err)
	}
	return t.Secret, nil
}
