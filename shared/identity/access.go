package identity

import (
	"context"
	"slices"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Role is a staff member's role in a tenant.
type Role string

// The roles, from least to most privileged.
const (
	Cashier Role = "CASHIER"
	Manager Role = "MANAGER"
	Owner   Role = "OWNER"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Cashier || r == Manager || r == Owner }

// Scope is what an API key may do.
type Scope string

// The API key scopes.
const (
	ScopeCatalogRead    Scope = "CATALOG_READ"
	ScopeCatalogWrite   Scope = "CATALOG_WRITE"
	ScopeInventoryRead  Scope = "INVENTORY_READ"
	ScopeInventoryWrite Scope = "INVENTORY_WRITE"
	ScopeOrdersRead     Scope = "ORDERS_READ"
	ScopeOrdersWrite    Scope = "ORDERS_WRITE"
	ScopeCustomersRead  Scope = "CUSTOMERS_READ"
	ScopeCustomersWrite Scope = "CUSTOMERS_WRITE"
	ScopeReportsRead    Scope = "REPORTS_READ"
	// ScopeTimecardsClock is a shared register's key: it clocks staff in
	// and out by their passcode, and reads no timecards.
	ScopeTimecardsClock Scope = "TIMECARDS_CLOCK"
)

// AllScopes lists every scope in a stable order.
var AllScopes = []Scope{ScopeCatalogRead, ScopeCatalogWrite, ScopeInventoryRead, ScopeInventoryWrite, ScopeOrdersRead, ScopeOrdersWrite, ScopeCustomersRead, ScopeCustomersWrite, ScopeReportsRead, ScopeTimecardsClock}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(AllScopes, s) }

// Permission is one thing a caller may be allowed to do. Every resolver
// requires exactly one.
type Permission string

// The permissions, grouped as in the role table (DESIGN.md, Security).
const (
	ReadLocations     Permission = "locations:read"
	Sell              Permission = "sell" // checkout, offline sync
	ReadCatalog       Permission = "catalog:read"
	ReadInventory     Permission = "inventory:read"
	ReadOrders        Permission = "orders:read"
	ReadCustomers     Permission = "customers:read"
	ReadStaff         Permission = "staff:read" // colleagues' names, emails and roles (order.staff); no API key scope grants it
	WriteCustomers    Permission = "customers:write"
	Refund            Permission = "refund"
	WriteInventory    Permission = "inventory:write"
	WriteCatalog      Permission = "catalog:write"
	CloseRegister     Permission = "register:close"
	ReadReports       Permission = "reports:read"
	ReadIntegrations  Permission = "integrations:read"
	ManageStaff       Permission = "staff:manage"
	ManageAPIKeys     Permission = "apikeys:manage"
	ManageSettings    Permission = "settings:manage"
	ManageIntegration Permission = "integrations:manage"
	// EndSession is logOut: every user session may end itself; an API key
	// has no session (it is revoked instead).
	EndSession Permission = "session:end"
	// DeactivateStaff stops a staff member's access (a MANAGER may not
	// deactivate an OWNER; nobody may deactivate themselves).
	DeactivateStaff Permission = "staff:deactivate"
	// ClockTime records clock events: every user their own, and a
	// colleague's by passcode on a shared register (docs/api.md, Timecards).
	ClockTime Permission = "timecards:clock"
	// ReadTimecards reads timecards: a CASHIER only their own.
	ReadTimecards Permission = "timecards:read"
	// ManageTimecards reads everyone's timecards at the caller's
	// locations, corrects shifts and sets passcodes.
	ManageTimecards Permission = "timecards:manage"
	// ReadGiftCards looks gift cards up by number (rate-limited per caller).
	ReadGiftCards Permission = "giftcards:read"
	// ManageGiftCards adjusts, deactivates and cashes out gift cards.
	ManageGiftCards Permission = "giftcards:manage"
)

var cashierPerms = []Permission{ReadLocations, Sell, ReadCatalog, ReadInventory, ReadOrders, ReadCustomers, WriteCustomers, ReadStaff, EndSession, ClockTime, ReadTimecards, ReadGiftCards}
var managerPerms = append(slices.Clone(cashierPerms), Refund, WriteInventory, WriteCatalog, CloseRegister, ReadReports, ReadIntegrations, DeactivateStaff, ManageTimecards, ManageGiftCards)
var ownerPerms = append(slices.Clone(managerPerms), ManageStaff, ManageAPIKeys, ManageSettings, ManageIntegration)

var rolePerms = map[Role][]Permission{Cashier: cashierPerms, Manager: managerPerms, Owner: ownerPerms}

// scopePerms: a write scope implies reading what it writes. API keys never
// administer the tenant (staff, keys, settings, integrations).
var scopePerms = map[Scope][]Permission{
	ScopeCatalogRead:    {ReadCatalog},
	ScopeCatalogWrite:   {ReadCatalog, WriteCatalog},
	ScopeInventoryRead:  {ReadInventory},
	ScopeInventoryWrite: {ReadInventory, WriteInventory},
	ScopeOrdersRead:     {ReadOrders, ReadGiftCards},
	ScopeOrdersWrite:    {ReadOrders, Sell, Refund, ReadGiftCards},
	ScopeCustomersRead:  {ReadCustomers},
	ScopeCustomersWrite: {ReadCustomers, WriteCustomers},
	ScopeReportsRead:    {ReadReports},
	ScopeTimecardsClock: {ClockTime},
}

// Principal is the authenticated caller: a user session or an API key.
type Principal struct {
	TenantID    string
	UserID      string // set for user sessions
	Role        Role   // set for user sessions
	SessionID   string // set for user sessions: the refresh-token family the access token came from
	LocationIDs []string
	APIKeyID    string // set for API keys
	// RegisterID is set for an API key bound to a register (a device's
	// credential): its sales default to that register.
	RegisterID string
	Scopes     []Scope
	// IntegrationID is set for an integration acting on its own (a job
	// importing an order; IntegrationPrincipal): it holds ImportSales only.
	IntegrationID string
}

// IsAPIKey reports whether the caller authenticated with an API key.
func (p Principal) IsAPIKey() bool { return p.APIKeyID != "" }

// Can reports whether the principal holds a permission.
func (p Principal) Can(perm Permission) bool {
	if p.IntegrationID != "" {
		return perm == ImportSales
	}
	if perm == ReadLocations {
		return true // every caller needs to know where it sells
	}
	if p.IsAPIKey() {
		for _, s := range p.Scopes {
			if slices.Contains(scopePerms[s], perm) {
				return true
			}
		}
		return false
	}
	return slices.Contains(rolePerms[p.Role], perm)
}

// CanUseLocation reports whether a user restricted to some locations may act at loc.
func (p Principal) CanUseLocation(loc string) bool {
	return len(p.LocationIDs) == 0 || slices.Contains(p.LocationIDs, loc)
}

type principalKey struct{}

// WithPrincipal returns a context carrying the caller and its tenant.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return tenant.WithID(context.WithValue(ctx, principalKey{}, p), p.TenantID)
}

// PrincipalFrom returns the caller, or UNAUTHENTICATED.
func PrincipalFrom(ctx context.Context) (Principal, error) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	if !ok {
		return Principal{}, apperr.New(apperr.Unauthenticated, "authentication required")
	}
	return p, nil
}

// Require returns the caller if it holds perm; FORBIDDEN otherwise.
func Require(ctx context.Context, perm Permission) (Principal, error) {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return Principal{}, err
	}
	if !p.Can(perm) {
		return Principal{}, apperr.New(apperr.Forbidden, "your role or API key scopes do not allow this operation")
	}
	return p, nil
}
