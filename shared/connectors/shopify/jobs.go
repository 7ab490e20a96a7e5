package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// levelData is the part of an inventory.changed event (and of the
// connector's own sync events) a push reads.
type levelData struct {
	LocationID string `json:"locationId"`
	VariantID  string `json:"variantId"`
	OnHand     int64  `json:"onHand"`
	Version    int64  `json:"version"`
}

// levelKey is a push's job key and its mark's key.
func levelKey(locationID, variantID string) string { return locationID + "|" + variantID }

// Plan: a stock change at a mapped location is a push of that level; an
// order the shop sent this integration is an import.
func (c *Connector) Plan(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error) {
	switch ev.Type {
	case integrations.EventInventoryChanged:
		st, err := ParseSettings(in.Settings)
		if err != nil {
			return nil, err
		}
		var d levelData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, fmt.Errorf("read inventory.changed %s: %w", ev.ID, err)
		}
		if _, mapped := st.LocationMap[d.LocationID]; !mapped || d.VariantID == "" {
			return nil, nil
		}
		return []integrations.JobSpec{{Kind: integrations.KindPushInventory, Key: levelKey(d.LocationID, d.VariantID), Event: ev}}, nil
	case integrations.EventShopifyOrder:
		if ev.IntegrationID != in.ID {
			return nil, nil
		}
		var o Order
		if err := json.Unmarshal(ev.Data, &o); err != nil {
			return nil, fmt.Errorf("read Shopify order event %s: %w", ev.ID, err)
		}
		return []integrations.JobSpec{{Kind: integrations.KindImportOrder, Key: o.ID, Event: ev}}, nil
	}
	return nil, nil
}

// maxSyncLevels bounds the levels one sync pushes per location.
const maxSyncLevels = inventory.MaxLocationLevels

// Sync pushes every stock level of every mapped location: one job each,
// carrying a sync event with the level as read now (the push reads it again
// when it runs).
func (c *Connector) Sync(ctx context.Context, cfg integrations.Config) ([]integrations.JobSpec, error) {
	in := cfg.Integration
	st, err := ParseSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	ctx = tenant.WithID(ctx, in.TenantID)
	now := c.now().UTC()
	var specs []integrations.JobSpec
	for _, loc := range sortedKeys(st.LocationMap) {
		levels, err := c.stock.ListLevels(ctx, loc, maxSyncLevels)
		if err != nil {
			return nil, fmt.Errorf("list stock levels of %s: %w", loc, err)
		}
		for _, l := range levels {
			data, err := json.Marshal(levelData{LocationID: l.LocationID, VariantID: l.VariantID, OnHand: l.OnHand, Version: l.Version})
			if err != nil {
				return nil, err
			}
			key := levelKey(l.LocationID, l.VariantID)
			ev := integrations.Event{ID: ids.Derive("evt", now, "shopify-sync|"+in.ID+"|"+key), Type: integrations.EventSync,
				CreatedAt: now, TenantID: in.TenantID, Data: data, IntegrationID: in.ID}
			specs = append(specs, integrations.JobSpec{Kind: integrations.KindPushInventory, Key: key, Event: ev})
		}
	}
	return specs, nil
}

// Run performs a push or an import.
func (c *Connector) Run(ctx context.Context, cfg integrations.Config, job integrations.Job) error {
	st, err := ParseSettings(cfg.Integration.Settings)
	if err != nil {
		return integrations.Permanent(err)
	}
	sec, err := ParseSecrets(cfg.Secrets)
	if err != nil {
		return integrations.Permanent(err)
	}
	ctx = tenant.WithID(ctx, cfg.Integration.TenantID)
	switch job.Kind {
	case integrations.KindPushInventory:
		return c.push(ctx, cfg, st, c.client(st, sec.AccessToken), job)
	case integrations.KindImportOrder:
		return c.importOrder(ctx, cfg, st, job)
	}
	return integrations.Permanent(fmt.Errorf("the Shopify connector runs no %s jobs", job.Kind))
}

// maxPushRounds bounds the pushes of one job that finds, after pushing, a
// newer version marked by another job.
const maxPushRounds = 3

// push sets the shop's available quantity to the level's on-hand. Marks
// order pushes: the mark of the level is advanced to the event's version,
// and an event older than the mark is dropped (a newer one was or is being
// pushed). The quantity pushed is the level as read now when it is newer
// than the event's (its version advances the mark too). After pushing, a mark that moved past
// the pushed version means another job may have pushed its newer number
// first: the level is read and pushed again, so the newest number is the
// last one sent.
func (c *Connector) push(ctx context.Context, cfg integrations.Config, st Settings, cl *client, job integrations.Job) error {
	var d levelData
	if err := json.Unmarshal(job.Event.Data, &d); err != nil {
		return integrations.Permanent(fmt.Errorf("the job's stock event is unreadable"))
	}
	gid, mapped := st.LocationMap[d.LocationID]
	if !mapped {
		return nil
	}
	vs, err := c.catalog.GetVariants(ctx, []string{d.VariantID})
	if err != nil {
		return fmt.Errorf("read variant %s: %w", d.VariantID, err)
	}
	if len(vs) == 0 || vs[0].SKU == "" || !vs[0].TrackStock {
		return nil // deleted since, or a variant whose stock renkei does not count
	}
	sku := vs[0].SKU
	var item string
	key := levelKey(d.LocationID, d.VariantID)
	if newest, err := c.advance(ctx, cfg, key, d.Version); err != nil || !newest {
		return err // a newer version was pushed (or is being pushed): this one is dropped
	}
	for range maxPushRounds {
		cur, err := c.stock.GetLevel(ctx, d.LocationID, d.VariantID)
		if err != nil {
			return fmt.Errorf("read stock level %s: %w", key, err)
		}
		if cur.Version > d.Version {
			d.OnHand, d.Version = cur.OnHand, cur.Version
		}
		newest, err := c.advance(ctx, cfg, key, d.Version)
		if err != nil || !newest {
			return err
		}
		if item == "" {
			found, ok, err := cl.inventoryItemOf(ctx, sku)
			if err != nil {
				return classify(err)
			}
			if !ok {
				return nil // listed in the integration's SKU_NOT_IN_SHOPIFY warning
			}
			item = found
		}
		if err := cl.setAvailable(ctx, item, gid, d.OnHand); err != nil {
			return classify(fmt.Errorf("SKU %s: %w", sku, err))
		}
		mark, err := cfg.Marks.Get(ctx, cfg.Integration.ID, key)
		if err != nil || mark <= d.Version {
			return err
		}
	}
	return nil
}

// advance moves the level's mark to version; newest is false when the mark
// is already past it. An equal mark pushes again: a retry of a failed push,
// or a sync, sends the same number for the same version.
func (c *Connector) advance(ctx context.Context, cfg integrations.Config, key string, version int64) (newest bool, err error) {
	ok, err := cfg.Marks.Advance(ctx, cfg.Integration.ID, key, version)
	if err != nil || ok {
		return ok, err
	}
	mark, err := cfg.Marks.Get(ctx, cfg.Integration.ID, key)
	return mark <= version, err
}

// importOrder records a Shopify order as a sale at the order location,
// acting as the integration. An order renkei cannot record as sent (a SKU
// it does not know, another currency) fails at once, naming why.
func (c *Connector) importOrder(ctx context.Context, cfg integrations.Config, st Settings, job integrations.Job) error {
	var o Order
	if err := json.Unmarshal(job.Event.Data, &o); err != nil || o.ID == "" {
		return integrations.Permanent(errors.New("the job's Shopify order is unreadable"))
	}
	what := "Shopify order " + o.Name
	skus := make([]string, 0, len(o.Lines))
	for i, l := range o.Lines {
		if l.SKU == "" {
			return integrations.Permanent(fmt.Errorf("%s: line %d (%s) has no SKU", what, i+1, l.Title))
		}
		skus = append(skus, l.SKU)
	}
	found, err := c.catalog.VariantIDsBySKU(ctx, skus)
	if err != nil {
		return fmt.Errorf("%s: resolve SKUs: %w", what, err)
	}
	in := sales.ImportedOrder{Source: Source, ExternalID: o.ID, Reference: o.Name, LocationID: st.OrderLocationID,
		OccurredAt: o.CreatedAt, Currency: o.Currency, PricesIncludeTax: o.TaxesIncluded}
	var unknown []string
	for _, l := range o.Lines {
		v, ok := found[l.SKU]
		if !ok {
			unknown = append(unknown, l.SKU)
			continue
		}
		price, err := minorUnits(l.Price, o.Currency)
		if err != nil {
			return integrations.Permanent(fmt.Errorf("%s: SKU %s: %w", what, l.SKU, err))
		}
		discount, err := minorUnits(l.Discount, o.Currency)
		if err != nil {
			return integrations.Permanent(fmt.Errorf("%s: SKU %s: %w", what, l.SKU, err))
		}
		in.Lines = append(in.Lines, sales.ImportedLine{VariantID: v, Quantity: l.Quantity, UnitPrice: price, Discount: discount})
	}
	if len(unknown) > 0 {
		return integrations.Permanent(fmt.Errorf("%s: SKU %s is not in renkei's catalog", what, strings.Join(unknown, ", ")))
	}
	ctx = identity.WithPrincipal(ctx, identity.IntegrationPrincipal(cfg.Integration.TenantID, cfg.Integration.ID))
	if _, err := c.orders.ImportOrder(ctx, in); err != nil {
		if l, expected := apperr.Expected(err); expected {
			return integrations.Permanent(fmt.Errorf("%s could not be recorded: %s", what, l[0].Message))
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
