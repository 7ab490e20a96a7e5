package shopify_test

import (
	"github.com/renkei-pos/renkei/shared/connectors/shopify"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/sales"
)

// What the stack wires into New.
var (
	_ shopify.Catalog   = (*dynamo.CatalogStore)(nil)
	_ shopify.Stock     = (*dynamo.InventoryStore)(nil)
	_ shopify.Orders    = (*sales.Service)(nil)
	_ shopify.Locations = (*dynamo.TenantStore)(nil)
)
