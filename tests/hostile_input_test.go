package tests

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Hostile input: money that would overflow, sales with nothing to pay, time
// zones that do not exist, control characters in text, and cursors that are
// not the listing's. Each is refused with a clear code and writes nothing,
// or (a sale of total 0) simply works.

// maxAmount is the largest amount any money input takes (tax.MaxAmount).
const maxAmount = int64(10_000_000_000_000)

// userErrorAt fails unless the payload's userErrors hold code at path, and
// no top-level error came back.
func userErrorAt(tb testing.TB, r gqlResponse, payload, code, path string) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("top-level errors %+v", r.Errors)
	}
	ues, _ := field(tb, r.Data, payload+".userErrors").([]any)
	for _, u := range ues {
		m := u.(map[string]any)
		var got []string
		for _, p := range m["field"].([]any) {
			got = append(got, p.(string))
		}
		if m["code"] == code && strings.Join(got, ".") == path {
			return
		}
	}
	tb.Fatalf("%s userErrors %v, want %s at %s", payload, ues, code, path)
}

// noOrders fails if the merchant has any order.
func noOrders(tb testing.TB, m merchant) {
	tb.Helper()
	r := gql(tb, m.token, `{ orders { nodes { id total { amount } } } }`, nil)
	mustOK(tb, r, "")
	if n := field(tb, r.Data, "orders.nodes").([]any); len(n) != 0 {
		tb.Fatalf("orders were written: %v", n)
	}
}

// literal writes a GraphQL input value: maps as objects (keys in sorted
// order), slices as lists, strings quoted, a "method" as an enum value.
func literal(v any) string {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			if k == "method" {
				parts[i] = k + ": " + v[k].(string)
				continue
			}
			parts[i] = k + ": " + literal(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []map[string]any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}

func external(amount int64, reference string) map[string]any {
	return map[string]any{"method": "EXTERNAL", "amount": map[string]any{"amount": amount, "currency": "JPY"}, "reference": reference}
}

func TestHostileInput_Money(t *testing.T) {
	s := newStore(t, "hostile-money", nil)
	const e62 = int64(1) << 62
	mug := func(key string, discount, orderDiscount map[string]any, payments ...map[string]any) map[string]any {
		l := map[string]any{"variantId": s.mug, "quantity": 1}
		if discount != nil {
			l["discount"] = discount
		}
		in := map[string]any{"idempotencyKey": key, "locationId": s.loc, "lines": []any{l}, "payments": payments}
		if orderDiscount != nil {
			in["orderDiscount"] = orderDiscount
		}
		return in
	}
	yen := func(n int64) map[string]any {
		return map[string]any{"amount": map[string]any{"amount": n, "currency": "JPY"}}
	}
	cases := []struct {
		name, path string
		in         map[string]any
	}{
		// In int64 these four add up to exactly ¥1,105 (the mug) after wrapping.
		{"payments that wrap around to the total", "input.payments.0.amount",
			mug("m1", nil, nil, external(e62, "a"), external(e62, "b"), external(e62, "c"), external(e62+1105, "d"))},
		{"a payment over the largest amount", "input.payments.0.amount", mug("m2", nil, nil, external(maxAmount+1, "x"))},
		{"a negative payment", "input.payments.1.amount", mug("m3", nil, nil, external(1106, "x"), external(-1, "y"))},
		{"cash tendered of 2^62", "input.payments.0.tendered", mug("m4", nil, nil, cashPayment(1105, e62))},
		{"a line discount of 2^62", "input.lines.0.discount.amount", mug("m5", yen(e62), nil, cashPayment(1105, 1105))},
		{"an order discount of 2^62", "input.orderDiscount.amount", mug("m6", nil, yen(e62), cashPayment(1105, 1105))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// As variables, amounts past 2^53 cannot even be read exactly
			// from JSON: refused before any resolver runs.
			if r := checkout(t, s.m.token, tc.in); len(r.Errors) == 0 {
				userErrorAt(t, r, "checkout", "INVALID", tc.path)
			}
			// As literals in the document they are exact int64s and reach
			// the checkout, which refuses them field by field.
			r := gql(t, s.m.token, "mutation { checkout(input: "+literal(tc.in)+") { order { id } userErrors { field message code } } }", nil)
			userErrorAt(t, r, "checkout", "INVALID", tc.path)
		})
	}
	t.Run("a price over the largest amount", func(t *testing.T) {
		r := upsert(t, s.m.token, map[string]any{"name": "Gold", "taxCategory": "STANDARD", "variants": []any{variantIn("Bar", uniqueSKU("GOLD"), "", maxAmount+1)}})
		userErrorAt(t, r, "upsertItem", "INVALID", "input.variants.0.price.amount")
	})
	noOrders(t, s.m)
	if onHand(t, s.m, s.loc, s.mug) != 100 {
		t.Fatal("a refused sale took stock")
	}
}

func TestHostileInput_ZeroTotal(t *testing.T) {
	s := newStore(t, "hostile-free", nil)
	_, free := createItem(t, s.m, "Sample", "STANDARD", variantSpec{Name: "Sample", SKU: uniqueSKU("FREE"), Price: 0, TrackStock: true})
	setStock(t, s.m, s.loc, free[0], 10)
	hundredOff := map[string]any{"percent": 100}
	cases := []struct {
		name string
		in   map[string]any
	}{
		{"a free item", map[string]any{"idempotencyKey": "z1", "locationId": s.loc, "lines": []any{map[string]any{"variantId": free[0], "quantity": 2}}, "payments": []any{}}},
		{"a 100% discount", map[string]any{"idempotencyKey": "z2", "locationId": s.loc, "lines": []any{map[string]any{"variantId": s.mug, "quantity": 1}}, "orderDiscount": hundredOff, "payments": []any{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" completes with no payment", func(t *testing.T) {
			r := checkout(t, s.m.token, tc.in)
			mustOK(t, r, "checkout")
			if num(t, r.Data, "checkout.order.total.amount") != 0 || str(t, r.Data, "checkout.order.status") != "COMPLETED" {
				t.Fatalf("order %v", field(t, r.Data, "checkout.order"))
			}
			if p := field(t, r.Data, "checkout.order.payments").([]any); len(p) != 0 {
				t.Fatalf("payments %v", p)
			}
			if !strings.Contains(str(t, r.Data, "checkout.order.receipt.text"), "¥0") {
				t.Fatalf("receipt:\n%s", str(t, r.Data, "checkout.order.receipt.text"))
			}
		})
	}
	if onHand(t, s.m, s.loc, free[0]) != 8 || onHand(t, s.m, s.loc, s.mug) != 99 {
		t.Fatal("free sales must still take their stock")
	}
	t.Run("a payment for nothing to pay is INVALID", func(t *testing.T) {
		in := map[string]any{"idempotencyKey": "z3", "locationId": s.loc, "lines": []any{map[string]any{"variantId": free[0], "quantity": 1}}, "payments": []any{cashPayment(1, 1)}}
		userErrorAt(t, checkout(t, s.m.token, in), "checkout", "INVALID", "input.payments")
	})
	t.Run("no payment for something to pay is INVALID", func(t *testing.T) {
		in := map[string]any{"idempotencyKey": "z4", "locationId": s.loc, "lines": []any{map[string]any{"variantId": s.mug, "quantity": 1}}, "payments": []any{}}
		userErrorAt(t, checkout(t, s.m.token, in), "checkout", "INVALID", "input.payments")
	})
}

func TestHostileInput_TimeZones(t *testing.T) {
	m := signUp(t, "hostile-tz")
	for _, tz := range []string{"Asia/Tokyoo", "Local", "../../../etc/passwd", "asia/tokyo\x00"} {
		r := gql(t, m.token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } userErrors { field code message } } }`,
			map[string]any{"in": map[string]any{"name": "Shibuya", "timezone": tz}})
		userErrorAt(t, r, "createLocation", "INVALID", "input.timezone")
	}
	r := gql(t, "", signUpMutation, map[string]any{"in": map[string]any{"businessName": "Zone", "email": uniqueEmail("tz"), "password": testPassword, "ownerName": "O", "timezone": "Asia/Tokyoo"}})
	userErrorAt(t, r, "signUp", "INVALID", "input.timezone")
	r = gql(t, m.token, `{ locations { id } }`, nil)
	mustOK(t, r, "")
	if n := field(t, r.Data, "locations").([]any); len(n) != 0 {
		t.Fatalf("locations were written: %v", n)
	}
	r = gql(t, m.token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { timezone } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"name": "Honolulu", "timezone": "Pacific/Honolulu"}})
	mustOK(t, r, "createLocation")
	if str(t, r.Data, "createLocation.location.timezone") != "Pacific/Honolulu" {
		t.Fatalf("location %v", r.Data)
	}
}

func TestHostileInput_ControlCharacters(t *testing.T) {
	s := newStore(t, "hostile-text", nil)
	for name, bad := range map[string]string{"NUL": "Tea\x00", "escape": "\x1b[2JTea", "C1": "Te\u0085a", "bidi override": "Tea\u202etxt.exe"} {
		t.Run(name, func(t *testing.T) {
			r := upsert(t, s.m.token, map[string]any{"name": bad, "taxCategory": "STANDARD", "variants": []any{variantIn("Cup", uniqueSKU("T"), "", 100)}})
			userErrorAt(t, r, "upsertItem", "INVALID", "input.name")
			r = upsert(t, s.m.token, map[string]any{"name": "Tea", "taxCategory": "STANDARD", "variants": []any{variantIn(bad, uniqueSKU("T"), "", 100)}})
			userErrorAt(t, r, "upsertItem", "INVALID", "input.variants.0.name")
			r = gql(t, s.m.token, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { field code message } } }`,
				map[string]any{"in": map[string]any{"name": bad}})
			userErrorAt(t, r, "createCustomer", "INVALID", "input.name")
			r = gql(t, s.m.token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } userErrors { field code message } } }`,
				map[string]any{"in": map[string]any{"name": bad}})
			userErrorAt(t, r, "createLocation", "INVALID", "input.name")
			r = gql(t, s.m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { field code message } } }`,
				map[string]any{"in": map[string]any{"email": uniqueEmail("ctl"), "name": bad, "role": "CASHIER", "password": testPassword}})
			userErrorAt(t, r, "createStaff", "INVALID", "input.name")
			in := map[string]any{"idempotencyKey": "ref-" + name, "locationId": s.loc, "lines": []any{map[string]any{"variantId": s.mug, "quantity": 1}},
				"payments": []any{external(1105, "PayPay "+bad)}}
			userErrorAt(t, checkout(t, s.m.token, in), "checkout", "INVALID", "input.payments.0.reference")
		})
	}
	noOrders(t, s.m)
	r := gql(t, s.m.token, `{ items(query: "tea") { nodes { name } } customers { nodes { name } } locations { name } }`, nil)
	mustOK(t, r, "")
	if n := field(t, r.Data, "items.nodes").([]any); len(n) != 0 {
		t.Fatalf("items written: %v", n)
	}
	if n := field(t, r.Data, "customers.nodes").([]any); len(n) != 0 {
		t.Fatalf("customers written: %v", n)
	}
	if n := field(t, r.Data, "locations").([]any); len(n) != 1 {
		t.Fatalf("locations written: %v", n)
	}
}

// Every listing's cursor continues that listing with that filter only;
// anything else is INVALID, never INTERNAL.
func TestHostileInput_Cursors(t *testing.T) {
	s := newStore(t, "hostile-cursor", nil)
	createItem(t, s.m, "Apple", "REDUCED", variantSpec{Name: "Apple", SKU: uniqueSKU("APL"), Price: 100})
	createItem(t, s.m, "Apricot", "REDUCED", variantSpec{Name: "Apricot", SKU: uniqueSKU("APR"), Price: 100})
	for _, name := range []string{"Aoki", "Abe", "Baba"} {
		r := gql(t, s.m.token, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { userErrors { code } } }`, map[string]any{"in": map[string]any{"name": name}})
		mustOK(t, r, "createCustomer")
	}
	for i := range 2 {
		mustOK(t, checkout(t, s.m.token, s.basket("cur"+string(rune('a'+i)), cashPayment(2185, 2185))), "checkout")
	}
	cursor := func(query, path string) string {
		t.Helper()
		r := gql(t, s.m.token, query, nil)
		mustOK(t, r, "")
		c := str(t, r.Data, path)
		if c == "" {
			t.Fatalf("%s: no cursor in %v", query, r.Data)
		}
		return c
	}
	items := cursor(`{ items(first: 1) { pageInfo { endCursor } } }`, "items.pageInfo.endCursor")
	itemSearch := cursor(`{ items(first: 1, query: "ap") { pageInfo { endCursor } } }`, "items.pageInfo.endCursor")
	customers := cursor(`{ customers(first: 1) { pageInfo { endCursor } } }`, "customers.pageInfo.endCursor")
	customerSearch := cursor(`{ customers(first: 1, query: "a") { pageInfo { endCursor } } }`, "customers.pageInfo.endCursor")
	orders := cursor(`{ orders(first: 1) { pageInfo { endCursor } } }`, "orders.pageInfo.endCursor")
	raw, _ := base64.RawURLEncoding.DecodeString(items)
	_, itemKey, _ := strings.Cut(string(raw), "|")
	forgedItem := base64.RawURLEncoding.EncodeToString([]byte(itemKey))
	forgedCustomer := base64.RawURLEncoding.EncodeToString([]byte("aoki#cus_00000000000000000000000000"))

	listings := map[string]string{
		"items":     `query($a: String) { items(first: 1, after: $a) { nodes { id } } }`,
		"customers": `query($a: String) { customers(first: 1, after: $a) { nodes { id } } }`,
		"orders":    `query($a: String) { orders(first: 1, after: $a) { nodes { id } } }`,
	}
	bad := map[string]map[string]string{
		"items": {"garbled": "%%%", "not base64url": "a+b/c=", "empty after decoding": "AA", "forged (no query tag)": forgedItem,
			"another search's": itemSearch, "a customers cursor": customers, "an orders cursor": orders, "too long": strings.Repeat("QUFB", 1000)},
		"customers": {"garbled": "!!", "forged (no query tag)": forgedCustomer, "another search's": customerSearch,
			"an items cursor": items, "an orders cursor": orders},
		"orders": {"garbled": "~~~", "forged (no query tag)": forgedItem, "an items cursor": items, "a customers cursor": customers},
	}
	for listing, cases := range bad {
		for name, after := range cases {
			t.Run(listing+"/"+name, func(t *testing.T) {
				r := gql(t, s.m.token, listings[listing], map[string]any{"a": after})
				if r.code() != "INVALID" {
					t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
				}
				if ext := r.Errors[0].Extensions; ext["requestId"] != nil {
					t.Fatalf("INVALID carries an internal request id: %v", ext)
				}
			})
		}
	}
	t.Run("a listing's own cursor continues it", func(t *testing.T) {
		for listing, after := range map[string]string{"items": items, "customers": customers, "orders": orders} {
			mustOK(t, gql(t, s.m.token, listings[listing], map[string]any{"a": after}), "")
		}
	})
}
