package giftcards

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/text"
)

// MaxActivitiesPage bounds one page of a card's activities.
const MaxActivitiesPage = 100

// reasonRule is the rule of a manager's reason (an adjustment, a
// deactivation, the legal exception of a cash-out).
var reasonRule = text.Rule{What: "reason", Min: 1, Max: 500}

// Store persists the gift cards of the tenant in ctx.
type Store interface {
	// GetCard reads one card; NOT_FOUND at ["number"] when there is none.
	GetCard(ctx context.Context, number string) (Card, error)
	// Activities returns a card's activities newest first and the next page's cursor.
	Activities(ctx context.Context, number string, first int, after string) ([]Activity, string, error)
	// CreateCard stores a new PENDING card; CONFLICT when the number is taken.
	CreateCard(ctx context.Context, c Card) error
	// Change writes next over prev in one transaction with act and its
	// gift_card.activity event, conditioned on prev.Version (CONFLICT when
	// the card changed meanwhile, e.g. a sale spent from it).
	Change(ctx context.Context, prev, next Card, act Activity, now time.Time) error
	// CountLookup counts one look-up by number against key in the window
	// containing at; RATE_LIMITED (nothing counted) when max are spent.
	CountLookup(ctx context.Context, key string, at time.Time, window time.Duration, max int) error
	// UnusedBalance sums the daily ledger's deltas of every date up to and
	// including asOf ("2006-01-02").
	UnusedBalance(ctx context.Context, asOf string) (int64, error)
	// ApplyLedger adds delta to the ledger of date once per event id.
	ApplyLedger(ctx context.Context, eventID, date string, delta int64) error
}

// Tenants reads the tenant in ctx (its validity policy and time zone).
type Tenants interface {
	GetTenant(ctx context.Context) (tenant.Tenant, error)
}

// LookupPolicy limits look-ups by number per caller, so numbers cannot be
// enumerated: a 16-digit space with a Luhn digit is 10^15 numbers, and 20 a
// minute per credential makes guessing a live one hopeless.
type LookupPolicy struct {
	Window time.Duration
	Max    int
}

// DefaultLookupPolicy is 20 look-ups a minute per caller.
var DefaultLookupPolicy = LookupPolicy{Window: time.Minute, Max: 20}

// Service reads gift cards and makes the managers' changes. Every method
// checks the caller's permission before it touches a store.
type Service struct {
	Store   Store
	Tenants Tenants
	Now     func() time.Time
	// Lookups limits look-ups by number (zero: DefaultLookupPolicy).
	Lookups LookupPolicy
	// zones caches tenants' time zones for ApplyLedger (a tenant's zone is
	// set at sign-up and never changes): tenant id → *time.Location.
	zones sync.Map
}

func (s *Service) lookups() LookupPolicy {
	if s.Lookups.Window <= 0 || s.Lookups.Max <= 0 {
		return DefaultLookupPolicy
	}
	return s.Lookups
}

// CallerKey names the caller a look-up counts against (checkout counts a
// number that named no card against the same key).
func CallerKey(p identity.Principal) string {
	if p.IsAPIKey() {
		return "key#" + p.APIKeyID
	}
	return "user#" + p.UserID
}

func who(p identity.Principal) string {
	if p.IsAPIKey() {
		return p.APIKeyID
	}
	return p.UserID
}

// Lookup reads a card by number for the caller, counting the look-up
// against the caller's limit first. Another tenant's card is NOT_FOUND,
// like one that does not exist.
func (s *Service) Lookup(ctx context.Context, number string) (Card, error) {
	p, err := identity.Require(ctx, identity.ReadGiftCards)
	if err != nil {
		return Card{}, err
	}
	num, err := ParseNumber(number, "number")
	if err != nil {
		return Card{}, err
	}
	pol := s.lookups()
	if err := s.Store.CountLookup(ctx, CallerKey(p), s.Now().UTC(), pol.Window, pol.Max); err != nil {
		return Card{}, err
	}
	c, err := s.Store.GetCard(ctx, num)
	if err != nil {
		return Card{}, err
	}
	return s.withCurrency(ctx, c)
}

// withCurrency sets the tenant's currency on c.
func (s *Service) withCurrency(ctx context.Context, c Card) (Card, error) {
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return Card{}, fmt.Errorf("get tenant: %w", err)
	}
	c.Currency = t.Currency
	return c, nil
}

// Activities returns a page of a card's ledger, newest first.
func (s *Service) Activities(ctx context.Context, number string, first int, after string) ([]Activity, string, error) {
	if _, err := identity.Require(ctx, identity.ReadGiftCards); err != nil {
		return nil, "", err
	}
	num, err := ParseNumber(number, "number")
	if err != nil {
		return nil, "", err
	}
	if first <= 0 || first > MaxActivitiesPage {
		return nil, "", apperr.Newf(apperr.Invalid, []string{"first"}, "first must be 1 to %d", MaxActivitiesPage)
	}
	return s.Store.Activities(ctx, num, first, after)
}

// customerIDPrefix is sales.CustomerIDPrefix (sales imports this package).
const customerIDPrefix = "cus"

// IssueInput is an e-gift card to issue.
type IssueInput struct {
	CustomerID string
}

// Issue creates an e-gift card with a generated number, PENDING until its
// first load (sold in a checkout).
func (s *Service) Issue(ctx context.Context, in IssueInput) (Card, error) {
	if _, err := identity.Require(ctx, identity.Sell); err != nil {
		return Card{}, err
	}
	if in.CustomerID != "" && !ids.Valid(customerIDPrefix, in.CustomerID) {
		return Card{}, apperr.New(apperr.Invalid, "customerId is not a customer id", "input", "customerId")
	}
	now := s.Now().UTC()
	for range 3 { // a collision in 10^15 numbers is a freak: try again
		num, err := NewNumber()
		if err != nil {
			return Card{}, err
		}
		c := Card{Number: num, State: Pending, CustomerID: in.CustomerID, IssuedAt: now, UpdatedAt: now}
		err = s.Store.CreateCard(ctx, c)
		if apperr.Is(err, apperr.Conflict) {
			continue
		}
		if err != nil {
			return Card{}, err
		}
		return s.withCurrency(ctx, c)
	}
	return Card{}, errors.New("issue gift card: three generated numbers were taken")
}

// ChangeInput is a manager's change of one card: where it was made.
type ChangeInput struct {
	Number     string
	Amount     int64  // Adjust: signed; CashOut: positive
	Currency   string // of Amount: the tenant's
	Reason     string
	LocationID string // optional: where the change was made
}

// Adjust corrects a card's balance by a signed amount with a reason
// (MANAGER+). A PENDING card is loaded by a sale, not adjusted; the balance
// may not go below zero (unless it was already, and the adjustment raises it).
func (s *Service) Adjust(ctx context.Context, in ChangeInput) (Card, error) {
	return s.change(ctx, in, Adjust, func(c Card, errs *apperr.List) Card {
		switch {
		case in.Amount == 0 || in.Amount > tax.MaxAmount || in.Amount < -tax.MaxAmount:
			errs.Add(apperr.Invalid, "amount must be a non-zero number of yen within the maximum amount", "input", "amount")
		case c.State == Pending:
			errs.Add(apperr.Invalid, "the card is not activated: sell a load onto it", "input", "number")
		case c.Balance+in.Amount > tax.MaxAmount:
			errs.Add(apperr.Invalid, "the balance would exceed the maximum amount", "input", "amount")
		case in.Amount < 0 && c.Balance+in.Amount < 0:
			errs.Add(apperr.Invalid, fmt.Sprintf("the card holds %d yen: it cannot go below zero", c.Balance), "input", "amount")
		}
		c.Balance += in.Amount
		return c
	})
}

// Deactivate stops a card for good (lost, stolen, fraud) with a reason
// (MANAGER+). Its balance stays owed (in the liability) until adjusted.
func (s *Service) Deactivate(ctx context.Context, in ChangeInput) (Card, error) {
	in.Amount = 0
	return s.change(ctx, in, Deactivate, func(c Card, errs *apperr.List) Card {
		if c.State == Deactivated {
			errs.Add(apperr.Invalid, "the card is already deactivated", "input", "number")
		}
		c.State = Deactivated
		return c
	})
}

// CashOut pays part or all of a card's balance out in cash (払戻し), which
// the Payment Services Act prohibits except in the cases it lists (the
// business ends, the cards are withdrawn, a small remainder): a manager
// records which one as the reason (MANAGER+). Without it, refused.
func (s *Service) CashOut(ctx context.Context, in ChangeInput) (Card, error) {
	return s.change(ctx, in, CashOut, func(c Card, errs *apperr.List) Card {
		switch {
		case in.Amount <= 0 || in.Amount > tax.MaxAmount:
			errs.Add(apperr.Invalid, "amount must be a positive number of yen", "input", "amount")
		case c.State == Pending:
			errs.Add(apperr.Invalid, "the card is not activated", "input", "number")
		case c.Balance < in.Amount:
			errs.Add(apperr.InsufficientBalance, fmt.Sprintf("the card holds %d yen", c.Balance), "input", "amount")
		}
		c.Balance -= in.Amount
		return c
	})
}

// maxChangeTries bounds re-reads when sales change the card meanwhile.
const maxChangeTries = 3

// change is the shape of every manager's change: check the input, read the
// card, apply, write conditioned on its version, again on CONFLICT.
func (s *Service) change(ctx context.Context, in ChangeInput, kind Kind, apply func(Card, *apperr.List) Card) (Card, error) {
	p, err := identity.Require(ctx, identity.ManageGiftCards)
	if err != nil {
		return Card{}, err
	}
	var errs apperr.List
	reasonField := "reason"
	if kind == CashOut {
		reasonField = "legalException"
	}
	num, nerr := ParseNumber(in.Number, "input", "number")
	if nerr != nil {
		errs = append(errs, nerr.(*apperr.Error))
	}
	reason := reasonRule.Named(reasonField).Check(&errs, in.Reason, "input", reasonField)
	if kind == CashOut && reason == "" && len(errs) > 0 {
		errs[len(errs)-1].Message = "a cash-out (払戻し) is prohibited except as the law's exception: name it in legalException"
	}
	if in.LocationID != "" && !p.CanUseLocation(in.LocationID) {
		errs.Add(apperr.Forbidden, "you may not act at this location", "input", "locationId")
	}
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return Card{}, fmt.Errorf("get tenant: %w", err)
	}
	if kind != Deactivate && in.Currency != t.Currency {
		errs.Add(apperr.Invalid, "amount must be in the tenant's currency, "+t.Currency, "input", "amount", "currency")
	}
	if err := errs.Err(); err != nil {
		return Card{}, err
	}
	for try := 0; ; try++ {
		prev, err := s.Store.GetCard(ctx, num)
		if apperr.Is(err, apperr.NotFound) {
			return Card{}, apperr.New(apperr.NotFound, "no such gift card", "input", "number")
		}
		if err != nil {
			return Card{}, err
		}
		var errs apperr.List
		next := apply(prev, &errs)
		if err := errs.Err(); err != nil {
			return Card{}, err
		}
		now := s.Now().UTC()
		next.Version, next.UpdatedAt = prev.Version+1, now
		signed := next.Balance - prev.Balance
		act := Activity{ID: ids.NewAt("gca", now), Kind: kind, Amount: signed, BalanceAfter: next.Balance, HasBalanceAfter: true,
			By: who(p), LocationID: in.LocationID, RegisterID: p.RegisterID, At: now, Reason: reason}
		err = s.Store.Change(ctx, prev, next, act, now)
		if apperr.Is(err, apperr.Conflict) && try+1 < maxChangeTries {
			continue
		}
		if err != nil {
			return Card{}, err
		}
		next.Currency = t.Currency
		return next, nil
	}
}

// Liability is the tenant's unused balance as of the end of the date asOf
// ("2006-01-02", the tenant's clock), with the Act's threshold and deposit
// (ReadReports).
func (s *Service) Liability(ctx context.Context, asOfDate string) (Liability, error) {
	if _, err := identity.Require(ctx, identity.ReadReports); err != nil {
		return Liability{}, err
	}
	asOf, err := time.Parse(time.DateOnly, asOfDate)
	if err != nil {
		return Liability{}, apperr.New(apperr.Invalid, "asOf must be a date, YYYY-MM-DD", "asOf")
	}
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return Liability{}, fmt.Errorf("get tenant: %w", err)
	}
	day := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	unused, err := s.Store.UnusedBalance(ctx, day.Format(time.DateOnly))
	if err != nil {
		return Liability{}, err
	}
	l := NewLiability(day, unused, t.GiftCardValidityMonths)
	l.Currency = t.Currency
	return l, nil
}

// LedgerEntry is what the stream aggregator adds to the daily ledger for
// one gift_card.activity event.
type LedgerEntry struct {
	TenantID   string
	EventID    string
	Amount     int64
	OccurredAt time.Time
}

// ApplyLedger adds one activity's amount to the ledger of its date on the
// tenant's clock, once per event (the stream aggregator; no caller).
func (s *Service) ApplyLedger(ctx context.Context, e LedgerEntry) error {
	if e.Amount == 0 {
		return nil
	}
	zone, err := s.zone(ctx, e.TenantID)
	if err != nil {
		return err
	}
	return s.Store.ApplyLedger(ctx, e.EventID, e.OccurredAt.In(zone).Format(time.DateOnly), e.Amount)
}

// zone is the time zone of the tenant in ctx (tenantID), read once.
func (s *Service) zone(ctx context.Context, tenantID string) (*time.Location, error) {
	if z, ok := s.zones.Load(tenantID); ok {
		return z.(*time.Location), nil
	}
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return nil, fmt.Errorf("get tenant: %w", err)
	}
	z, err := tenant.LoadZone(t.Timezone)
	if err != nil {
		return nil, fmt.Errorf("tenant zone: %w", err)
	}
	s.zones.Store(tenantID, z)
	return z, nil
}
