// Package shopify is the SHOPIFY connector of the integration hub: it keeps
// a Shopify shop's available quantities equal to renkei's stock levels
// (Admin GraphQL inventorySetQuantities, absolute numbers, the newest stock
// version wins) and turns the shop's orders (orders/create webhooks,
// received by shared/shopifyhook) into renkei sales that take the mapped
// location's stock. Connecting checks the token, the mapped locations and
// which SKUs match before anything is stored.
package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Source is the source of the orders the connector imports.
const Source = "EC:SHOPIFY"

// Catalog is what the connector reads of the tenant's catalog (tenant in
// ctx); *dynamo.CatalogStore implements it.
type Catalog interface {
	// ListSKUs lists every variant (for its id and SKU).
	ListSKUs(ctx context.Context) ([]catalog.Variant, error)
	// GetVariants reads variants by id; missing ones are absent.
	GetVariants(ctx context.Context, ids []string) ([]catalog.Variant, error)
	// VariantIDsBySKU resolves SKUs; unknown ones are absent.
	VariantIDsBySKU(ctx context.Context, skus []string) (map[string]string, error)
}

// Stock is what the connector reads of stock levels (tenant in ctx);
// *dynamo.InventoryStore implements it.
type Stock interface {
	// ListLevels lists a location's levels (at most limit).
	ListLevels(ctx context.Context, locationID string, limit int) ([]inventory.StockLevel, error)
	// GetLevel reads one level, strongly consistent; a level never
	// written is 0 at version 0.
	GetLevel(ctx context.Context, locationID, variantID string) (inventory.StockLevel, error)
}

// Orders records an imported order as a sale (sales.Service.ImportOrder);
// the connector calls it as identity.IntegrationPrincipal.
type Orders interface {
	ImportOrder(ctx context.Context, in sales.ImportedOrder) (sales.Order, error)
}

// Locations reads the tenant's locations (tenant in ctx);
// *dynamo.TenantStore implements it.
type Locations interface {
	// GetLocations reads locations by id; missing ones are absent.
	GetLocations(ctx context.Context, ids []string) ([]tenant.Location, error)
	// EnsureIntegrationRegister writes the location's INTEGRATION register
	// if it lacks one (locations from before registers had none).
	EnsureIntegrationRegister(ctx context.Context, l tenant.Location) (tenant.Register, error)
}

// Deps are what the connector needs of renkei and the outside.
type Deps struct {
	Catalog   Catalog
	Stock     Stock
	Locations Locations
	Orders    Orders
	// HTTP carries the calls to Shopify (nil: a client of its own); every
	// call has DefaultTimeout.
	HTTP *http.Client
	Now  func() time.Time // nil: time.Now
}

// Connector is the SHOPIFY connector.
type Connector struct {
	catalog   Catalog
	stock     Stock
	locations Locations
	orders    Orders
	http      *http.Client
	now       func() time.Time
}

var _ integrations.Connector = (*Connector)(nil)

// New returns the connector.
func New(d Deps) *Connector {
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: DefaultTimeout}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Connector{catalog: d.Catalog, stock: d.Stock, locations: d.Locations, orders: d.Orders, http: d.HTTP, now: d.Now}
}

// Provider is SHOPIFY.
func (c *Connector) Provider() integrations.Provider { return integrations.Shopify }

func (c *Connector) client(st Settings, token string) *client {
	return &client{http: c.http, endpoint: st.endpoint(), token: token, now: c.now}
}

// Warning codes of a connection.
const (
	WarnSKUNotInShopify = "SKU_NOT_IN_SHOPIFY"
	WarnSKUNotInRenkei  = "SKU_NOT_IN_RENKEI"
	// WarnSKUCheckIncomplete: the shop's variants could not all be listed
	// within the connect time (a large catalog on a throttled bucket).
	WarnSKUCheckIncomplete = "SKU_CHECK_INCOMPLETE"
)

// Connect checks the settings (no I/O), then the shop: the token works,
// every mapped location exists and is active; and compares SKUs both ways.
func (c *Connector) Connect(ctx context.Context, req integrations.ConnectRequest) (integrations.Connection, error) {
	st, sec, err := parseConnect(req.Settings, req.Local)
	if err != nil {
		return integrations.Connection{}, err
	}
	ctx = tenant.WithID(ctx, req.TenantID)
	orderLoc, err := c.checkLocations(ctx, st)
	if err != nil {
		return integrations.Connection{}, err
	}
	cl := c.client(st, sec.AccessToken)
	if _, err := cl.shopName(ctx); err != nil {
		return integrations.Connection{}, connectError(err, "shopDomain")
	}
	locs, err := cl.locations(ctx)
	if err != nil {
		return integrations.Connection{}, connectError(err, "locationMap")
	}
	active := map[string]bool{}
	for _, l := range locs {
		if l.IsActive {
			active[l.ID] = true
		}
	}
	var errs apperr.List
	for _, renkeiLoc := range sortedKeys(st.LocationMap) {
		if gid := st.LocationMap[renkeiLoc]; !active[gid] {
			errs.Add(apperr.Invalid, fmt.Sprintf("the shop has no active location %s", gid), settingsField("locationMap", renkeiLoc)...)
		}
	}
	if err := errs.Err(); err != nil {
		return integrations.Connection{}, err
	}
	warnings, err := c.compareSKUs(ctx, cl)
	if err != nil {
		return integrations.Connection{}, err
	}
	// Online orders are numbered at the order location's INTEGRATION
	// register: make sure it has one before the first order arrives.
	if _, err := c.locations.EnsureIntegrationRegister(ctx, orderLoc); err != nil {
		return integrations.Connection{}, fmt.Errorf("ensure the integration register of %s: %w", orderLoc.ID, err)
	}
	pub, err := json.Marshal(st)
	if err != nil {
		return integrations.Connection{}, err
	}
	secrets, err := json.Marshal(sec)
	if err != nil {
		return integrations.Connection{}, err
	}
	return integrations.Connection{Settings: pub, Secrets: secrets, Warnings: warnings}, nil
}

// checkLocations checks that every mapped renkei location exists and
// returns the order location.
func (c *Connector) checkLocations(ctx context.Context, st Settings) (tenant.Location, error) {
	keys := sortedKeys(st.LocationMap)
	locs, err := c.locations.GetLocations(ctx, keys)
	if err != nil {
		return tenant.Location{}, fmt.Errorf("read renkei locations: %w", err)
	}
	found := map[string]tenant.Location{}
	for _, l := range locs {
		found[l.ID] = l
	}
	var errs apperr.List
	for _, k := range keys {
		if _, ok := found[k]; !ok {
			errs.Add(apperr.Invalid, "renkei has no location "+k, settingsField("locationMap", k)...)
		}
	}
	if err := errs.Err(); err != nil {
		return tenant.Location{}, err
	}
	return found[st.OrderLocationID], nil
}

// connectError says what a failed check means for the settings: a refused
// token or unknown shop is the caller's to fix; the rest is Shopify being
// unreachable.
func connectError(err error, field string) error {
	ae, ok := err.(*apiError)
	if !ok {
		return err
	}
	switch {
	case ae.Status == http.StatusUnauthorized:
		return apperr.New(apperr.Invalid, "Shopify refused the access token", settingsField("accessToken")...)
	case ae.Status == http.StatusForbidden:
		return apperr.New(apperr.Invalid, "the access token lacks a scope renkei needs: read_locations, read_products, write_inventory", settingsField("accessToken")...)
	case ae.Status == http.StatusNotFound || ae.Status == http.StatusPaymentRequired || ae.Status == http.StatusLocked:
		return apperr.New(apperr.Invalid, ae.Msg, settingsField("shopDomain")...)
	case ae.Refused:
		return apperr.New(apperr.Invalid, ae.Msg, settingsField(field)...)
	}
	return apperr.Wrap(err, apperr.Unavailable, ae.Msg+"; try again")
}

// compareSKUs lists the renkei SKUs no Shopify variant has, and the reverse.
func (c *Connector) compareSKUs(ctx context.Context, cl *client) ([]integrations.Warning, error) {
	shopSKUs, complete, err := cl.variantSKUs(ctx)
	if err != nil {
		return nil, connectError(err, "accessToken")
	}
	variants, err := c.catalog.ListSKUs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list renkei SKUs: %w", err)
	}
	inShop := map[string]bool{}
	for _, s := range shopSKUs {
		inShop[s] = true
	}
	inRenkei := map[string]bool{}
	for _, v := range variants {
		if v.SKU != "" {
			inRenkei[v.SKU] = true
		}
	}
	var w []integrations.Warning
	if !complete {
		// Only the variants listed in time were compared: a renkei SKU not
		// seen may still be in the shop, so none is reported missing there.
		w = append(w, integrations.Warning{Code: WarnSKUCheckIncomplete, Count: len(shopSKUs),
			Message: fmt.Sprintf("the shop has more variants than could be compared while connecting (%d were): SKU_NOT_IN_SHOPIFY is not reported, SKU_NOT_IN_RENKEI covers those compared", len(shopSKUs))})
	} else if missing := difference(inRenkei, inShop); len(missing) > 0 {
		w = append(w, warning(WarnSKUNotInShopify, "renkei SKUs without a Shopify variant: their stock is not pushed", missing))
	}
	if missing := difference(inShop, inRenkei); len(missing) > 0 {
		w = append(w, warning(WarnSKUNotInRenkei, "Shopify SKUs without a renkei variant: orders of them fail to import", missing))
	}
	return w, nil
}

func difference(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func warning(code, msg string, items []string) integrations.Warning {
	return integrations.Warning{Code: code, Message: msg, Items: items[:min(len(items), integrations.MaxWarningItems)], Count: len(items)}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
