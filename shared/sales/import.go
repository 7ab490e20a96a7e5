package sales

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Orders an e-commerce integration received (a Shopify orders/create) are
// recorded the way offline sales are: the sale already happened, so its
// stock always applies and a level it takes below zero is marked oversold;
// it is dated when the shop took it and a close of that day is revised. It
// is numbered at the location's INTEGRATION register, priced at the shop's
// prices (the catalog's tax categories), and paid by one EXTERNAL tender of
// its total. The shop's order id is its idempotency key: a replay returns
// the order the first import wrote and writes nothing.

// OpImportOrder scopes imported orders' idempotency keys
// ("<source>:<external id>").
const OpImportOrder = "importOrder"

// ImportedLine is one line of an imported order, its variant already found
// (by SKU) by the integration.
type ImportedLine struct {
	VariantID string
	Quantity  int64
	UnitPrice int64 // the shop's unit price, minor units
	Discount  int64 // amount off the line, minor units (0: none)
}

// ImportedOrder is an order taken by an integration's shop.
type ImportedOrder struct {
	Source     string // "EC:<PROVIDER>", e.g. "EC:SHOPIFY"
	ExternalID string // the shop's order id: with Source, the idempotency key
	// Reference is the EXTERNAL tender's reference (e.g. Shopify's order
	// name "#1001"); "" uses ExternalID.
	Reference  string
	LocationID string // whose stock the order takes
	OccurredAt time.Time
	Currency   string // must be the tenant's
	// PricesIncludeTax says whether the shop's prices include tax.
	PricesIncludeTax bool
	Lines            []ImportedLine
}

var importSource = regexp.MustCompile(`^EC:[A-Z][A-Z0-9_]{0,29}$`)

// key is the idempotency key: the source scopes the shop's id.
func (in ImportedOrder) key() string { return in.Source + ":" + in.ExternalID }

// Request is the import as an idempotent request. Only the key is hashed:
// the shop's order id names one order, so any later delivery of it (even
// one the shop edited since) answers the order first written.
func (in ImportedOrder) Request() idempotency.Request {
	return idempotency.New(OpImportOrder, in.key(), idempotency.Fields{"source": in.Source, "externalId": in.ExternalID})
}

// Validate checks the order's shape before any I/O.
func (in ImportedOrder) Validate() error {
	var errs apperr.List
	if !importSource.MatchString(in.Source) {
		errs.Add(apperr.Invalid, "source must be EC:<PROVIDER>", "input", "source")
	}
	if in.ExternalID == "" || idempotency.ValidateKey(in.key()) != nil {
		errs.Add(apperr.Invalid, fmt.Sprintf("the external order id must be 1 to %d characters without control characters", idempotency.MaxKeyLen-len(in.Source)-1), "input", "externalId")
	}
	if in.Reference != "" {
		reference.Check(&errs, in.Reference, "input", "reference")
	}
	if in.LocationID == "" || len(in.LocationID) > maxIDLen {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	if in.OccurredAt.IsZero() {
		errs.Add(apperr.Invalid, "the order's time is required", "input", "occurredAt")
	}
	switch n := len(in.Lines); {
	case n == 0:
		errs.Add(apperr.Invalid, "at least one line is required", "input", "lines")
	case n > MaxLines:
		errs.Add(apperr.Invalid, fmt.Sprintf("an order has at most %d lines", MaxLines), "input", "lines")
	}
	distinct := map[string]bool{}
	for i, l := range in.Lines {
		if l.VariantID == "" || len(l.VariantID) > maxIDLen {
			errs.Add(apperr.NotFound, "variant not found", path("lines", i, "variantId")...)
		}
		distinct[l.VariantID] = true
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			errs.Add(apperr.Invalid, fmt.Sprintf("quantity must be between 1 and %d", MaxQuantity), path("lines", i, "quantity")...)
		}
		validAmount(&errs, l.UnitPrice, 0, "a unit price", path("lines", i, "unitPrice"))
		validAmount(&errs, l.Discount, 0, "a line discount", path("lines", i, "discount"))
	}
	if len(distinct) > MaxDistinctVariants {
		errs.Add(apperr.Invalid, fmt.Sprintf("an order has at most %d distinct variants", MaxDistinctVariants), "input", "lines")
	}
	return errs.Err()
}

// ImportOrder records an order an integration received as a sale. It runs
// as the integration (identity.IntegrationPrincipal: ImportSales).
func (s *Service) ImportOrder(ctx context.Context, in ImportedOrder) (Order, error) {
	p, err := identity.Require(ctx, identity.ImportSales)
	if err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	if s.Offline == nil || s.Closes == nil {
		return Order{}, errors.New("sales: ImportOrder needs the service's Offline and Closes stores")
	}
	now := s.Now().UTC()
	req := in.Request()
	regID := tenant.IntegrationRegisterID(in.LocationID)
	q := OfflineQuery{LocationIDs: []string{in.LocationID}, RegisterIDs: []string{regID}, Requests: []idempotency.Request{req}}
	seen := map[string]bool{}
	for _, l := range in.Lines {
		if !seen[l.VariantID] {
			seen[l.VariantID] = true
			q.VariantIDs = append(q.VariantIDs, l.VariantID)
			q.Levels = append(q.Levels, inventory.LevelKey{LocationID: in.LocationID, VariantID: l.VariantID})
		}
	}
	loaded, err := s.Offline.LoadOffline(ctx, q)
	if err != nil {
		return Order{}, err
	}
	if r, ok := loaded.Replays[req.Key]; ok {
		return s.importedReplay(ctx, r)
	}
	loc, ok := loaded.Locations[in.LocationID]
	if !ok {
		return Order{}, apperr.New(apperr.NotFound, "location not found", "input", "locationId")
	}
	reg, ok := loaded.Registers[regID]
	if err := integrationRegister(reg, ok); err != nil {
		return Order{}, err
	}
	sale, err := priceImported(in, loaded, loc, now)
	if err != nil {
		return Order{}, err
	}
	w := OfflineWrite{Sale: sale, Idempotency: req}
	o, replay, err := s.saveImported(ctx, reg, loc, w, now)
	switch {
	case err != nil:
		return Order{}, err
	case replay != nil:
		return s.importedReplay(ctx, *replay)
	}
	// As an offline sync does after writing: mark what went below zero,
	// revise a close of the order's day.
	sy := &offlineSync{s: s, p: p, now: now, results: []OfflineResult{{ClientSaleID: req.Key, Status: OfflineCreated, Order: &o}}}
	var levels []inventory.LevelKey
	for _, d := range sale.Decrements {
		levels = append(levels, inventory.LevelKey{LocationID: loc.ID, VariantID: d.VariantID})
	}
	if len(levels) > 0 {
		if err := s.Offline.MarkOversold(ctx, levels, now); err != nil {
			return Order{}, err
		}
	}
	if err := sy.reviseCloses(ctx, loaded.Locations); err != nil {
		return Order{}, err
	}
	return o, nil
}

// integrationRegister checks the location's integration register.
func integrationRegister(reg RegisterState, found bool) error {
	if !found || reg.Register.Kind != tenant.RegisterIntegration || !reg.Register.Active {
		return apperr.New(apperr.Invalid, "the location has no active integration register", "input", "locationId")
	}
	return nil
}

// importedReplay answers a replay with the order the first import wrote.
func (s *Service) importedReplay(ctx context.Context, r Replay) (Order, error) {
	if r.Err != nil {
		return Order{}, r.Err
	}
	orders, err := s.Offline.GetOrders(ctx, []string{r.ID})
	if err != nil {
		return Order{}, err
	}
	o, ok := orders[r.ID]
	if !ok {
		return Order{}, fmt.Errorf("imported order %s not found", r.ID)
	}
	return o, nil
}

// priceImported prices the order with checkout's Price at the shop's
// prices: each line is priced as its own copy of its variant carrying the
// shop's unit price (two lines of one variant may differ), in the shop's
// tax basis, with the tenant's rounding.
func priceImported(in ImportedOrder, loaded OfflineLoaded, loc tenant.Location, now time.Time) (Sale, error) {
	t := loaded.Tenant
	if in.Currency != t.Currency {
		return Sale{}, apperr.Newf(apperr.Invalid, []string{"input", "currency"}, "the order is in %s but the tenant sells in %s", in.Currency, t.Currency)
	}
	t.PricesIncludeTax = in.PricesIncludeTax
	snap := Snapshot{Tenant: t, Location: loc, Variants: map[string]catalog.Variant{}, Levels: map[string]inventory.StockLevel{}}
	for k, l := range loaded.Levels {
		if k.LocationID == loc.ID {
			snap.Levels[k.VariantID] = l
		}
	}
	co := CheckoutInput{IdempotencyKey: in.key(), LocationID: in.LocationID, RegisterID: tenant.IntegrationRegisterID(in.LocationID)}
	var errs apperr.List
	lines := make([]tax.Line, 0, len(in.Lines))
	for i, l := range in.Lines {
		v, ok := loaded.Variants[l.VariantID]
		if !ok {
			errs.Add(apperr.NotFound, "variant not found", path("lines", i, "variantId")...)
			continue
		}
		v.Price, v.Currency = l.UnitPrice, in.Currency
		lineKey := fmt.Sprintf("line#%d", i)
		snap.Variants[lineKey] = v
		line := CheckoutLine{VariantID: lineKey, Quantity: l.Quantity}
		var d *tax.Discount
		if l.Discount > 0 {
			line.Discount = &DiscountInput{Amount: &Money{Amount: l.Discount, Currency: in.Currency}}
			d = tax.AmountOff(l.Discount)
		}
		co.Lines = append(co.Lines, line)
		lines = append(lines, tax.Line{UnitPrice: v.Price, Quantity: l.Quantity, Category: v.TaxCategory, Discount: d})
	}
	if err := errs.Err(); err != nil {
		return Sale{}, err
	}
	// The one EXTERNAL tender is the total, which Price checks the
	// payments against: computed first, the same way.
	res, err := tax.Compute(tax.Input{Lines: lines, PricesIncludeTax: t.PricesIncludeTax, Rounding: tax.Rounding(t.TaxRounding)})
	var ie *tax.InputError
	if errors.As(err, &ie) {
		return Sale{}, apperr.New(apperr.Invalid, ie.Message, append([]string{"input"}, ie.Field...)...)
	}
	if err != nil {
		return Sale{}, fmt.Errorf("price imported order: %w", err)
	}
	if res.Total > 0 {
		ref := in.Reference
		if ref == "" {
			ref = in.ExternalID
		}
		co.Payments = []PaymentInput{{Method: External, Amount: Money{Amount: res.Total, Currency: in.Currency}, Reference: ref}}
	}
	at := in.OccurredAt.UTC()
	if at.After(now) { // the shop's clock ahead of ours: never date a sale in the future
		at = now
	}
	sale, err := Price(co, snap, ids.NewAt("ord", at), at)
	if err != nil {
		return Sale{}, err
	}
	o := &sale.Order
	o.Source, o.RegisterID = in.Source, tenant.IntegrationRegisterID(in.LocationID)
	sale.AllowNegativeStock = true
	return sale, nil
}

// saveImported writes the sale in its own transaction at the register's
// next number, taking the next one again when another sale took it first
// (backoff.Contention). replay is set when the order's record exists: a
// concurrent import of the same order won.
func (s *Service) saveImported(ctx context.Context, reg RegisterState, loc tenant.Location, w OfflineWrite, now time.Time) (Order, *Replay, error) {
	var (
		saved  Order
		replay *Replay
	)
	err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
		w.Sale.Order.Number = OrderNumber(loc.Number, reg.Register.Number, reg.Seq+1)
		err := s.Offline.SaveOfflineGroup(ctx, OfflineGroup{Register: reg, Sales: []OfflineWrite{w}}, now)
		var conflict *OfflineConflict
		switch {
		case err == nil:
			saved = w.Sale.Order
			return false, nil
		case !errors.As(err, &conflict):
			return false, err
		}
		if r, ok := conflict.Replays[0]; ok {
			replay = &r
			return false, nil
		}
		if !conflict.RegisterMoved {
			return false, fmt.Errorf("imported order %s: %w", w.Idempotency.Key, err)
		}
		if conflict.Register == nil {
			return false, integrationRegister(RegisterState{}, false)
		}
		if err := integrationRegister(*conflict.Register, true); err != nil {
			return false, err
		}
		reg = *conflict.Register
		return true, err
	})
	return saved, replay, err
}
