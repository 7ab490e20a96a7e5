package graph

import (
	"context"
	"fmt"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// ---- types

type stockLevelResolver struct {
	l        inventory.StockLevel
	location tenant.Location
	variants *variantBatch
}

func (r *stockLevelResolver) Variant(ctx context.Context) (*variantResolver, error) {
	v, err := r.variants.get(ctx, r.l.VariantID)
	if err != nil {
		return nil, top(ctx, err)
	}
	return newVariantResolver(v), nil
}
func (r *stockLevelResolver) Location() *locationResolver { return &locationResolver{r.location} }
func (r *stockLevelResolver) OnHand() Long                { return Long(r.l.OnHand) }

// UpdatedAt of a level never written is the zero time (0001-01-01T00:00:00Z).
func (r *stockLevelResolver) UpdatedAt() graphql.Time { return graphql.Time{Time: r.l.UpdatedAt} }

// variantBatch reads the variants of every level of one response with one
// GetVariants call, made when the first StockLevel.variant is resolved (a
// client that does not select variant costs no read).
type variantBatch struct {
	load func(ctx context.Context, ids []string) ([]catalog.Variant, error)
	ids  []string
	once sync.Once
	byID map[string]catalog.Variant
	err  error
}

func (b *variantBatch) fetch(ctx context.Context) error {
	b.once.Do(func() {
		vs, err := b.load(ctx, b.ids)
		if err != nil {
			b.err = fmt.Errorf("load variants of stock levels: %w", err)
			return
		}
		b.byID = make(map[string]catalog.Variant, len(vs))
		for _, v := range vs {
			b.byID[v.ID] = v
		}
	})
	return b.err
}

func (b *variantBatch) get(ctx context.Context, id string) (catalog.Variant, error) {
	if err := b.fetch(ctx); err != nil {
		return catalog.Variant{}, err
	}
	v, ok := b.byID[id]
	if !ok { // a write checked it moments ago: this is a fault, not a client error
		return catalog.Variant{}, fmt.Errorf("variant %s of a stock level is missing", id)
	}
	return v, nil
}

// stockLevels renders a service answer. Listing a whole location
// (pruneMissing) reads the variants up front and leaves out levels whose
// variant is gone from the catalog; every other answer names variants that
// were just checked, so their read waits until a client selects one.
func (r *Resolver) stockLevels(ctx context.Context, st inventory.Stock, pruneMissing bool) ([]*stockLevelResolver, error) {
	seen := make(map[string]bool, len(st.Levels))
	batch := &variantBatch{load: r.svc.Catalog.GetVariants}
	for _, l := range st.Levels {
		if !seen[l.VariantID] {
			seen[l.VariantID] = true
			batch.ids = append(batch.ids, l.VariantID)
		}
	}
	if pruneMissing && len(batch.ids) > 0 {
		if err := batch.fetch(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]*stockLevelResolver, 0, len(st.Levels))
	for _, l := range st.Levels {
		if pruneMissing {
			if _, ok := batch.byID[l.VariantID]; !ok {
				continue
			}
		}
		out = append(out, &stockLevelResolver{l: l, location: st.Locations[l.LocationID], variants: batch})
	}
	return out, nil
}

// ---- queries

// Inventory reads stock levels at a location: of the given variants (at
// most 100; ids that are not the tenant's variants are left out), or every
// level written there (at most 5,000).
func (r *Resolver) Inventory(ctx context.Context, args struct {
	LocationID graphql.ID
	VariantIDs *[]graphql.ID
}) ([]*stockLevelResolver, error) {
	if _, err := require(ctx, identity.ReadInventory); err != nil {
		return nil, top(ctx, err)
	}
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
	out, err := r.stockLevels(ctx, st, ids == nil)
	if err != nil {
		return nil, top(ctx, err)
	}
	return out, nil
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

func (r *Resolver) inventoryResult(ctx context.Context, st inventory.Stock, err error) (*inventoryPayloadResolver, error) {
	if err != nil {
		return inventoryFailure(ctx, err)
	}
	levels, err := r.stockLevels(ctx, st, false)
	if err != nil {
		return inventoryFailure(ctx, err)
	}
	return &inventoryPayloadResolver{StockLevels: levels, UserErrors: []*userError{}}, nil
}

// atLocation is a location a write acts at and the input field naming it.
type atLocation struct {
	id    graphql.ID
	field string
}

// requireAt is require plus the staff member's location restriction.
func requireAt(ctx context.Context, perm identity.Permission, locs ...atLocation) error {
	p, err := require(ctx, perm)
	if err != nil {
		return err
	}
	for _, l := range locs {
		if !p.CanUseLocation(string(l.id)) {
			return apperr.New(apperr.Forbidden, "you may only act at your assigned locations", "input", l.field)
		}
	}
	return nil
}

// AdjustInventory changes stock levels at one location (MANAGER, OWNER,
// INVENTORY_WRITE), once per idempotency key.
func (r *Resolver) AdjustInventory(ctx context.Context, args struct{ Input adjustInventoryInput }) (*inventoryPayloadResolver, error) {
	in := args.Input
	if err := requireAt(ctx, identity.WriteInventory, atLocation{in.LocationID, "locationId"}); err != nil {
		return inventoryFailure(ctx, err)
	}
	adj := inventory.AdjustInput{IdempotencyKey: in.IdempotencyKey, LocationID: string(in.LocationID), Changes: make([]inventory.Change, len(in.Changes))}
	for i, c := range in.Changes {
		adj.Changes[i] = inventory.Change{VariantID: string(c.VariantID), Delta: longPtr(c.Delta), SetTo: longPtr(c.SetTo), Reason: inventory.Reason(c.Reason)}
	}
	st, err := r.svc.Inventory.Adjust(ctx, adj)
	return r.inventoryResult(ctx, st, err)
}

// TransferInventory moves stock between two locations in one write
// (MANAGER, OWNER, INVENTORY_WRITE), once per idempotency key.
func (r *Resolver) TransferInventory(ctx context.Context, args struct{ Input transferInventoryInput }) (*inventoryPayloadResolver, error) {
	in := args.Input
	if err := requireAt(ctx, identity.WriteInventory, atLocation{in.FromLocationID, "fromLocationId"}, atLocation{in.ToLocationID, "toLocationId"}); err != nil {
		return inventoryFailure(ctx, err)
	}
	tr := inventory.TransferInput{IdempotencyKey: in.IdempotencyKey, FromLocationID: string(in.FromLocationID), ToLocationID: string(in.ToLocationID), Lines: make([]inventory.TransferLine, len(in.Lines))}
	for i, l := range in.Lines {
		tr.Lines[i] = inventory.TransferLine{VariantID: string(l.VariantID), Quantity: int64(l.Quantity)}
	}
	st, err := r.svc.Inventory.Transfer(ctx, tr)
	return r.inventoryResult(ctx, st, err)
}

func longPtr(l *Long) *int64 {
	if l == nil {
		return nil
	}
	n := int64(*l)
	return &n
}
