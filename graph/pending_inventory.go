package graph

// Placeholder of the inventory area (see pending.go): replaced when it is built.

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"
)

// Inventory reads stock levels at a location.
func (r *Resolver) Inventory(ctx context.Context, _ struct {
	LocationID graphql.ID
	VariantIDs *[]graphql.ID
}) ([]*stockLevelResolver, error) {
	return nil, notImplemented(ctx, "inventory")
}

// AdjustInventory changes stock.
func (r *Resolver) AdjustInventory(ctx context.Context, _ struct{ Input adjustInventoryInput }) (*inventoryPayloadResolver, error) {
	return nil, notImplemented(ctx, "adjustInventory")
}

// TransferInventory moves stock.
func (r *Resolver) TransferInventory(ctx context.Context, _ struct{ Input transferInventoryInput }) (*inventoryPayloadResolver, error) {
	return nil, notImplemented(ctx, "transferInventory")
}

type stockLevelResolver struct {
	Variant   *variantResolver
	Location  *locationResolver
	OnHand    Long
	UpdatedAt graphql.Time
}

type adjustInventoryInput struct {
	IdempotencyKey string
	LocationID     graphql.ID
	Changes        []stockChangeInput
}

type stockChangeInput struct {
	VariantID graphql.ID
	Delta     *Long
	SetTo     *Long
	Reason    string
}

type transferInventoryInput struct {
	IdempotencyKey string
	FromLocationID graphql.ID
	ToLocationID   graphql.ID
	Lines          []transferLineInput
}

type transferLineInput struct {
	VariantID graphql.ID
	Quantity  Long
}

type inventoryPayloadResolver struct {
	StockLevels []*stockLevelResolver
	UserErrors  []*userError
}
