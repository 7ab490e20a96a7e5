package graph

// Placeholder of the catalog area (see pending.go): replaced when it is built.

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"
)

// Items lists the catalog.
func (r *Resolver) Items(ctx context.Context, args searchArgs) (*itemConnectionResolver, error) {
	return nil, notImplementedPage(ctx, "items", args.First)
}

// VariantByBarcode finds a variant by barcode.
func (r *Resolver) VariantByBarcode(ctx context.Context, _ struct{ Barcode string }) (*variantResolver, error) {
	return nil, notImplemented(ctx, "variantByBarcode")
}

// UpsertItem creates or updates an item.
func (r *Resolver) UpsertItem(ctx context.Context, _ struct{ Input upsertItemInput }) (*itemPayloadResolver, error) {
	return nil, notImplemented(ctx, "upsertItem")
}

type itemResolver struct {
	ID          graphql.ID
	Name        string
	TaxCategory string
	Variants    []*variantResolver
	UpdatedAt   graphql.Time
}

type variantResolver struct {
	ID         graphql.ID
	Item       *itemResolver
	Name       string
	Sku        string
	Barcode    *string
	Price      *money
	TrackStock bool
}

type itemConnectionResolver struct {
	Nodes    []*itemResolver
	PageInfo *pageInfo
}

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

type itemPayloadResolver struct {
	Item       *itemResolver
	UserErrors []*userError
}
