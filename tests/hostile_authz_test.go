package tests

import (
	"encoding/base64"
	"slices"
	"testing"
)

// Hostile requests against read authorization (issue 6, section 3): what a
// credential may not read directly, it may not read through a nested field
// either, and staff restricted to some locations read only those.

func TestHostile_OrdersKeyReadsNoPeopleOrPrices(t *testing.T) {
	f := newRolesShop(t, "hostile-orders-key")
	key, _ := createAPIKey(t, f.m, "ORDERS_READ")

	t.Run("customers themselves are FORBIDDEN", func(t *testing.T) {
		if r := gql(t, key, `{ customers { nodes { name email phone } } }`, nil); r.code() != "FORBIDDEN" {
			t.Fatalf("errors %+v, data %v", r.Errors, r.Data)
		}
	})
	t.Run("an order's customer and staff are null, without error noise", func(t *testing.T) {
		r := gql(t, key, `query($id: ID!) { order(id: $id) { number customer { name email phone } staff { email role name }
			lines { sku unitPrice { amount } variant { price { amount } item { name } } } } }`, map[string]any{"id": f.order1})
		mustOK(t, r, "")
		for _, path := range []string{"order.customer", "order.staff", "order.lines.0.variant"} {
			if v := field(t, r.Data, path); v != nil {
				t.Errorf("%s = %v, want null", path, v)
			}
		}
		if str(t, r.Data, "order.number") == "" || num(t, r.Data, "order.lines.0.unitPrice.amount") != 1200 {
			t.Fatalf("the order itself is readable: %v", r.Data)
		}
	})
	t.Run("through a page of orders too", func(t *testing.T) {
		r := gql(t, key, `{ orders { nodes { customer { email phone } staff { email role } lines { variant { price { amount } } } } } }`, nil)
		mustOK(t, r, "")
		nodes := field(t, r.Data, "orders.nodes").([]any)
		if len(nodes) != 2 {
			t.Fatalf("orders %v", nodes)
		}
		for _, n := range nodes {
			o := n.(map[string]any)
			if o["customer"] != nil || o["staff"] != nil || o["lines"].([]any)[0].(map[string]any)["variant"] != nil {
				t.Fatalf("leaked: %v", o)
			}
		}
	})
	t.Run("the owner reads them", func(t *testing.T) {
		r := gql(t, f.m.token, `query($id: ID!) { order(id: $id) { customer { email } staff { email } lines { variant { price { amount } } } } }`, map[string]any{"id": f.order1})
		mustOK(t, r, "")
		if str(t, r.Data, "order.customer.email") != "taro@example.com" || str(t, r.Data, "order.staff.email") != f.m.email || num(t, r.Data, "order.lines.0.variant.price.amount") != 1200 {
			t.Fatalf("owner: %v", r.Data)
		}
	})
	t.Run("an ORDERS_WRITE key's own checkout shows no customer or catalog price", func(t *testing.T) {
		writer, _ := createAPIKey(t, f.m, "ORDERS_WRITE")
		in := map[string]any{"idempotencyKey": stockKey("hostile"), "locationId": f.loc1, "customerId": f.customer,
			"lines": []any{map[string]any{"variantId": f.variant, "quantity": 1}}, "payments": []any{cashPayment(1200, 1200)}}
		r := gql(t, writer, `mutation($in: CheckoutInput!) { checkout(input: $in) { order { customer { email } lines { variant { price { amount } } } } userErrors { code } } }`, map[string]any{"in": in})
		mustOK(t, r, "checkout")
		if field(t, r.Data, "checkout.order.customer") != nil || field(t, r.Data, "checkout.order.lines.0.variant") != nil {
			t.Fatalf("leaked: %v", r.Data)
		}
	})
}

func TestHostile_InventoryKeyReadsNoCatalog(t *testing.T) {
	f := newRolesShop(t, "hostile-stock-key")
	key, _ := createAPIKey(t, f.m, "INVENTORY_READ")
	vars := map[string]any{"loc": f.loc1, "ids": []string{f.variant}}

	t.Run("a stock level names its variant", func(t *testing.T) {
		r := gql(t, key, `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { variant { id sku trackStock } onHand } }`, vars)
		mustOK(t, r, "")
		if str(t, r.Data, "inventory.0.variant.id") != f.variant || num(t, r.Data, "inventory.0.onHand") != 99 {
			t.Fatalf("levels: %v", r.Data)
		}
	})
	for name, query := range map[string]string{
		"price":                      `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { variant { price { amount } } } }`,
		"price, whole location":      `query($loc: ID!) { inventory(locationId: $loc) { variant { price { amount } } } }`,
		"item and its variants":      `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { variant { item { variants { price { amount } } } } } }`,
		"name and barcode":           `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { variant { name barcode } } }`,
		"the catalog, directly":      `{ items { nodes { variants { price { amount } } } } }`,
		"a barcode, directly":        `{ variantByBarcode(barcode: "4901234567894") { price { amount } } }`,
		"prices in an aliased field": `query($loc: ID!) { a: inventory(locationId: $loc) { onHand } b: inventory(locationId: $loc) { variant { price { amount } } } }`,
	} {
		t.Run(name+" is FORBIDDEN", func(t *testing.T) {
			r := gql(t, key, query, vars)
			if r.code() != "FORBIDDEN" {
				t.Fatalf("errors %+v, data %v", r.Errors, r.Data)
			}
			if r.Data != nil {
				for _, f := range []string{"inventory", "b", "items", "variantByBarcode"} {
					if r.Data[f] != nil {
						t.Fatalf("%s answered: %v", f, r.Data[f])
					}
				}
			}
		})
	}
	t.Run("an INVENTORY_WRITE key's adjustment shows no price", func(t *testing.T) {
		writer, _ := createAPIKey(t, f.m, "INVENTORY_WRITE")
		in := map[string]any{"idempotencyKey": stockKey("hostile"), "locationId": f.loc1, "changes": []any{change(f.variant, "delta", 1, "RECEIVED")}}
		ok := gql(t, writer, `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) { stockLevels { variant { sku } onHand } userErrors { code } } }`, map[string]any{"in": in})
		mustOK(t, ok, "adjustInventory")
		in["idempotencyKey"] = stockKey("hostile")
		r := gql(t, writer, `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) { stockLevels { variant { price { amount } } } userErrors { code } } }`, map[string]any{"in": in})
		if r.code() != "FORBIDDEN" {
			t.Fatalf("errors %+v, data %v", r.Errors, r.Data)
		}
	})
}

func TestHostile_LocationRestrictedReads(t *testing.T) {
	f := newRolesShop(t, "hostile-locations")
	cashier, _ := staffWithEmail(t, f.m, "CASHIER", []string{f.loc1})
	other := f.sell(t, f.m.token, f.loc2, f.customer) // the customer also bought at loc2

	t.Run("another location's order is not found", func(t *testing.T) {
		for _, id := range []string{f.order2, other} {
			r := gql(t, cashier, `query($id: ID!) { order(id: $id) { id receipt { text } } }`, map[string]any{"id": id})
			mustOK(t, r, "")
			if field(t, r.Data, "order") != nil {
				t.Fatalf("read %s at another location: %v", id, r.Data)
			}
		}
		if r := gql(t, cashier, `query($id: ID!) { order(id: $id) { receipt { text } } }`, map[string]any{"id": f.order1}); field(t, r.Data, "order.receipt.text") == nil {
			t.Fatalf("own location's receipt: %v %+v", r.Data, r.Errors)
		}
	})
	listed := func(t *testing.T, query string, vars map[string]any, path string) []string {
		t.Helper()
		r := gql(t, cashier, query, vars)
		mustOK(t, r, "")
		var ids []string
		for _, n := range field(t, r.Data, path+".nodes").([]any) {
			ids = append(ids, n.(map[string]any)["id"].(string))
		}
		if field(t, r.Data, path+".pageInfo.hasNextPage") != false {
			t.Fatalf("more pages: %v", r.Data)
		}
		return ids
	}
	t.Run("order lists hold only the caller's locations", func(t *testing.T) {
		if ids := listed(t, `{ orders { nodes { id } pageInfo { hasNextPage } } }`, nil, "orders"); !slices.Equal(ids, []string{f.order1}) {
			t.Fatalf("orders %v, want only %s", ids, f.order1)
		}
		if ids := listed(t, `query($f: OrderFilter) { orders(filter: $f) { nodes { id } pageInfo { hasNextPage } } }`, map[string]any{"f": map[string]any{"locationId": f.loc2}}, "orders"); len(ids) != 0 {
			t.Fatalf("filtered on another location: %v", ids)
		}
		if ids := listed(t, `query($f: OrderFilter) { orders(filter: $f) { nodes { id } pageInfo { hasNextPage } } }`, map[string]any{"f": map[string]any{"status": "COMPLETED"}}, "orders"); !slices.Equal(ids, []string{f.order1}) {
			t.Fatalf("filtered on status: %v", ids)
		}
		r := gql(t, cashier, `{ customers { nodes { orders { nodes { id } pageInfo { hasNextPage } } } } }`, nil)
		mustOK(t, r, "")
		if ids := idsOf(field(t, r.Data, "customers.nodes.0.orders.nodes")); !slices.Equal(ids, []string{f.order1}) {
			t.Fatalf("the customer's orders: %v, want only %s", ids, f.order1)
		}
	})
	t.Run("another location's stock is not found", func(t *testing.T) {
		for _, vars := range []map[string]any{{"loc": f.loc2}, {"loc": f.loc2, "ids": []string{f.variant}}} {
			r := gql(t, cashier, `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { onHand } }`, vars)
			if r.code() != "NOT_FOUND" {
				t.Fatalf("%v: errors %+v, data %v", vars, r.Errors, r.Data)
			}
		}
		if got := onHand(t, merchant{token: cashier}, f.loc1, f.variant); got != 99 {
			t.Fatalf("own location's stock: %d", got)
		}
	})
	t.Run("locations are the caller's", func(t *testing.T) {
		r := gql(t, cashier, `{ locations { id } }`, nil)
		mustOK(t, r, "")
		if ids := idsOf(field(t, r.Data, "locations")); !slices.Equal(ids, []string{f.loc1}) {
			t.Fatalf("locations %v", ids)
		}
	})
	t.Run("the owner sees both", func(t *testing.T) {
		r := gql(t, f.m.token, `{ orders { nodes { id } } locations { id } }`, nil)
		mustOK(t, r, "")
		if n, l := len(field(t, r.Data, "orders.nodes").([]any)), len(field(t, r.Data, "locations").([]any)); n != 3 || l != 2 {
			t.Fatalf("%d orders, %d locations", n, l)
		}
	})
}

func TestHostile_Cursors(t *testing.T) {
	f := newRolesShop(t, "hostile-cursors")
	f.sell(t, f.m.token, f.loc1, "")
	page := gql(t, f.m.token, `{ orders(first: 1) { pageInfo { endCursor } } customers(first: 1) { pageInfo { hasNextPage } } }`, nil)
	mustOK(t, page, "")
	ordersCursor := str(t, page.Data, "orders.pageInfo.endCursor")
	if ordersCursor == "" {
		t.Fatal("no cursor")
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte("2026-11-01T00:00:00.000000000Z#ord_x"))
	for name, tc := range map[string]struct {
		query string
		vars  map[string]any
	}{
		"garbled":                                  {`query($a: String) { orders(after: $a) { nodes { id } } }`, map[string]any{"a": "!!not a cursor!!"}},
		"a forged sort key":                        {`query($a: String) { orders(after: $a) { nodes { id } } }`, map[string]any{"a": forged}},
		"from another filter":                      {`query($a: String) { orders(after: $a, filter: {status: COMPLETED}) { nodes { id } } }`, map[string]any{"a": ordersCursor}},
		"an orders cursor for customers":           {`query($a: String) { customers(after: $a) { nodes { id } } }`, map[string]any{"a": ordersCursor}},
		"an orders cursor for a customer's orders": {`query($a: String) { customers { nodes { orders(after: $a) { nodes { id } } } } }`, map[string]any{"a": ordersCursor}},
	} {
		t.Run(name+" is INVALID", func(t *testing.T) {
			if r := gql(t, f.m.token, tc.query, tc.vars); r.code() != "INVALID" {
				t.Fatalf("errors %+v", r.Errors)
			}
		})
	}
}

// A filtered listing over many locations spends its read budget on orders
// that do not match; it must say so with a cursor, never end the list early.
func TestHostile_FilteredListingNeverEndsFalsely(t *testing.T) {
	if testing.Short() {
		t.Skip("sells 101 orders")
	}
	f := newRolesShop(t, "hostile-budget")
	for i := range 20 { // with 22 locations the budget leaves one page (100 orders) per location
		createLocation(t, f.m, "Pop-up "+string(rune('A'+i)))
	}
	setStock(t, f.m, f.loc1, f.variant, 1000)
	for range 101 {
		f.sell(t, f.m.token, f.loc1, "")
	}
	query := `query($a: String) { orders(first: 5, after: $a, filter: {status: REFUNDED}) { nodes { id } pageInfo { hasNextPage endCursor } } }`
	r := gql(t, f.m.token, query, nil)
	mustOK(t, r, "")
	if n := len(field(t, r.Data, "orders.nodes").([]any)); n != 0 || field(t, r.Data, "orders.pageInfo.hasNextPage") != true || str(t, r.Data, "orders.pageInfo.endCursor") == "" {
		t.Fatalf("a spent budget must answer with a cursor: %v", r.Data)
	}
	for pages := 1; field(t, r.Data, "orders.pageInfo.hasNextPage") == true; pages++ {
		if pages > 10 {
			t.Fatal("the listing does not progress")
		}
		r = gql(t, f.m.token, query, map[string]any{"a": str(t, r.Data, "orders.pageInfo.endCursor")})
		mustOK(t, r, "")
		if n := len(field(t, r.Data, "orders.nodes").([]any)); n != 0 {
			t.Fatalf("no order is REFUNDED, got %d", n)
		}
	}
}
