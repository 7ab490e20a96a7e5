package dynamo

import (
	"context"
	"fmt"

	"github.com/renkei-pos/renkei/shared/inventory"
)

// GetLevel reads one stock level of the tenant in ctx, strongly consistent;
// a level never written is 0 at version 0 (what an integration pushes for
// it).
func (st *InventoryStore) GetLevel(ctx context.Context, locationID, variantID string) (inventory.StockLevel, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return inventory.StockLevel{}, err
	}
	var it stockItem
	ok, err := st.t.get(ctx, stockKey(tpk, locationID, variantID), &it)
	if err != nil {
		return inventory.StockLevel{}, fmt.Errorf("read stock level: %w", err)
	}
	if !ok {
		return inventory.StockLevel{LocationID: locationID, VariantID: variantID}, nil
	}
	return it.domain(), nil
}
