package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
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
		out[i] = &variantResolver{v: v, item: parent}
	}
	return out, nil
}

// variantResolver is the contract's Variant.
type variantResolver struct {
	v    catalog.Variant
	item *itemResolver // set when the variant was reached through its item
}

// newVariantResolver returns the Variant of a catalog variant (from
// catalog.Service.GetVariants or ByBarcode). Its item costs no read unless
// the item's variants are asked for.
func newVariantResolver(v catalog.Variant) *variantResolver { return &variantResolver{v: v} }

func (r *variantResolver) ID() graphql.ID   { return graphql.ID(r.v.ID) }
func (r *variantResolver) Name() string     { return r.v.Name }
func (r *variantResolver) Sku() string      { return r.v.SKU }
func (r *variantResolver) Barcode() *string { return strPtr(r.v.Barcode) }
func (r *variantResolver) TrackStock() bool { return r.v.TrackStock }
func (r *variantResolver) Price() *money {
	return &money{Amount: Long(r.v.Price), Currency: r.v.Currency}
}

func (r *variantResolver) Item(ctx context.Context) (*itemResolver, error) {
	if r.item != nil {
		return r.item, nil
	}
	v := r.v
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
	if _, err := require(ctx, identity.ReadCatalog); err != nil {
		return nil, top(ctx, err)
	}
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
	if _, err := require(ctx, identity.ReadCatalog); err != nil {
		return nil, top(ctx, err)
	}
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
// category and variants (MANAGER, OWNER, or an API key with CATALOG_WRITE).
func (r *Resolver) UpsertItem(ctx context.Context, args struct{ Input upsertItemInput }) (*itemPayloadResolver, error) {
	fail := func(err error) (*itemPayloadResolver, error) {
		ue, err := userErrors(ctx, err)
		return &itemPayloadResolver{UserErrors: ue}, err
	}
	if _, err := require(ctx, identity.WriteCatalog); err != nil {
		return fail(err)
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
