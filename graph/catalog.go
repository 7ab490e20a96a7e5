package graph

import (
	"context"
	"fmt"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tax"
)

// ---- types

// itemResolver is the contract's Item. A partial one is built from a
// variant's copy of its item (id, name, tax category, time — kept equal by
// every upsert); only its variants then need the item itself, read through
// the request's loader.
type itemResolver struct {
	it      catalog.Item
	partial bool
}

// newItemResolver returns the Item of a fully read catalog item.
func newItemResolver(it catalog.Item) *itemResolver { return &itemResolver{it: it} }

func (r *itemResolver) ID() graphql.ID          { return graphql.ID(r.it.ID) }
func (r *itemResolver) Name() string            { return r.it.Name }
func (r *itemResolver) TaxCategory() string     { return string(r.it.TaxCategory) }
func (r *itemResolver) UpdatedAt() graphql.Time { return graphql.Time{Time: r.it.UpdatedAt} }

func (r *itemResolver) Variants(ctx context.Context) ([]*variantResolver, error) {
	parent := r
	if r.partial {
		it, ok, err := loadItem(ctx, r.it.ID)
		if err != nil {
			return nil, top(ctx, err)
		}
		if !ok {
			return []*variantResolver{}, nil // items are never deleted; only an index lag gets here
		}
		parent = newItemResolver(it)
	}
	out := make([]*variantResolver, len(parent.it.Variants))
	for i, v := range parent.it.Variants {
		out[i] = &variantResolver{id: v.ID, v: &v, item: parent}
	}
	return out, nil
}

// variantResolver is the contract's Variant. One reached through the
// catalog (items, barcode, order lines) holds the catalog's variant; one
// reached through a stock level holds the ledger's view of it (id, SKU,
// whether stock is tracked), which the inventory service serves to anyone
// who may read stock. Its other fields (name, barcode, price, item) are
// catalog data: they are read through the request's variant loader, which
// asks catalog.Service (catalog:read), so a caller without it gets FORBIDDEN
// for them rather than the catalog's prices.
type variantResolver struct {
	id   string
	v    *catalog.Variant   // the catalog's variant, once read
	ref  *inventory.Variant // the ledger's view, for stock levels
	item *itemResolver      // set when the variant was reached through its item
}

// newVariantResolver returns the Variant of a catalog variant (from
// catalog.Service.GetVariants or ByBarcode). Its item costs no read unless
// the item's variants are asked for.
func newVariantResolver(v catalog.Variant) *variantResolver { return &variantResolver{id: v.ID, v: &v} }

// stockVariantResolver returns the Variant of a stock level: the ledger's
// view when the inventory service gave one, the catalog's on demand.
func stockVariantResolver(id string, ref inventory.Variant, ok bool) *variantResolver {
	if !ok {
		return &variantResolver{id: id}
	}
	return &variantResolver{id: id, ref: &ref}
}

// catalog returns the catalog's variant, reading it through the request's
// loader (catalog:read) when this resolver does not hold it.
func (r *variantResolver) catalog(ctx context.Context) (catalog.Variant, error) {
	if r.v != nil {
		return *r.v, nil
	}
	v, ok, err := loadVariant(ctx, r.id)
	if err != nil {
		return catalog.Variant{}, top(ctx, err)
	}
	if !ok {
		return catalog.Variant{}, top(ctx, fmt.Errorf("variant %s is missing from the catalog", r.id))
	}
	return v, nil
}

func (r *variantResolver) ID() graphql.ID { return graphql.ID(r.id) }

func (r *variantResolver) Name(ctx context.Context) (string, error) {
	v, err := r.catalog(ctx)
	return v.Name, err
}

func (r *variantResolver) Sku(ctx context.Context) (string, error) {
	if r.ref != nil {
		return r.ref.SKU, nil
	}
	v, err := r.catalog(ctx)
	return v.SKU, err
}

func (r *variantResolver) Barcode(ctx context.Context) (*string, error) {
	v, err := r.catalog(ctx)
	if err != nil {
		return nil, err
	}
	return strPtr(v.Barcode), nil
}

func (r *variantResolver) TrackStock(ctx context.Context) (bool, error) {
	if r.ref != nil {
		return r.ref.TrackStock, nil
	}
	v, err := r.catalog(ctx)
	return v.TrackStock, err
}

func (r *variantResolver) Price(ctx context.Context) (*money, error) {
	v, err := r.catalog(ctx)
	if err != nil {
		return nil, err
	}
	return &money{Amount: Long(v.Price), Currency: v.Currency}, nil
}

func (r *variantResolver) Item(ctx context.Context) (*itemResolver, error) {
	if r.item != nil {
		return r.item, nil
	}
	v, err := r.catalog(ctx)
	if err != nil {
		return nil, err
	}
	if v.ItemID != "" && v.ItemName != "" && v.TaxCategory.Valid() && !v.UpdatedAt.IsZero() {
		return &itemResolver{it: catalog.Item{ID: v.ItemID, Name: v.ItemName, TaxCategory: v.TaxCategory, UpdatedAt: v.UpdatedAt}, partial: true}, nil
	}
	it, ok, err := loadItem(ctx, v.ItemID) // a variant built without its item's copy
	if err != nil {
		return nil, top(ctx, err)
	}
	if !ok {
		return nil, top(ctx, apperr.New(apperr.Internal, "variant without item"))
	}
	return newItemResolver(it), nil
}

type itemConnectionResolver struct {
	Nodes    []*itemResolver
	PageInfo *pageInfo
}

type itemPayloadResolver struct {
	Item       *itemResolver
	UserErrors []*userError
}

// ---- queries

type itemsArgs struct {
	First *int32
	After *string
	Query *string
}

// Items lists the catalog in name order, or searches it by a prefix of the
// name, SKU or barcode.
func (r *Resolver) Items(ctx context.Context, args itemsArgs) (*itemConnectionResolver, error) {
	first, err := pageArgs(args.First)
	if err != nil {
		return nil, top(ctx, err)
	}
	items, next, err := r.svc.Catalog.List(ctx, deref(args.Query), first, deref(args.After))
	if err != nil {
		return nil, top(ctx, err)
	}
	nodes := make([]*itemResolver, len(items))
	for i, it := range items {
		nodes[i] = newItemResolver(it)
	}
	return &itemConnectionResolver{Nodes: nodes, PageInfo: &pageInfo{HasNextPage: next != "", EndCursor: strPtr(next)}}, nil
}

// VariantByBarcode finds the variant a scanner read; null when none has
// the barcode.
func (r *Resolver) VariantByBarcode(ctx context.Context, args struct{ Barcode string }) (*variantResolver, error) {
	v, err := r.svc.Catalog.ByBarcode(ctx, args.Barcode)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return newVariantResolver(v), nil
}

// ---- mutations

type upsertItemInput struct {
	ID          *graphql.ID
	Name        string
	TaxCategory string
	Variants    []variantInput
}

type variantInput struct {
	ID         *graphql.ID
	Name       string
	Sku        string
	Barcode    *string
	Price      moneyInput
	TrackStock *bool
}

// UpsertItem creates an item or replaces an existing one's name, tax
// category and variants (catalog:write: MANAGER, OWNER, CATALOG_WRITE; the
// service checks).
func (r *Resolver) UpsertItem(ctx context.Context, args struct{ Input upsertItemInput }) (*itemPayloadResolver, error) {
	fail := func(err error) (*itemPayloadResolver, error) {
		ue, err := userErrors(ctx, err)
		return &itemPayloadResolver{UserErrors: ue}, err
	}
	in := args.Input
	up := catalog.UpsertInput{Name: in.Name, TaxCategory: tax.Category(in.TaxCategory)}
	if in.ID != nil {
		up.ID = string(*in.ID)
	}
	for _, v := range in.Variants {
		vi := catalog.VariantInput{Name: v.Name, SKU: v.Sku, Barcode: deref(v.Barcode), Price: int64(v.Price.Amount), Currency: v.Price.Currency, TrackStock: v.TrackStock}
		if v.ID != nil {
			vi.ID = string(*v.ID)
		}
		up.Variants = append(up.Variants, vi)
	}
	it, err := r.svc.Catalog.Upsert(ctx, up)
	if err != nil {
		return fail(err)
	}
	return &itemPayloadResolver{Item: newItemResolver(it), UserErrors: []*userError{}}, nil
}
