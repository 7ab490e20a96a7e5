package payments

import (
	"context"
	"fmt"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Store keeps what card payments add to a tenant: its connected account
// (with a platform lookup from the account to the tenant) and each
// location's Terminal location. Methods work on the tenant in ctx.
type Store interface {
	// LinkAccount records a as the tenant's account together with the
	// lookup item, unless the tenant already has one: then it returns the
	// account stored.
	LinkAccount(ctx context.Context, a Account) (Account, error)
	// TenantOfAccount returns the tenant of a connected account (no tenant
	// in ctx needed); NOT_FOUND for an account renkei did not create.
	TenantOfAccount(ctx context.Context, accountID string) (string, error)
	// ApplyAccount sets the tenant's charges-enabled flag from a when a is
	// its account and a.AsOf is newer than the state stored; it reports
	// whether it did.
	ApplyAccount(ctx context.Context, a Account) (bool, error)
	// SetTerminalLocation records a location's Terminal location unless it
	// has one, and returns the one stored.
	SetTerminalLocation(ctx context.Context, locationID, terminalLocationID string) (string, error)
}

// Tenants is what the service reads of the tenant and its locations
// (tenant.Store implements it).
type Tenants interface {
	GetTenant(ctx context.Context) (tenant.Tenant, error)
	GetLocations(ctx context.Context, ids []string) ([]tenant.Location, error)
	GetRegisters(ctx context.Context, ids []string) ([]tenant.Register, error)
}

// Service connects a tenant to the card processor: onboarding its
// connected account, keeping the charges-enabled flag true to the
// processor, and the Terminal location and connection tokens card readers
// need. Every method that serves a caller checks its permission first.
type Service struct {
	Store   Store
	Tenants Tenants
	Gateway Gateway
}

// AccountIdempotencyKey derives the account creation's key from the tenant
// id, so two clicks (or two owners) make one account. Stripe keeps keys 24
// hours; after the first success the stored id is used and no key is sent.
func AccountIdempotencyKey(tenantID string) string { return "renkei-account-" + tenantID }

// TerminalLocationIdempotencyKey derives a Terminal location's key from the
// tenant and location ids.
func TerminalLocationIdempotencyKey(tenantID, locationID string) string {
	return "renkei-terminal-location-" + tenantID + "-" + locationID
}

// StartOnboarding returns a hosted onboarding link for the tenant's
// connected account, creating the account on the first call (OWNER:
// ManageSettings). Links are single-use and short-lived: each call makes one.
func (s *Service) StartOnboarding(ctx context.Context) (string, error) {
	p, err := identity.Require(ctx, identity.ManageSettings)
	if err != nil {
		return "", err
	}
	if s.Gateway == nil {
		return "", notConfigured()
	}
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return "", err
	}
	accountID := t.StripeAccountID
	if accountID == "" {
		a, err := s.Gateway.CreateAccount(ctx, AccountRequest{
			TenantID: p.TenantID, BusinessName: t.BusinessName, Country: "JP", IdempotencyKey: AccountIdempotencyKey(p.TenantID),
		})
		if err != nil {
			return "", err
		}
		a.AsOf = time.Time{} // creation is not an event: any account.updated applies after it
		if a, err = s.Store.LinkAccount(ctx, a); err != nil {
			return "", err
		}
		accountID = a.ID
	}
	return s.Gateway.OnboardingLink(ctx, accountID)
}

// ApplyAccountUpdate applies a verified account.updated event: the flag
// follows charges_enabled when the event is newer than the last one
// applied. It is called by the webhook handler, with no caller in ctx; the
// account's lookup item names the tenant. NOT_FOUND for an account renkei
// did not create (acknowledge and log it).
func (s *Service) ApplyAccountUpdate(ctx context.Context, a Account) error {
	if a.ID == "" || a.AsOf.IsZero() {
		return fmt.Errorf("apply account update: account id and event time are required")
	}
	tid, err := s.Store.TenantOfAccount(ctx, a.ID)
	if err != nil {
		return err
	}
	if _, err := s.Store.ApplyAccount(tenant.WithID(ctx, tid), a); err != nil {
		return err
	}
	return nil
}

// notConfigured is the answer of a server without a card processor.
func notConfigured() error {
	return apperr.New(apperr.Invalid, "card payments are not available on this server")
}

// notEnabled is the answer when the tenant cannot take cards yet.
func notEnabled() error {
	return apperr.New(apperr.Invalid, "card payments are not enabled for this business yet; the owner finishes card onboarding (startCardPaymentsOnboarding) first")
}

// TerminalLocation returns the Terminal location of one of the tenant's
// locations, creating it at the processor the first time a reader needs
// it (Sell, at a location the caller may work at). INVALID when card
// payments are not enabled.
func (s *Service) TerminalLocation(ctx context.Context, locationID string) (string, error) {
	t, loc, err := s.readerLocation(ctx, locationID, []string{"input", "locationId"})
	if err != nil {
		return "", err
	}
	return s.terminalLocation(ctx, t, loc)
}

// ConnectionToken returns a Terminal connection token secret for a card
// reader at a location, named directly or through one of its registers
// (exactly one of the two; Sell, at a location the caller may work at).
// INVALID when card payments are not enabled.
func (s *Service) ConnectionToken(ctx context.Context, locationID, registerID string) (string, error) {
	if _, err := identity.Require(ctx, identity.Sell); err != nil {
		return "", err
	}
	field := []string{"input", "locationId"}
	switch {
	case (locationID == "") == (registerID == ""):
		return "", apperr.New(apperr.Invalid, "give exactly one of locationId and registerId", "input")
	case registerID != "":
		field = []string{"input", "registerId"}
		loc, _, ok := tenant.ParseRegisterID(registerID)
		if !ok {
			return "", apperr.New(apperr.NotFound, "register not found", field...)
		}
		if err := s.activeRegister(ctx, registerID, loc, field); err != nil {
			return "", err
		}
		locationID = loc
	}
	t, loc, err := s.readerLocation(ctx, locationID, field)
	if err != nil {
		return "", err
	}
	tml, err := s.terminalLocation(ctx, t, loc)
	if err != nil {
		return "", err
	}
	return s.Gateway.ConnectionToken(ctx, t.StripeAccountID, tml)
}

// activeRegister checks the caller may sell at the register and that it
// exists and sells.
func (s *Service) activeRegister(ctx context.Context, registerID, locationID string, field []string) error {
	p, err := identity.Require(ctx, identity.Sell)
	if err != nil {
		return err
	}
	if !p.CanUseLocation(locationID) {
		return apperr.New(apperr.Forbidden, "you may not work at this location", field...)
	}
	rs, err := s.Tenants.GetRegisters(ctx, []string{registerID})
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return apperr.New(apperr.NotFound, "register not found", field...)
	}
	if !rs[0].Active {
		return apperr.New(apperr.Invalid, "the register is deactivated", field...)
	}
	return nil
}

// readerLocation checks the caller (Sell, at the location) and that the
// tenant can take cards, and reads the tenant and the location.
func (s *Service) readerLocation(ctx context.Context, locationID string, field []string) (tenant.Tenant, tenant.Location, error) {
	p, err := identity.Require(ctx, identity.Sell)
	if err != nil {
		return tenant.Tenant{}, tenant.Location{}, err
	}
	if !ids.Valid(ids.Location, locationID) {
		return tenant.Tenant{}, tenant.Location{}, apperr.New(apperr.NotFound, "location not found", field...)
	}
	if !p.CanUseLocation(locationID) {
		return tenant.Tenant{}, tenant.Location{}, apperr.New(apperr.Forbidden, "you may not work at this location", field...)
	}
	if s.Gateway == nil {
		return tenant.Tenant{}, tenant.Location{}, notConfigured()
	}
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return tenant.Tenant{}, tenant.Location{}, err
	}
	if t.StripeAccountID == "" || !t.CardPaymentsEnabled {
		return tenant.Tenant{}, tenant.Location{}, notEnabled()
	}
	ls, err := s.Tenants.GetLocations(ctx, []string{locationID})
	if err != nil {
		return tenant.Tenant{}, tenant.Location{}, err
	}
	if len(ls) == 0 {
		return tenant.Tenant{}, tenant.Location{}, apperr.New(apperr.NotFound, "location not found", field...)
	}
	return t, ls[0], nil
}

func (s *Service) terminalLocation(ctx context.Context, t tenant.Tenant, loc tenant.Location) (string, error) {
	if loc.TerminalLocationID != "" {
		return loc.TerminalLocationID, nil
	}
	id, err := s.Gateway.CreateTerminalLocation(ctx, TerminalLocationRequest{
		AccountID: t.StripeAccountID, LocationID: loc.ID, DisplayName: loc.Name, IdempotencyKey: TerminalLocationIdempotencyKey(t.ID, loc.ID),
	})
	if err != nil {
		return "", err
	}
	return s.Store.SetTerminalLocation(ctx, loc.ID, id)
}
