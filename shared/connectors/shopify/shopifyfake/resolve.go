package shopifyfake

import (
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// reasons are the inventory reasons Shopify accepts.
var reasons = map[string]bool{"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true, "promotion": true,
	"quality_control": true, "received": true, "reservation_created": true, "reservation_deleted": true,
	"reservation_updated": true, "restock": true, "safety_stock": true, "shrinkage": true}

// maxQuantity is the largest quantity Shopify sets.
const maxQuantity = 1_000_000_000

// resolve answers one root field with whole objects; project trims them.
func (f *Fake) resolve(field *ast.Field, vars map[string]any, userError string) any {
	args := field.ArgumentMap(vars)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch field.Name {
	case "shop":
		return map[string]any{"__typename": "Shop", "id": "gid://shopify/Shop/1", "name": f.shopName, "myshopifyDomain": "renkei-test.myshopify.com"}
	case "location":
		for _, l := range f.locations {
			if l.ID == toStr(args["id"]) {
				return locationObject(l)
			}
		}
		return nil
	case "locations":
		var nodes []map[string]any
		for _, l := range f.locations {
			if !l.Inactive || args["includeInactive"] == true {
				nodes = append(nodes, locationObject(l))
			}
		}
		return connection(nodes, args)
	case "productVariants":
		sku, filtered := skuFilter(toStr(args["query"]))
		var nodes []map[string]any
		for _, v := range f.variants {
			if !filtered || v.SKU == sku {
				nodes = append(nodes, map[string]any{"__typename": "ProductVariant", "id": v.ID, "sku": v.SKU, "title": v.SKU,
					"inventoryItem": map[string]any{"__typename": "InventoryItem", "id": v.InventoryItemID, "sku": v.SKU, "tracked": true}})
			}
		}
		return connection(nodes, args)
	case "inventorySetQuantities":
		input, _ := args["input"].(map[string]any)
		return f.setQuantities(input, userError)
	}
	return nil
}

func locationObject(l Location) map[string]any {
	return map[string]any{"__typename": "Location", "id": l.ID, "name": l.Name, "isActive": !l.Inactive}
}

// connection pages nodes by first/after (cursors are positions).
func connection(nodes []map[string]any, args map[string]any) map[string]any {
	start := 0
	if after := toStr(args["after"]); after != "" {
		for i := range nodes {
			if "c"+itoa(i) == after {
				start = i + 1
			}
		}
	}
	first, ok := toInt(args["first"])
	if !ok || first <= 0 || first > 250 {
		first = 250 // Shopify refuses more than 250; the connector never asks for more
	}
	end := min(start+int(first), len(nodes))
	page := nodes[min(start, len(nodes)):end]
	edges := make([]map[string]any, len(page))
	for i, n := range page {
		edges[i] = map[string]any{"__typename": "Edge", "cursor": "c" + itoa(start+i), "node": n}
	}
	info := map[string]any{"__typename": "PageInfo", "hasNextPage": end < len(nodes), "hasPreviousPage": start > 0, "startCursor": nil, "endCursor": nil}
	if len(page) > 0 {
		info["startCursor"], info["endCursor"] = "c"+itoa(start), "c"+itoa(end-1)
	}
	if page == nil {
		page = []map[string]any{}
	}
	return map[string]any{"__typename": "Connection", "nodes": page, "edges": edges, "pageInfo": info}
}

// skuFilter reads a `sku:<value>` or `sku:"<value>"` search.
func skuFilter(q string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(q), "sku:")
	if !ok {
		return "", false
	}
	if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
		r := strings.NewReplacer(`\\`, `\`, `\"`, `"`)
		return r.Replace(rest[1 : len(rest)-1]), true
	}
	return rest, true
}

// setQuantities applies inventorySetQuantities as Shopify does for the
// connector's use: the name and reason must be known, compare-and-set must
// be opted out of (or compared quantities given), items and locations must
// exist. Nothing is set when any quantity is refused.
func (f *Fake) setQuantities(input map[string]any, injected string) map[string]any {
	var userErrors []map[string]any
	refuse := func(code, msg string, field ...string) {
		userErrors = append(userErrors, map[string]any{"__typename": "InventorySetQuantitiesUserError", "code": code, "field": append([]string{"input"}, field...), "message": msg})
	}
	payload := func() map[string]any {
		if userErrors == nil {
			userErrors = []map[string]any{}
		}
		return map[string]any{"__typename": "InventorySetQuantitiesPayload", "inventoryAdjustmentGroup": nil, "userErrors": userErrors}
	}
	if injected != "" {
		refuse("INVALID_INVENTORY_ITEM", injected, "quantities", "0", "inventoryItemId")
		return payload()
	}
	name, reason := toStr(input["name"]), toStr(input["reason"])
	if name != "available" && name != "on_hand" {
		refuse("INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'.", "name")
	}
	if !reasons[reason] {
		refuse("INVALID_REASON", "The specified reason is invalid.", "reason")
	}
	ignore, _ := input["ignoreCompareQuantity"].(bool)
	quantities, _ := input["quantities"].([]any)
	type set struct {
		item, loc string
		qty       int64
	}
	var sets []set
	for i, q := range quantities {
		m, _ := q.(map[string]any)
		item, loc := toStr(m["inventoryItemId"]), toStr(m["locationId"])
		qty, _ := toInt(m["quantity"])
		at := []string{"quantities", itoa(i)}
		if !ignore && m["compareQuantity"] == nil {
			refuse("COMPARE_QUANTITY_REQUIRED", "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", append(at, "compareQuantity")...)
		}
		if !f.hasItem(item) {
			refuse("INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", append(at, "inventoryItemId")...)
		}
		if !f.hasLocation(loc) {
			refuse("INVALID_LOCATION", "The specified location could not be found.", append(at, "locationId")...)
		}
		if qty > maxQuantity {
			refuse("INVALID_QUANTITY_TOO_HIGH", "The quantity can't be higher than 1,000,000,000.", append(at, "quantity")...)
		}
		if cmp, ok := toInt(m["compareQuantity"]); !ignore && ok && cmp != f.quantities[item+" "+loc] {
			refuse("COMPARE_QUANTITY_STALE", "The compareQuantity value does not match persisted value.", append(at, "compareQuantity")...)
		}
		sets = append(sets, set{item, loc, qty})
	}
	if len(userErrors) > 0 {
		return payload()
	}
	var changes []map[string]any
	now := time.Now().UTC()
	for _, s := range sets {
		k := s.item + " " + s.loc
		changes = append(changes, map[string]any{"__typename": "InventoryChange", "name": name, "delta": s.qty - f.quantities[k], "quantityAfterChange": s.qty})
		f.quantities[k] = s.qty
		f.pushes = append(f.pushes, Push{InventoryItemID: s.item, LocationID: s.loc, Name: name, Reason: reason, Quantity: s.qty, At: now})
	}
	f.nextID++
	group := map[string]any{"__typename": "InventoryAdjustmentGroup", "id": "gid://shopify/InventoryAdjustmentGroup/" + itoa(f.nextID),
		"createdAt": now.Format(time.RFC3339), "reason": reason, "referenceDocumentUri": input["referenceDocumentUri"], "changes": changes}
	p := payload()
	p["inventoryAdjustmentGroup"] = group
	return p
}

func (f *Fake) hasItem(id string) bool {
	for _, v := range f.variants {
		if v.InventoryItemID == id {
			return true
		}
	}
	return false
}

func (f *Fake) hasLocation(id string) bool {
	for _, l := range f.locations {
		if l.ID == id {
			return true
		}
	}
	return false
}
