package shopify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// The Admin GraphQL operations the connector sends (API version
// APIVersion). shopifyfake parses each against the same subset of the
// schema.
const (
	queryShop = `query Shop { shop { name } }`

	queryLocations = `query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after) { nodes { id name isActive } pageInfo { hasNextPage endCursor } }
}`

	queryVariantSKUs = `query VariantSKUs($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) { nodes { sku } pageInfo { hasNextPage endCursor } }
}`

	queryVariantBySKU = `query VariantBySKU($first: Int!, $query: String!) {
  productVariants(first: $first, query: $query) { nodes { sku inventoryItem { id } } }
}`

	mutationSetQuantities = `mutation SetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { reason } userErrors { code field message } }
}`
)

// pageSize is how many nodes a listing asks for per call (Shopify's most).
const pageSize = 250

// MaxShopVariants bounds the variants read from a shop at connect time.
const MaxShopVariants = 100_000

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type location struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	IsActive bool   `json:"isActive"`
}

func (c *client) shopName(ctx context.Context) (string, error) {
	var out struct {
		Shop struct {
			Name string `json:"name"`
		} `json:"shop"`
	}
	err := c.do(ctx, "the shop query", queryShop, nil, &out)
	return out.Shop.Name, err
}

// locations lists the shop's active locations.
func (c *client) locations(ctx context.Context) ([]location, error) {
	var all []location
	after := ""
	for range 40 { // 10,000 locations: far past any shop's
		var out struct {
			Locations struct {
				Nodes    []location `json:"nodes"`
				PageInfo pageInfo   `json:"pageInfo"`
			} `json:"locations"`
		}
		if err := c.do(ctx, "the locations query", queryLocations, page(after), &out); err != nil {
			return nil, err
		}
		all = append(all, out.Locations.Nodes...)
		if !out.Locations.PageInfo.HasNextPage {
			break
		}
		after = out.Locations.PageInfo.EndCursor
	}
	return all, nil
}

// variantSKUs lists the SKUs of the shop's variants (at most
// MaxShopVariants; variants without a SKU are skipped). Throttled pages are
// waited for while ctx's deadline allows; complete is false when the
// listing stopped early to answer in time (a large shop on a slow bucket).
func (c *client) variantSKUs(ctx context.Context) (skus []string, complete bool, err error) {
	after := ""
	for range MaxShopVariants / pageSize {
		if !timeLeft(ctx, listMargin) {
			return skus, false, nil
		}
		var out struct {
			ProductVariants struct {
				Nodes []struct {
					SKU *string `json:"sku"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"productVariants"`
		}
		err := c.do(ctx, "the product variants query", queryVariantSKUs, page(after), &out)
		var ae *apiError
		if errors.As(err, &ae) && ae.Throttled {
			wait := max(ae.RetryAfter, time.Second)
			if !timeLeft(ctx, wait+listMargin) {
				return skus, false, nil
			}
			select {
			case <-ctx.Done():
				return skus, false, nil
			case <-time.After(wait):
			}
			continue
		}
		if err != nil {
			return nil, false, err
		}
		for _, n := range out.ProductVariants.Nodes {
			if n.SKU != nil && *n.SKU != "" {
				skus = append(skus, *n.SKU)
			}
		}
		if !out.ProductVariants.PageInfo.HasNextPage {
			return skus, true, nil
		}
		after = out.ProductVariants.PageInfo.EndCursor
	}
	return skus, false, nil
}

// listMargin is the time kept for the rest of a connect after listing.
const listMargin = 2 * time.Second

// timeLeft reports whether ctx leaves at least d (true without a deadline).
func timeLeft(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) >= d
}

func page(after string) map[string]any {
	v := map[string]any{"first": pageSize}
	if after != "" {
		v["after"] = after
	}
	return v
}

// inventoryItemOf finds the inventory item of the variant whose SKU is
// exactly sku (Shopify's search matches more loosely); ok is false when no
// variant has it.
func (c *client) inventoryItemOf(ctx context.Context, sku string) (item string, ok bool, err error) {
	var out struct {
		ProductVariants struct {
			Nodes []struct {
				SKU           *string `json:"sku"`
				InventoryItem struct {
					ID string `json:"id"`
				} `json:"inventoryItem"`
			} `json:"nodes"`
		} `json:"productVariants"`
	}
	vars := map[string]any{"first": 5, "query": skuQuery(sku)}
	if err := c.do(ctx, "the variant lookup by SKU", queryVariantBySKU, vars, &out); err != nil {
		return "", false, err
	}
	for _, n := range out.ProductVariants.Nodes {
		if n.SKU != nil && *n.SKU == sku && n.InventoryItem.ID != "" {
			return n.InventoryItem.ID, true, nil
		}
	}
	return "", false, nil
}

// skuQuery is Shopify's search syntax for one SKU, quoted.
func skuQuery(sku string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `sku:"` + r.Replace(sku) + `"`
}

// setAvailable sets the absolute available quantity of an inventory item
// at a location, without compare-and-set: renkei is the source of truth and
// orders pushes by the stock level's version itself.
func (c *client) setAvailable(ctx context.Context, item, locationGid string, quantity int64) error {
	q := min(max(quantity, 0), math.MaxInt32) // GraphQL Int is 32-bit; an oversold level is 0 available online
	vars := map[string]any{"input": map[string]any{
		"name":                  "available",
		"reason":                "correction",
		"ignoreCompareQuantity": true,
		"quantities":            []map[string]any{{"inventoryItemId": item, "locationId": locationGid, "quantity": q}},
	}}
	var out struct {
		InventorySetQuantities struct {
			UserErrors []struct {
				Code    *string  `json:"code"`
				Field   []string `json:"field"`
				Message string   `json:"message"`
			} `json:"userErrors"`
		} `json:"inventorySetQuantities"`
	}
	if err := c.do(ctx, "inventorySetQuantities", mutationSetQuantities, vars, &out); err != nil {
		return err
	}
	if ue := out.InventorySetQuantities.UserErrors; len(ue) > 0 {
		msg := clip(ue[0].Message)
		if ue[0].Code != nil {
			msg = *ue[0].Code + ": " + msg
		}
		return &apiError{Status: 200, Refused: true, Msg: fmt.Sprintf("Shopify refused the quantity (%d at %s): %s", q, locationGid, msg)}
	}
	return nil
}
