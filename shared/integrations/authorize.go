package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// An OAuth provider (freee) grants access in the merchant's browser, before
// the integration exists: the console needs the token to list the
// company's own accounts the mapping is chosen from. The grant waits as a
// pending Authorization (its token pair sealed, for AuthorizationTTL) until
// connectIntegration consumes it, once.

// AuthorizationIDPrefix prefixes pending authorization ids.
const AuthorizationIDPrefix = "oau"

// AuthorizationTTL is how long a pending authorization can be connected.
const AuthorizationTTL = time.Hour

// Bounds of what a provider's answers become: companies of a grant, and
// rows of each AccountOptions list (the first ones are kept).
const (
	MaxCompanies      = 100
	MaxAccountOptions = 1000
)

// Authorization is a provider's grant waiting for its integration.
type Authorization struct {
	ID       string
	TenantID string
	Provider Provider
	// SealedSecrets is the token pair, sealed (SecretsAAD(tenant, id)).
	SealedSecrets []byte
	// Companies are the provider's companies (freee 事業所) the grant can
	// open, as listed at authorization.
	Companies []Company
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Company is one company of an accounting provider.
type Company struct {
	ID          string
	Name        string
	DisplayName string
}

// AccountOptions are what an accounting mapping may name, read live from
// the provider's company.
type AccountOptions struct {
	AccountItems []AccountItem
	Taxes        []TaxCode
	Walletables  []Walletable
	Sections     []Section
}

// AccountItem is one 勘定科目.
type AccountItem struct{ ID, Name, Category string }

// TaxCode is one available 税区分.
type TaxCode struct {
	Code int64
	Name string
}

// Walletable is one 口座 (bank_account, credit_card or wallet).
type Walletable struct{ ID, Type, Name string }

// Section is one 部門.
type Section struct{ ID, Name string }

// Grant is an authorization code exchanged: the secrets to seal and the
// companies they open.
type Grant struct {
	Secrets   json.RawMessage
	Companies []Company
}

// Authorizer is a connector whose provider grants access through an OAuth
// authorization-code flow. A bad argument is apperr.Invalid naming its
// field; the provider down is apperr.Unavailable.
type Authorizer interface {
	// AuthorizationURL is where the merchant's browser grants access
	// (never carrying a client secret); fields ["redirectUri"], ["state"].
	AuthorizationURL(redirectURI, state string, local bool) (string, error)
	// Exchange trades the code (client secret server-side) for secrets;
	// fields ["input", "code"], ["input", "redirectUri"].
	Exchange(ctx context.Context, code, redirectURI string, local bool) (Grant, error)
	// AccountOptions reads the company's masters with c's secrets (a
	// rotated token pair is stored through c.SaveSecrets first).
	AccountOptions(ctx context.Context, c Config, companyID string) (AccountOptions, error)
}

// SettingsUpdater is a connector whose settings can change after connect
// (updateIntegrationSettings): it checks the change against the provider as
// at connect and returns the new public settings.
type SettingsUpdater interface {
	UpdateSettings(ctx context.Context, c Config, change json.RawMessage) (json.RawMessage, error)
}

func (s *Service) authorizer(p Provider, field ...string) (Authorizer, error) {
	if a, ok := s.Connectors[p].(Authorizer); ok {
		return a, nil
	}
	return nil, apperr.New(apperr.Invalid, "the provider has no authorization flow", field...)
}

// AuthorizationURL returns the provider's authorize URL for the merchant's
// browser. Same permission as connecting.
func (s *Service) AuthorizationURL(ctx context.Context, p Provider, redirectURI, state string) (string, error) {
	if _, err := identity.Require(ctx, identity.ManageIntegration); err != nil {
		return "", err
	}
	a, err := s.authorizer(p)
	if err != nil {
		return "", err
	}
	return a.AuthorizationURL(redirectURI, state, s.Local)
}

// Authorize exchanges an authorization code and keeps the grant, sealed,
// as a pending authorization for AuthorizationTTL.
func (s *Service) Authorize(ctx context.Context, p Provider, code, redirectURI string) (Authorization, error) {
	pr, err := identity.Require(ctx, identity.ManageIntegration)
	if err != nil {
		return Authorization{}, err
	}
	a, err := s.authorizer(p, "input")
	if err != nil {
		return Authorization{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	g, err := a.Exchange(cctx, code, redirectURI, s.Local)
	if err != nil {
		return Authorization{}, s.providerError(p, err)
	}
	g.Companies = g.Companies[:min(len(g.Companies), MaxCompanies)]
	now := s.now()
	au := Authorization{ID: ids.NewAt(AuthorizationIDPrefix, now), TenantID: pr.TenantID, Provider: p, Companies: g.Companies,
		CreatedAt: now, ExpiresAt: now.Add(AuthorizationTTL)}
	if au.SealedSecrets, err = s.Sealer.Seal(ctx, g.Secrets, SecretsAAD(pr.TenantID, au.ID)); err != nil {
		return Authorization{}, fmt.Errorf("seal the authorization's secrets: %w", err)
	}
	if err := s.Store.CreateAuthorization(ctx, au); err != nil {
		return Authorization{}, err
	}
	return au, nil
}

// AccountOptions reads what a mapping may name from the provider's company,
// with the tokens of a pending authorization or of a connected integration
// (exactly one of the two ids).
func (s *Service) AccountOptions(ctx context.Context, p Provider, authorizationID, integrationID, companyID string) (AccountOptions, error) {
	if _, err := identity.Require(ctx, identity.ManageIntegration); err != nil {
		return AccountOptions{}, err
	}
	a, err := s.authorizer(p)
	if err != nil {
		return AccountOptions{}, err
	}
	var cfg Config
	switch {
	case (authorizationID == "") == (integrationID == ""):
		return AccountOptions{}, apperr.New(apperr.Invalid, "give exactly one of authorizationId and integrationId", "authorizationId")
	case authorizationID != "":
		if cfg, err = s.authorizationConfig(ctx, p, authorizationID, "authorizationId"); err != nil {
			return AccountOptions{}, err
		}
	default:
		if cfg, err = s.providerConfig(ctx, p, integrationID, "integrationId"); err != nil {
			return AccountOptions{}, err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	opts, err := a.AccountOptions(cctx, cfg, companyID)
	if err != nil {
		return AccountOptions{}, s.providerError(p, err)
	}
	opts.AccountItems = opts.AccountItems[:min(len(opts.AccountItems), MaxAccountOptions)]
	opts.Taxes = opts.Taxes[:min(len(opts.Taxes), MaxAccountOptions)]
	opts.Walletables = opts.Walletables[:min(len(opts.Walletables), MaxAccountOptions)]
	opts.Sections = opts.Sections[:min(len(opts.Sections), MaxAccountOptions)]
	return opts, nil
}

// UpdateSettings changes a connected integration's settings, checked
// against the provider as at connect; nothing is written when the check
// fails (but a token pair the provider rotated meanwhile is kept).
func (s *Service) UpdateSettings(ctx context.Context, id string, change json.RawMessage) (Integration, error) {
	if _, err := identity.Require(ctx, identity.ManageIntegration); err != nil {
		return Integration{}, err
	}
	if err := validID(IDPrefix, id, "input", "id"); err != nil {
		return Integration{}, err
	}
	switch {
	case len(change) > MaxSettingsBytes:
		return Integration{}, apperr.Newf(apperr.Invalid, []string{"input", "settings"}, "settings must be at most %d bytes of JSON", MaxSettingsBytes)
	case !isObject(change):
		return Integration{}, apperr.New(apperr.Invalid, "settings must be a JSON object", "input", "settings")
	}
	in, err := s.Store.GetIntegration(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return Integration{}, apperr.New(apperr.NotFound, "no such integration", "input", "id")
	}
	if err != nil {
		return Integration{}, err
	}
	if in.Disconnected {
		return Integration{}, apperr.New(apperr.Invalid, "the integration is disconnected", "input", "id")
	}
	u, ok := s.Connectors[in.Provider].(SettingsUpdater)
	if !ok {
		return Integration{}, apperr.New(apperr.Invalid, "a "+string(in.Provider)+" integration's settings cannot be changed; disconnect it and connect again", "input", "settings")
	}
	cfg, err := openConfig(ctx, s.Store, s.Sealer, s.Local, in, s.now)
	if err != nil {
		return Integration{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	settings, err := u.UpdateSettings(cctx, cfg, change)
	if err != nil {
		return Integration{}, s.providerError(in.Provider, err)
	}
	return s.Store.UpdateSettings(ctx, id, settings, s.now())
}

// providerError passes a connector's coded errors on; anything else is
// network trouble reaching the provider, whose text may name hosts.
func (s *Service) providerError(p Provider, err error) error {
	if _, expected := apperr.Expected(err); expected || apperr.Is(err, apperr.Unavailable) {
		return err
	}
	s.logger().Warn("provider call failed", "provider", string(p), "error", err.Error())
	return apperr.Wrap(err, apperr.Unavailable, "the provider could not be reached; try again")
}

// providerConfig opens a connected integration of provider p for a call on
// the caller's behalf.
func (s *Service) providerConfig(ctx context.Context, p Provider, id string, field ...string) (Config, error) {
	notFound := apperr.New(apperr.NotFound, "no such "+string(p)+" integration", field...)
	if !ids.Valid(IDPrefix, id) {
		return Config{}, notFound
	}
	in, err := s.Store.GetIntegration(ctx, id)
	if apperr.Is(err, apperr.NotFound) || (err == nil && in.Provider != p) {
		return Config{}, notFound
	}
	if err != nil {
		return Config{}, err
	}
	if in.Disconnected {
		return Config{}, apperr.New(apperr.Invalid, "the integration is disconnected", field...)
	}
	return openConfig(ctx, s.Store, s.Sealer, s.Local, in, s.now)
}

// authorizationConfig opens a pending authorization of provider p: its
// secrets, and a SaveSecrets that reseals a rotated pair into it.
func (s *Service) authorizationConfig(ctx context.Context, p Provider, id string, field ...string) (Config, error) {
	notFound := apperr.New(apperr.NotFound, "no such authorization: it expired, was used, or never existed; authorize again", field...)
	if !ids.Valid(AuthorizationIDPrefix, id) {
		return Config{}, notFound
	}
	au, err := s.Store.GetAuthorization(ctx, id, s.now())
	if apperr.Is(err, apperr.NotFound) || (err == nil && au.Provider != p) {
		return Config{}, notFound
	}
	if err != nil {
		return Config{}, err
	}
	aad := SecretsAAD(au.TenantID, au.ID)
	plain, err := s.Sealer.Open(ctx, au.SealedSecrets, aad)
	if err != nil {
		return Config{}, fmt.Errorf("open the secrets of authorization %s: %w", au.ID, err)
	}
	return Config{Integration: Integration{TenantID: au.TenantID, Provider: p}, Secrets: plain, Local: s.Local,
		SaveSecrets: func(ctx context.Context, secrets json.RawMessage) error {
			sealed, err := s.Sealer.Seal(ctx, secrets, aad)
			if err != nil {
				return fmt.Errorf("seal the authorization's secrets: %w", err)
			}
			return s.Store.SaveAuthorizationSecrets(tenant.WithID(ctx, au.TenantID), au.ID, sealed)
		}}, nil
}

// pendingSecrets is ConnectRequest.Authorization: the opened secrets of a
// pending authorization of provider p.
func (s *Service) pendingSecrets(p Provider) func(ctx context.Context, id string) (json.RawMessage, func(context.Context, json.RawMessage) error, error) {
	return func(ctx context.Context, id string) (json.RawMessage, func(context.Context, json.RawMessage) error, error) {
		cfg, err := s.authorizationConfig(ctx, p, id, "input", "settings", "authorizationId")
		if err != nil {
			return nil, nil, err
		}
		return cfg.Secrets, cfg.SaveSecrets, nil
	}
}
