package tenant

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/text"
)

// Rounding is how consumption tax is rounded, once per rate per order.
type Rounding string

// The rounding modes a tenant can choose.
const (
	RoundFloor   Rounding = "FLOOR"
	RoundHalfUp  Rounding = "HALF_UP"
	RoundCeiling Rounding = "CEILING"
)

// Valid reports whether r is a known rounding mode.
func (r Rounding) Valid() bool { return r == RoundFloor || r == RoundHalfUp || r == RoundCeiling }

// Tenant is one merchant's account and its settings.
type Tenant struct {
	ID                        string
	BusinessName              string
	Currency                  string // ISO 4217, e.g. JPY
	Timezone                  string // IANA, e.g. Asia/Tokyo
	PricesIncludeTax          bool
	TaxRounding               Rounding
	AllowNegativeStock        bool
	InvoiceRegistrationNumber string // "" when not registered
	// GiftCardValidityMonths is how long a gift card is valid from its
	// activation (giftcards: 1–6 outside 資金決済法, up to 120 inside it);
	// 0 on tenants created before the setting: the default, 6.
	GiftCardValidityMonths int
	// ApplicationFeeBps is the platform's fee on the tenant's card sales, in
	// basis points (1/100 %) of each charge: set by the platform operator on
	// the tenant item, never by the tenant (0: no fee).
	ApplicationFeeBps int
	// StripeAccountID is the tenant's connected account ("" before card
	// onboarding starts); CardPaymentsEnabled mirrors its charges_enabled,
	// kept true to Stripe by account.updated webhooks.
	StripeAccountID     string
	CardPaymentsEnabled bool
	// StripeAccountAsOf is the Created time of the account.updated event
	// CardPaymentsEnabled last came from (zero before any): older events
	// change nothing.
	StripeAccountAsOf time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// The gift card validity setting's bounds, in months (shared/giftcards:
// six or less is outside 資金決済法).
const (
	MinGiftCardValidityMonths = 1
	MaxGiftCardValidityMonths = 120
)

// Defaults for a new tenant (Japan first).
const (
	DefaultCurrency = "JPY"
	DefaultTimezone = "Asia/Tokyo"
)

// currencies are the ISO 4217 codes renkei prices in, with their minor-unit exponent.
var currencies = map[string]int{"JPY": 0, "USD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "CAD": 2, "SGD": 2, "HKD": 2, "TWD": 2, "KRW": 0, "NZD": 2}

// CurrencyExponent returns the number of minor-unit digits of a supported currency.
func CurrencyExponent(code string) (int, bool) {
	e, ok := currencies[code]
	return e, ok
}

// New validates and builds a tenant with defaults applied.
func New(id, businessName, currency, timezone string, now time.Time) (Tenant, error) {
	var errs apperr.List
	businessName = text.Name.Named("businessName").Check(&errs, businessName, "input", "businessName")
	if currency == "" {
		currency = DefaultCurrency
	}
	if _, ok := currencies[currency]; !ok {
		errs.Add(apperr.Invalid, "currency must be a supported ISO 4217 code such as JPY", "input", "currency")
	}
	if timezone == "" {
		timezone = DefaultTimezone
	}
	if !ValidTimezone(timezone) {
		errs.Add(apperr.Invalid, "timezone must be an IANA time zone such as Asia/Tokyo", "input", "timezone")
	}
	if err := errs.Err(); err != nil {
		return Tenant{}, err
	}
	return Tenant{
		ID: id, BusinessName: businessName, Currency: currency, Timezone: timezone,
		PricesIncludeTax: true, TaxRounding: RoundFloor, CreatedAt: now, UpdatedAt: now,
	}, nil
}

var registrationNumber = regexp.MustCompile(`^T[0-9]{13}$`)

// ValidateRegistrationNumber checks a qualified invoice issuer number: "T" and
// 13 digits, the last 12 of which are a corporate number whose first digit is
// a check digit (National Tax Agency rule) — or a personal registration number,
// which has no public check digit, so only the shape is enforced for those.
func ValidateRegistrationNumber(s string) error {
	if !registrationNumber.MatchString(s) {
		return apperr.New(apperr.Invalid, `invoiceRegistrationNumber must be "T" followed by 13 digits`, "input", "invoiceRegistrationNumber")
	}
	return nil
}

// Settings is a partial update of a tenant's settings; nil fields are kept.
type Settings struct {
	BusinessName              *string
	PricesIncludeTax          *bool
	TaxRounding               *Rounding
	AllowNegativeStock        *bool
	InvoiceRegistrationNumber *string // "" clears it
	GiftCardValidityMonths    *int
}

// Apply validates s and applies it to t.
func (s Settings) Apply(t *Tenant, now time.Time) error {
	var errs apperr.List
	if s.BusinessName != nil {
		t.BusinessName = text.Name.Named("businessName").Check(&errs, *s.BusinessName, "input", "businessName")
	}
	if s.PricesIncludeTax != nil {
		t.PricesIncludeTax = *s.PricesIncludeTax
	}
	if s.TaxRounding != nil {
		if !s.TaxRounding.Valid() {
			errs.Add(apperr.Invalid, "taxRounding must be FLOOR, HALF_UP or CEILING", "input", "taxRounding")
		}
		t.TaxRounding = *s.TaxRounding
	}
	if s.AllowNegativeStock != nil {
		t.AllowNegativeStock = *s.AllowNegativeStock
	}
	if s.GiftCardValidityMonths != nil {
		if m := *s.GiftCardValidityMonths; m < MinGiftCardValidityMonths || m > MaxGiftCardValidityMonths {
			errs.Add(apperr.Invalid, fmt.Sprintf("giftCardValidityMonths must be %d to %d", MinGiftCardValidityMonths, MaxGiftCardValidityMonths),
				"input", "giftCardValidityMonths")
		}
		t.GiftCardValidityMonths = *s.GiftCardValidityMonths
	}
	if s.InvoiceRegistrationNumber != nil {
		n := strings.TrimSpace(*s.InvoiceRegistrationNumber)
		if n != "" {
			if err := ValidateRegistrationNumber(n); err != nil {
				errs = append(errs, err.(*apperr.Error))
			}
		}
		t.InvoiceRegistrationNumber = n
	}
	if err := errs.Err(); err != nil {
		return err
	}
	t.UpdatedAt = now
	return nil
}

// Store persists tenants and locations. Every method works on the tenant in
// ctx (see IDFrom).
type Store interface {
	GetTenant(ctx context.Context) (Tenant, error)
	// UpdateTenant reads the tenant, calls fn, and writes the result only if
	// the tenant did not change meanwhile.
	UpdateTenant(ctx context.Context, fn func(*Tenant) error) (Tenant, error)
	// CreateLocation stores a new location, assigning its Number, together
	// with its first register (l.FirstRegister()).
	CreateLocation(ctx context.Context, l Location) (Location, error)
	ListLocations(ctx context.Context) ([]Location, error)
	GetLocations(ctx context.Context, ids []string) ([]Location, error)

	// CreateRegister adds the next register of a location: it reads the
	// location's RegisterCount n, calls build(n+1), and writes the register
	// and the new count together, doing it again if another register was
	// added meanwhile. NOT_FOUND (on input.locationId) when the location is
	// not the tenant's; build's error as it is.
	CreateRegister(ctx context.Context, locationID string, build func(number int) (Register, error)) (Register, error)
	// GetRegisters reads registers by id; ids that do not exist (or are
	// another tenant's) are absent.
	GetRegisters(ctx context.Context, ids []string) ([]Register, error)
	// DeactivateRegister marks a register inactive from at (keeping an
	// earlier time: idempotent) and returns it; NOT_FOUND when it does not exist.
	DeactivateRegister(ctx context.Context, id string, at time.Time) (Register, error)
}
