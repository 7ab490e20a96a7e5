package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// ---- types

type stockLevelResolver struct {
	l        inventory.StockLevel
	location tenant.Location
	variant  *variantResolver
}

func (r *stockLevelResolver) Variant() *variantResolver   { return r.variant }
func (r *stockLevelResolver) Location() *locationResolver { return &locationResolver{r.location} }
func (r *stockLevelResolver) OnHand() Long                { return Long(r.l.OnHand) }

// UpdatedAt of a level never written is the zero time (0001-01-01T00:00:00Z).
func (r *stockLevelResolver) UpdatedAt() graphql.Time { return graphql.Time{Time: r.l.UpdatedAt} }

// stockLevels renders a service answer. Each level's variant is the ledger's
// view the service returned; the variants' catalog fields, if a client asks
// for them, are read through the request's loader in one batch.
func stockLevels(ctx context.Context, st inventory.Stock) []*stockLevelResolver {
	out := make([]*stockLevelResolver, len(st.Levels))
	ids := make([]string, len(st.Levels))
	for i, l := range st.Levels {
		ref, ok := st.Variants[l.VariantID]
		out[i] = &stockLevelResolver{l: l, location: st.Locations[l.LocationID], variant: stockVariantResolver(l.VariantID, ref, ok)}
		ids[i] = l.VariantID
	}
	expectVariants(ctx, ids)
	return out
}

// ---- queries

// Inventory reads stock levels at a location: of the given variants (at
// most 100; ids that are not the tenant's variants are left out), or every
// level written there (at most 5,000). A location the caller may not work at
// is NOT_FOUND (the service checks).
func (r *Resolver) Inventory(ctx context.Context, args struct {
	LocationID graphql.ID
	VariantIDs *[]graphql.ID
}) ([]*stockLevelResolver, error) {
	var ids []string
	if args.VariantIDs != nil {
		ids = make([]string, len(*args.VariantIDs))
		for i, id := range *args.VariantIDs {
			ids[i] = string(id)
		}
	}
	st, err := r.svc.Inventory.Levels(ctx, string(args.LocationID), ids)
	if err != nil {
		return nil, top(ctx, err)
	}
	return stockLevels(ctx, st), nil
}

// ---- mutations

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

func inventoryFailure(ctx context.Context, err error) (*inventoryPayloadResolver, error) {
	ue, err := userErrors(ctx, err)
	return &inventoryPayloadResolver{StockLevels: []*stockLevelResolver{}, UserErrors: ue}, err
}

func inventoryResult(ctx context.Context, st inventory.Stock, err error) (*inventoryPayloadResolver, error) {
	if err != nil {
		return inventoryFailure(ctx, err)
	}
	return &inventoryPayloadResolver{StockLevels: stockLevels(ctx, st), UserErrors: []*userError{}}, nil
}

// AdjustInventory changes stock levels at one location (inventory:write at
// that location: MANAGER, OWNER, INVENTORY_WRITE), once per idempotency key.
func (r *Resolver) AdjustInventory(ctx context.Context, args struct{ Input adjustInventoryInput }) (*inventoryPayloadResolver, error) {
	in := args.Input
	adj := inventory.AdjustInput{IdempotencyKey: in.IdempotencyKey, LocationID: string(in.LocationID), Changes: make([]inventory.Change, len(in.Changes))}
	for i, c := range in.Changes {
		adj.Changes[i] = inventory.Change{VariantID: string(c.VariantID), Delta: longPtr(c.Delta), SetTo: longPtr(c.SetTo), Reason: inventory.Reason(c.Reason)}
	}
	st, err := r.svc.Inventory.Adjust(ctx, adj)
	return inventoryResult(ctx, st, err)
}

// TransferInventory moves stock between two locations in one write
// (inventory:write at both), once per idempotency key.
func (r *Resolver) TransferInventory(ctx context.Context, args struct{ Input transferInventoryInput }) (*inventoryPayloadResolver, error) {
	in := args.Input
	tr := inventory.TransferInput{IdempotencyKey: in.IdempotencyKey, FromLocationID: string(in.FromLocationID), ToLocationID: string(in.ToLocationID), Lines: make([]inventory.TransferLine, len(in.Lines))}
	for i, l := range in.Lines {
		tr.Lines[i] = inventory.TransferLine{VariantID: string(l.VariantID), Quantity: int64(l.Quantity)}
	}
	st, err := r.svc.Inventory.Transfer(ctx, tr)
	return inventoryResult(ctx, st, err)
}

func longPtr(l *Long) *int64 {
	if l == nil {
		return nil
	}
	n := int64(*l)
	return &n
}
