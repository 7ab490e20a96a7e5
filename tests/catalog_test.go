package tests

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// variantSpec is one variant for createItem. Price is in yen (JPY tenants).
type variantSpec struct {
	Name, SKU, Barcode string
	Price              int64
	TrackStock         bool
}

func (v variantSpec) input() map[string]any {
	in := map[string]any{"name": v.Name, "sku": v.SKU, "price": map[string]any{"amount": v.Price, "currency": "JPY"}, "trackStock": v.TrackStock}
	if v.Barcode != "" {
		in["barcode"] = v.Barcode
	}
	return in
}

const upsertItemMutation = `mutation($in: UpsertItemInput!) { upsertItem(input: $in) {
  item { id name taxCategory updatedAt variants { id name sku barcode price { amount currency } trackStock item { id } } }
  userErrors { field message code } } }`

// createItem creates an item as the merchant's owner and returns its id and
// its variants' ids in the order given; any error fails the test.
func createItem(tb testing.TB, m merchant, name, taxCategory string, variants ...variantSpec) (itemID string, variantIDs []string) {
	tb.Helper()
	vs := make([]any, len(variants))
	for i, v := range variants {
		vs[i] = v.input()
	}
	r := gql(tb, m.token, upsertItemMutation, map[string]any{"in": map[string]any{"name": name, "taxCategory": taxCategory, "variants": vs}})
	mustOK(tb, r, "upsertItem")
	for _, v := range field(tb, r.Data, "upsertItem.item.variants").([]any) {
		variantIDs = append(variantIDs, v.(map[string]any)["id"].(string))
	}
	return str(tb, r.Data, "upsertItem.item.id"), variantIDs
}

var codeSeq atomic.Int64

// uniqueSKU returns a SKU no other test uses.
func uniqueSKU(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), codeSeq.Add(1))
}

// uniqueJAN returns a valid 13-digit barcode (private-use prefix 20–29) no
// other test uses.
func uniqueJAN() string {
	body := fmt.Sprintf("2%011d", (time.Now().UnixNano()/1000+codeSeq.Add(1))%100_000_000_000)
	return body + checkDigit(body)
}

func checkDigit(body string) string {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return fmt.Sprint((10 - sum%10) % 10)
}

const itemsQuery = `query($q: String, $first: Int, $after: String) { items(query: $q, first: $first, after: $after) {
  nodes { id name taxCategory variants { id sku barcode price { amount currency } trackStock } }
  pageInfo { hasNextPage endCursor } } }`

const barcodeQuery = `query($b: String!) { variantByBarcode(barcode: $b) {
  id name sku barcode trackStock price { amount currency } item { id name taxCategory updatedAt variants { sku } } } }`

// itemNames lists the names of an items(...) response's nodes.
func itemNames(tb testing.TB, r gqlResponse) []string {
	tb.Helper()
	mustOK(tb, r, "")
	var out []string
	for _, n := range field(tb, r.Data, "items.nodes").([]any) {
		out = append(out, n.(map[string]any)["name"].(string))
	}
	return out
}

func upsert(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, upsertItemMutation, map[string]any{"in": in})
}

func variantIn(name, sku, barcode string, price int64) map[string]any {
	return variantSpec{Name: name, SKU: sku, Barcode: barcode, Price: price, TrackStock: true}.input()
}

func TestCatalog_CreateReadUpdate(t *testing.T) {
	m := signUp(t, "catalog")
	sku350, sku500, jan350, jan500 := uniqueSKU("TEA-350"), uniqueSKU("TEA-500"), uniqueJAN(), uniqueJAN()
	itemID, vids := createItem(t, m, "Green Tea", "REDUCED",
		variantSpec{Name: "350ml", SKU: sku350, Barcode: jan350, Price: 150, TrackStock: true},
		variantSpec{Name: "500ml", SKU: sku500, Barcode: jan500, Price: 200})

	t.Run("items lists it with its variants", func(t *testing.T) {
		r := gql(t, m.token, itemsQuery, nil)
		mustOK(t, r, "")
		nodes := field(t, r.Data, "items.nodes").([]any)
		if len(nodes) != 1 {
			t.Fatalf("nodes = %v", nodes)
		}
		n := nodes[0].(map[string]any)
		vs := n["variants"].([]any)
		v0, v1 := vs[0].(map[string]any), vs[1].(map[string]any)
		if n["id"] != itemID || n["taxCategory"] != "REDUCED" || len(vs) != 2 || v0["sku"] != sku350 || v0["barcode"] != jan350 ||
			v0["trackStock"] != true || v1["trackStock"] != false || fmt.Sprint(v1["price"]) != "map[amount:200 currency:JPY]" {
			t.Fatalf("item = %v", n)
		}
		if field(t, r.Data, "items.pageInfo.hasNextPage") != false {
			t.Error("hasNextPage on the only page")
		}
	})
	t.Run("variantByBarcode finds the variant and its item", func(t *testing.T) {
		r := gql(t, m.token, barcodeQuery, map[string]any{"b": jan350})
		mustOK(t, r, "")
		if str(t, r.Data, "variantByBarcode.id") != vids[0] || str(t, r.Data, "variantByBarcode.item.name") != "Green Tea" ||
			len(field(t, r.Data, "variantByBarcode.item.variants").([]any)) != 2 || str(t, r.Data, "variantByBarcode.item.taxCategory") != "REDUCED" {
			t.Fatalf("variantByBarcode = %v", r.Data)
		}
		if r := gql(t, m.token, barcodeQuery, map[string]any{"b": uniqueJAN()}); len(r.Errors) > 0 || field(t, r.Data, "variantByBarcode") != nil {
			t.Fatalf("unknown barcode: %+v", r)
		}
	})
	t.Run("update renames, reprices, removes a variant and adds one", func(t *testing.T) {
		sku1L, jan1L := uniqueSKU("TEA-1L"), uniqueJAN()
		r := upsert(t, m.token, map[string]any{"id": itemID, "name": "Hojicha", "taxCategory": "REDUCED", "variants": []any{
			map[string]any{"id": vids[0], "name": "350ml", "sku": sku350, "barcode": jan350, "price": map[string]any{"amount": 160, "currency": "JPY"}},
			variantIn("1L", sku1L, jan1L, 380),
		}})
		mustOK(t, r, "upsertItem")
		vs := field(t, r.Data, "upsertItem.item.variants").([]any)
		if len(vs) != 2 || vs[0].(map[string]any)["id"] != vids[0] || vs[1].(map[string]any)["id"] == vids[1] ||
			vs[0].(map[string]any)["trackStock"] != true || str(t, r.Data, "upsertItem.item.id") != itemID {
			t.Fatalf("updated = %v", r.Data)
		}
		b := gql(t, m.token, barcodeQuery, map[string]any{"b": jan350})
		if str(t, b.Data, "variantByBarcode.item.name") != "Hojicha" || fmt.Sprint(field(t, b.Data, "variantByBarcode.price.amount")) != "160" {
			t.Fatalf("after update: %v", b.Data)
		}
		if b := gql(t, m.token, barcodeQuery, map[string]any{"b": jan500}); field(t, b.Data, "variantByBarcode") != nil {
			t.Fatalf("the removed variant's barcode still answers: %v", b.Data)
		}
		if got := itemNames(t, gql(t, m.token, itemsQuery, map[string]any{"q": "hoji"})); !slices.Equal(got, []string{"Hojicha"}) {
			t.Fatalf("search after rename: %v", got)
		}
		// The removed variant's SKU and barcode are free again.
		createItem(t, m, "Reuse", "STANDARD", variantSpec{Name: "r", SKU: sku500, Barcode: jan500, Price: 1})
	})
}

func TestCatalog_Taken(t *testing.T) {
	m := signUp(t, "taken")
	sku, jan := uniqueSKU("T"), uniqueJAN()
	createItem(t, m, "First", "STANDARD", variantSpec{Name: "a", SKU: sku, Barcode: jan, Price: 100, TrackStock: true})
	for _, tc := range []struct {
		name     string
		variants []any
		field    string
	}{
		{"SKU", []any{variantIn("a", uniqueSKU("U"), "", 1), variantIn("b", sku, "", 1)}, "input.variants.1.sku"},
		{"barcode", []any{variantIn("a", uniqueSKU("U"), jan, 1)}, "input.variants.0.barcode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := upsert(t, m.token, map[string]any{"name": "Second", "taxCategory": "STANDARD", "variants": tc.variants})
			wantUserError(t, r, "TAKEN", tc.field)
		})
	}
	if got := itemNames(t, gql(t, m.token, itemsQuery, nil)); !slices.Equal(got, []string{"First"}) {
		t.Fatalf("items after refused upserts: %v", got)
	}
}

// wantUserError checks upsertItem's first userError and that no item came back.
func wantUserError(tb testing.TB, r gqlResponse, code, path string) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("top-level errors: %+v", r.Errors)
	}
	list, _ := field(tb, r.Data, "upsertItem.userErrors").([]any)
	if len(list) == 0 {
		tb.Fatalf("no userErrors: %v", r.Data)
	}
	ue := list[0].(map[string]any)
	var got []string
	for _, p := range ue["field"].([]any) {
		got = append(got, p.(string))
	}
	if ue["code"] != code || strings.Join(got, ".") != path {
		tb.Fatalf("userError = %v, want %s on %s", ue, code, path)
	}
	if field(tb, r.Data, "upsertItem.item") != nil {
		tb.Fatal("a failed upsert returned an item")
	}
}

func TestCatalog_BadInput(t *testing.T) {
	m := signUp(t, "badinput")
	other := signUp(t, "badinput-other")
	itemID, vids := createItem(t, m, "Existing", "STANDARD", variantSpec{Name: "a", SKU: uniqueSKU("E"), Price: 1, TrackStock: true})
	_, foreign := createItem(t, m, "Foreign", "STANDARD", variantSpec{Name: "f", SKU: uniqueSKU("F"), Price: 1, TrackStock: true})
	otherItem, _ := createItem(t, other, "Other tenant's", "STANDARD", variantSpec{Name: "o", SKU: uniqueSKU("O"), Price: 1, TrackStock: true})
	ok := func(mod func(in map[string]any, v map[string]any)) map[string]any {
		v := variantIn("v", uniqueSKU("OK"), uniqueJAN(), 100)
		in := map[string]any{"name": "Fine", "taxCategory": "STANDARD", "variants": []any{v}}
		mod(in, v)
		return in
	}
	many := make([]any, 21)
	for i := range many {
		many[i] = variantIn("v", uniqueSKU("M"), "", 1)
	}
	dupSKU := uniqueSKU("D")
	cases := []struct {
		name, code, field string
		in                map[string]any
	}{
		{"empty name", "INVALID", "input.name", ok(func(in, _ map[string]any) { in["name"] = " " })},
		{"empty variant name", "INVALID", "input.variants.0.name", ok(func(_, v map[string]any) { v["name"] = "" })},
		{"empty SKU", "INVALID", "input.variants.0.sku", ok(func(_, v map[string]any) { v["sku"] = "" })},
		{"barcode check digit", "INVALID", "input.variants.0.barcode", ok(func(_, v map[string]any) { v["barcode"] = "4901234567890" })},
		{"barcode length", "INVALID", "input.variants.0.barcode", ok(func(_, v map[string]any) { v["barcode"] = "12345" })},
		{"negative price", "INVALID", "input.variants.0.price.amount", ok(func(_, v map[string]any) { v["price"] = map[string]any{"amount": -1, "currency": "JPY"} })},
		{"wrong currency", "INVALID", "input.variants.0.price.currency", ok(func(_, v map[string]any) { v["price"] = map[string]any{"amount": 100, "currency": "USD"} })},
		{"duplicate SKU in the request", "INVALID", "input.variants.1.sku", ok(func(in, v map[string]any) {
			in["variants"] = []any{variantIn("a", dupSKU, "", 1), variantIn("b", dupSKU, "", 1)}
		})},
		{"21 variants", "INVALID", "input.variants", ok(func(in, _ map[string]any) { in["variants"] = many })},
		{"unknown item id", "NOT_FOUND", "input.id", ok(func(in, _ map[string]any) { in["id"] = "itm_01jdzzzzzzzzzzzzzzzzzzzzzz" })},
		{"another tenant's item id", "NOT_FOUND", "input.id", ok(func(in, _ map[string]any) { in["id"] = otherItem })},
		{"variant id of another item", "NOT_FOUND", "input.variants.0.id", ok(func(in, v map[string]any) { in["id"] = itemID; v["id"] = foreign[0] })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantUserError(t, upsert(t, m.token, tc.in), tc.code, tc.field)
		})
	}
	t.Run("unknown tax category is refused by the schema", func(t *testing.T) {
		r := upsert(t, m.token, ok(func(in, _ map[string]any) { in["taxCategory"] = "LUXURY" }))
		if r.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("nothing was written", func(t *testing.T) {
		if got := itemNames(t, gql(t, m.token, itemsQuery, nil)); !slices.Equal(got, []string{"Existing", "Foreign"}) {
			t.Fatalf("items = %v", got)
		}
		r := gql(t, m.token, itemsQuery, map[string]any{"q": "Existing"})
		vs := field(t, r.Data, "items.nodes").([]any)[0].(map[string]any)["variants"].([]any)
		if len(vs) != 1 || vs[0].(map[string]any)["id"] != vids[0] {
			t.Fatalf("Existing changed: %v", vs)
		}
	})
}

func TestCatalog_Access(t *testing.T) {
	m := signUp(t, "access-catalog")
	jan := uniqueJAN()
	createItem(t, m, "Onigiri", "REDUCED", variantSpec{Name: "Salmon", SKU: uniqueSKU("ONI"), Barcode: jan, Price: 180, TrackStock: true})
	cashier, _ := createStaff(t, m, "CASHIER", nil)
	manager, _ := createStaff(t, m, "MANAGER", nil)
	readKey, _ := createAPIKey(t, m, "CATALOG_READ")
	writeKey, _ := createAPIKey(t, m, "CATALOG_WRITE")
	ordersKey, _ := createAPIKey(t, m, "ORDERS_READ")
	newItem := func() map[string]any {
		return map[string]any{"name": "New", "taxCategory": "STANDARD", "variants": []any{variantIn("v", uniqueSKU("N"), "", 1)}}
	}
	for _, tc := range []struct {
		name     string
		token    string
		canRead  bool
		canWrite bool
	}{
		{"cashier", cashier, true, false},
		{"manager", manager, true, true},
		{"CATALOG_READ key", readKey, true, false},
		{"CATALOG_WRITE key", writeKey, true, true},
		{"ORDERS_READ key", ordersKey, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, tc.token, itemsQuery, nil)
			b := gql(t, tc.token, barcodeQuery, map[string]any{"b": jan})
			if tc.canRead {
				if names := itemNames(t, r); len(names) == 0 || str(t, b.Data, "variantByBarcode.item.name") != "Onigiri" {
					t.Fatalf("read refused: %v %+v", names, b)
				}
			} else if r.code() != "FORBIDDEN" || b.code() != "FORBIDDEN" {
				t.Fatalf("read allowed: %+v %+v", r, b)
			}
			w := upsert(t, tc.token, newItem())
			if tc.canWrite {
				mustOK(t, w, "upsertItem")
			} else {
				if codes := userErrorCodes(t, w.Data, "upsertItem"); !slices.Equal(codes, []string{"FORBIDDEN"}) || len(w.Errors) > 0 {
					t.Fatalf("write allowed or wrong error: %v %+v", codes, w.Errors)
				}
			}
		})
	}
	t.Run("no credential", func(t *testing.T) {
		if r := gql(t, "", itemsQuery, nil); r.code() != "UNAUTHENTICATED" {
			t.Fatalf("%+v", r)
		}
	})
}

func TestCatalog_TenantIsolation(t *testing.T) {
	a := signUp(t, "cat-alpha")
	b := signUp(t, "cat-beta")
	sku, jan := uniqueSKU("ISO"), uniqueJAN()
	aItem, aVars := createItem(t, a, "Alpha Secret Blend", "STANDARD", variantSpec{Name: "250g", SKU: sku, Barcode: jan, Price: 2400, TrackStock: true})
	bKey, _ := createAPIKey(t, b, "CATALOG_WRITE")

	for _, token := range []string{b.token, bKey} {
		for _, q := range []any{nil, "alpha", sku, jan[:6]} {
			if names := itemNames(t, gql(t, token, itemsQuery, map[string]any{"q": q})); len(names) != 0 {
				t.Fatalf("B lists A's items with query %v: %v", q, names)
			}
		}
		if r := gql(t, token, barcodeQuery, map[string]any{"b": jan}); len(r.Errors) > 0 || field(t, r.Data, "variantByBarcode") != nil {
			t.Fatalf("B finds A's barcode: %+v", r)
		}
		r := upsert(t, token, map[string]any{"id": aItem, "name": "Stolen", "taxCategory": "STANDARD", "variants": []any{
			map[string]any{"id": aVars[0], "name": "x", "sku": uniqueSKU("X"), "price": map[string]any{"amount": 1, "currency": "JPY"}}}})
		wantUserError(t, r, "NOT_FOUND", "input.id")
	}
	// A's item is untouched, and B may use the same SKU and barcode.
	if names := itemNames(t, gql(t, a.token, itemsQuery, nil)); !slices.Equal(names, []string{"Alpha Secret Blend"}) {
		t.Fatalf("A's items = %v", names)
	}
	createItem(t, b, "Beta Blend", "STANDARD", variantSpec{Name: "250g", SKU: sku, Barcode: jan, Price: 2000, TrackStock: true})
	if r := gql(t, a.token, barcodeQuery, map[string]any{"b": jan}); str(t, r.Data, "variantByBarcode.id") != aVars[0] {
		t.Fatalf("A's barcode answers %v", r.Data)
	}
}

func TestCatalog_Pages(t *testing.T) {
	m := signUp(t, "pages")
	for _, n := range []string{"delta", "Alpha", "charlie", "Bravo", "echo"} {
		createItem(t, m, n, "STANDARD", variantSpec{Name: "v", SKU: uniqueSKU(n), Price: 1, TrackStock: true})
	}
	var got [][]string
	var after any
	for range 5 {
		r := gql(t, m.token, itemsQuery, map[string]any{"first": 2, "after": after})
		got = append(got, itemNames(t, r))
		if field(t, r.Data, "items.pageInfo.hasNextPage") != true {
			break
		}
		after = str(t, r.Data, "items.pageInfo.endCursor")
	}
	if fmt.Sprint(got) != "[[Alpha Bravo] [charlie delta] [echo]]" {
		t.Fatalf("pages = %v", got)
	}
	r := gql(t, m.token, itemsQuery, map[string]any{"first": 2, "after": "not a cursor"})
	if r.code() != "INVALID" {
		t.Fatalf("malformed cursor: %+v", r)
	}
}
