package stack

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/stripepay"
)

// CardSettings are the card processor's settings (docs/configuration.md).
// None is ever logged.
type CardSettings struct {
	// SecretKey selects Stripe; "" selects the local simulator (local mode)
	// or no card payments (AWS).
	SecretKey string
	// WebhookSecret verifies POST /webhooks/stripe. Locally it defaults to
	// a fresh random secret shared with the simulator.
	WebhookSecret string
	// ConnectReturnURL and ConnectRefreshURL are where Stripe's hosted
	// onboarding sends the owner back (required with a key in AWS).
	ConnectReturnURL  string
	ConnectRefreshURL string
	// APIBase replaces https://api.stripe.com, in local mode only (e.g.
	// stripe-mock).
	APIBase string
}

// Local defaults of the onboarding return and refresh URLs.
const (
	DefaultConnectReturnURL  = "http://127.0.0.1:8080/?cardOnboarding=done"
	DefaultConnectRefreshURL = "http://127.0.0.1:8080/?cardOnboarding=refresh"
)

// CardSettingsFromEnv reads STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET,
// STRIPE_CONNECT_RETURN_URL, STRIPE_CONNECT_REFRESH_URL and STRIPE_API_BASE.
func CardSettingsFromEnv(getenv func(string) string) CardSettings {
	return CardSettings{
		SecretKey: getenv("STRIPE_SECRET_KEY"), WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
		ConnectReturnURL: getenv("STRIPE_CONNECT_RETURN_URL"), ConnectRefreshURL: getenv("STRIPE_CONNECT_REFRESH_URL"),
		APIBase: getenv("STRIPE_API_BASE"),
	}
}

// NewCardGateway builds the card processor: Stripe when a secret key is
// set; otherwise, in local mode, the labelled simulator (returned as well,
// so the local server can serve its card reader and point its webhooks at
// itself), and in AWS mode nil — card payments refused, no webhook route.
func NewCardGateway(s CardSettings, local bool, logger *slog.Logger) (payments.Gateway, *stripepay.Simulator, error) {
	if local {
		if s.ConnectReturnURL == "" {
			s.ConnectReturnURL = DefaultConnectReturnURL
		}
		if s.ConnectRefreshURL == "" {
			s.ConnectRefreshURL = DefaultConnectRefreshURL
		}
	} else if s.APIBase != "" {
		return nil, nil, fmt.Errorf("STRIPE_API_BASE is allowed in local mode only")
	}
	if s.SecretKey != "" {
		g, err := stripepay.New(stripepay.Config{SecretKey: s.SecretKey, WebhookSecret: s.WebhookSecret,
			ConnectReturnURL: s.ConnectReturnURL, ConnectRefreshURL: s.ConnectRefreshURL, APIBase: s.APIBase, Local: local})
		if err != nil {
			return nil, nil, err
		}
		return g, nil, nil
	}
	if !local {
		return nil, nil, nil
	}
	if s.WebhookSecret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		s.WebhookSecret = "whsec_sim_" + hex.EncodeToString(b)
	}
	sim, err := stripepay.NewSimulator(stripepay.SimulatorConfig{WebhookSecret: s.WebhookSecret, ConnectReturnURL: s.ConnectReturnURL, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	return sim, sim, nil
}
