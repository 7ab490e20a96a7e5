package tests

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const adjustMutation = `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) {
  stockLevels { variant { id sku trackStock } location { id name } onHand updatedAt }
  userErrors { field message code } } }`

const transferMutation = `mutation($in: TransferInventoryInput!) { transferInventory(input: $in) {
  stockLevels { variant { id sku } location { id } onHand updatedAt }
  userErrors { field message code } } }`

const inventoryQuery = `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) {
  variant { id sku } location { id name } onHand updatedAt } }`

var stockKeySeq atomic.Int64

// stockKey is a fresh idempotency key.
func stockKey(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), stockKeySeq.Add(1))
}

// setStock counts a variant at a location to onHand (adjustInventory setTo,
// reason COUNT); it fails the test on any error.
func setStock(tb testing.TB, m merchant, locationID, variantID string, onHand int64) {
	tb.Helper()
	r := gql(tb, m.token, adjustMutation, map[string]any{"in": map[string]any{"idempotencyKey": stockKey("set"), "locationId": locationID,
		"changes": []any{map[string]any{"variantId": variantID, "setTo": onHand, "reason": "COUNT"}}}})
	mustOK(tb, r, "adjustInventory")
}

// onHand reads a variant's on-hand at a location; it fails the test on any error.
func onHand(tb testing.TB, m merchant, locationID, variantID string) int64 {
	tb.Helper()
	r := gql(tb, m.token, inventoryQuery, map[string]any{"loc": locationID, "ids": []string{variantID}})
	mustOK(tb, r, "")
	levels, _ := field(tb, r.Data, "inventory").([]any)
	if len(levels) != 1 {
		tb.Fatalf("inventory of %s at %s: %v", variantID, locationID, r.Data)
	}
	return int64(levels[0].(map[string]any)["onHand"].(float64))
}

// levelsOf renders stock levels as "<location>/<sku>=<onHand>".
func levelsOf(tb testing.TB, v any) []string {
	tb.Helper()
	list, ok := v.([]any)
	if !ok {
		tb.Fatalf("not a list of stock levels: %v", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		l := x.(map[string]any)
		out[i] = fmt.Sprintf("%s/%s=%v", l["location"].(map[string]any)["id"], l["variant"].(map[string]any)["sku"], l["onHand"])
	}
	return out
}

// stockShop is a merchant with two locations, two tracked variants and an
// untracked one.
type stockShop struct {
	m                    merchant
	loc1, loc2           string
	tea, cup, gift       string // variant ids
	teaSKU, cupSKU, gSKU string
}

func newStockShop(tb testing.TB, name string) stockShop {
	tb.Helper()
	m := signUp(tb, name)
	s := stockShop{m: m, loc1: createLocation(tb, m, name+" Shibuya"), loc2: createLocation(tb, m, name+" Umeda"),
		teaSKU: "TEA-" + name, cupSKU: "CUP-" + name, gSKU: "GIFT-" + name}
	_, vs := createItem(tb, m, "Sencha", "REDUCED",
		variantSpec{Name: "100g", SKU: s.teaSKU, Price: 1200, TrackStock: true},
		variantSpec{Name: "Cup", SKU: s.cupSKU, Price: 800, TrackStock: true})
	s.tea, s.cup = vs[0], vs[1]
	_, g := createItem(tb, m, "Gift card", "EXEMPT", variantSpec{Name: "3000", SKU: s.gSKU, Price: 3000, TrackStock: false})
	s.gift = g[0]
	return s
}

func change(variantID string, kind string, n int64, reason string) map[string]any {
	return map[string]any{"variantId": variantID, kind: n, "reason": reason}
}

func TestInventory_AdjustThenRead(t *testing.T) {
	s := newStockShop(t, "stock")
	in := map[string]any{"idempotencyKey": stockKey("adj"), "locationId": s.loc1, "changes": []any{
		change(s.tea, "delta", 12, "RECEIVED"), change(s.cup, "setTo", 3, "COUNT")}}
	r := gql(t, s.m.token, adjustMutation, map[string]any{"in": in})
	mustOK(t, r, "adjustInventory")
	want := []string{s.loc1 + "/" + s.teaSKU + "=12", s.loc1 + "/" + s.cupSKU + "=3"}
	if got := levelsOf(t, field(t, r.Data, "adjustInventory.stockLevels")); !slices.Equal(got, want) {
		t.Fatalf("adjust result %v, want %v", got, want)
	}
	first := r.Data

	t.Run("inventory of given variants, unwritten as zero, unknown ids left out", func(t *testing.T) {
		r := gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc1, "ids": []string{s.cup, "var_00000000000000000000000000", s.tea, s.cup}})
		mustOK(t, r, "")
		if got := levelsOf(t, field(t, r.Data, "inventory")); !slices.Equal(got, []string{s.loc1 + "/" + s.cupSKU + "=3", s.loc1 + "/" + s.teaSKU + "=12"}) {
			t.Fatalf("inventory %v", got)
		}
		r = gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc2, "ids": []string{s.tea}})
		mustOK(t, r, "")
		if got := levelsOf(t, field(t, r.Data, "inventory")); !slices.Equal(got, []string{s.loc2 + "/" + s.teaSKU + "=0"}) {
			t.Fatalf("unwritten level %v", got)
		}
	})
	t.Run("inventory of the whole location", func(t *testing.T) {
		r := gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc1})
		mustOK(t, r, "")
		got := levelsOf(t, field(t, r.Data, "inventory"))
		slices.Sort(got)
		want := slices.Clone(want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("inventory %v, want %v", got, want)
		}
		if l := field(t, r.Data, "inventory").([]any)[0].(map[string]any); l["location"].(map[string]any)["name"] != "stock Shibuya" || l["updatedAt"] == "" {
			t.Fatalf("level %v", l)
		}
	})
	t.Run("a replay returns the original levels and changes nothing", func(t *testing.T) {
		setStock(t, s.m, s.loc1, s.tea, 1)
		r := gql(t, s.m.token, adjustMutation, map[string]any{"in": in})
		mustOK(t, r, "adjustInventory")
		if got, orig := field(t, r.Data, "adjustInventory.stockLevels"), field(t, first, "adjustInventory.stockLevels"); fmt.Sprint(got) != fmt.Sprint(orig) {
			t.Fatalf("replay %v, original %v", got, orig)
		}
		if got := onHand(t, s.m, s.loc1, s.tea); got != 1 {
			t.Fatalf("on hand after replay = %d, want 1", got)
		}
	})
	t.Run("the same key with another input", func(t *testing.T) {
		other := map[string]any{"idempotencyKey": in["idempotencyKey"], "locationId": s.loc1, "changes": []any{change(s.tea, "delta", 13, "RECEIVED")}}
		r := gql(t, s.m.token, adjustMutation, map[string]any{"in": other})
		if codes := userErrorCodes(t, r.Data, "adjustInventory"); !slices.Equal(codes, []string{"IDEMPOTENCY_KEY_REUSED"}) {
			t.Fatalf("codes %v", codes)
		}
		if got := onHand(t, s.m, s.loc1, s.tea); got != 1 {
			t.Fatalf("on hand = %d", got)
		}
	})
	t.Run("negative stock when the tenant allows it", func(t *testing.T) {
		r := gql(t, s.m.token, `mutation($in: TenantSettingsInput!) { updateTenantSettings(input: $in) { userErrors { code } } }`, map[string]any{"in": map[string]any{"allowNegativeStock": true}})
		mustOK(t, r, "updateTenantSettings")
		r = gql(t, s.m.token, adjustMutation, map[string]any{"in": map[string]any{"idempotencyKey": stockKey("neg"), "locationId": s.loc1, "changes": []any{change(s.tea, "delta", -3, "LOST")}}})
		mustOK(t, r, "adjustInventory")
		if got := onHand(t, s.m, s.loc1, s.tea); got != -2 {
			t.Fatalf("on hand = %d, want -2", got)
		}
	})
}

func TestInventory_Transfer(t *testing.T) {
	s := newStockShop(t, "move")
	setStock(t, s.m, s.loc1, s.tea, 10)
	setStock(t, s.m, s.loc1, s.cup, 2)
	in := map[string]any{"idempotencyKey": stockKey("tr"), "fromLocationId": s.loc1, "toLocationId": s.loc2,
		"lines": []any{map[string]any{"variantId": s.tea, "quantity": 4}, map[string]any{"variantId": s.cup, "quantity": 2}}}
	r := gql(t, s.m.token, transferMutation, map[string]any{"in": in})
	mustOK(t, r, "transferInventory")
	want := []string{s.loc1 + "/" + s.teaSKU + "=6", s.loc1 + "/" + s.cupSKU + "=0", s.loc2 + "/" + s.teaSKU + "=4", s.loc2 + "/" + s.cupSKU + "=2"}
	if got := levelsOf(t, field(t, r.Data, "transferInventory.stockLevels")); !slices.Equal(got, want) {
		t.Fatalf("transfer result %v, want %v", got, want)
	}
	check := func(t *testing.T, tea1, tea2 int64) {
		t.Helper()
		if a, b := onHand(t, s.m, s.loc1, s.tea), onHand(t, s.m, s.loc2, s.tea); a != tea1 || b != tea2 {
			t.Fatalf("tea at the locations: %d and %d, want %d and %d", a, b, tea1, tea2)
		}
	}
	check(t, 6, 4)
	t.Run("replay moves nothing", func(t *testing.T) {
		r := gql(t, s.m.token, transferMutation, map[string]any{"in": in})
		mustOK(t, r, "transferInventory")
		if got := levelsOf(t, field(t, r.Data, "transferInventory.stockLevels")); !slices.Equal(got, want) {
			t.Fatalf("replay %v", got)
		}
		check(t, 6, 4)
	})
	t.Run("moving more than the source has moves nothing", func(t *testing.T) {
		r := gql(t, s.m.token, transferMutation, map[string]any{"in": map[string]any{"idempotencyKey": stockKey("tr"), "fromLocationId": s.loc1, "toLocationId": s.loc2,
			"lines": []any{map[string]any{"variantId": s.tea, "quantity": 1}, map[string]any{"variantId": s.cup, "quantity": 1}}}})
		if codes := userErrorCodes(t, r.Data, "transferInventory"); !slices.Equal(codes, []string{"OUT_OF_STOCK"}) {
			t.Fatalf("codes %v", codes)
		}
		if msg := str(t, field(t, r.Data, "transferInventory.userErrors").([]any)[0].(map[string]any), "message"); !strings.Contains(msg, s.cupSKU) || strings.Contains(msg, s.teaSKU) {
			t.Fatalf("message %q should name %s only", msg, s.cupSKU)
		}
		check(t, 6, 4)
	})
}

// badInput is one refused write and the userError it must produce.
type badInput struct {
	name  string
	in    map[string]any
	code  string
	field []string
}

func TestInventory_BadInputWritesNothing(t *testing.T) {
	s := newStockShop(t, "bad")
	setStock(t, s.m, s.loc1, s.tea, 5)
	before := gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc1, "ids": []string{s.tea, s.cup}})
	mustOK(t, before, "")
	adj := func(key, loc string, changes ...any) map[string]any {
		return map[string]any{"idempotencyKey": key, "locationId": loc, "changes": append([]any{}, changes...)}
	}
	many := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = change(fmt.Sprintf("var_%026d", i), "delta", 1, "RECEIVED")
		}
		return out
	}
	k := stockKey
	adjusts := []badInput{
		{"empty key", adj("", s.loc1, change(s.tea, "delta", 1, "RECEIVED")), "INVALID", []string{"input", "idempotencyKey"}},
		{"key too long", adj(strings.Repeat("k", 129), s.loc1, change(s.tea, "delta", 1, "RECEIVED")), "INVALID", []string{"input", "idempotencyKey"}},
		{"unknown location", adj(k("b"), "loc_00000000000000000000000000", change(s.tea, "delta", 1, "RECEIVED")), "NOT_FOUND", []string{"input", "locationId"}},
		{"no changes", adj(k("b"), s.loc1), "INVALID", []string{"input", "changes"}},
		{"50 changes", adj(k("b"), s.loc1, many(50)...), "INVALID", []string{"input", "changes"}},
		{"two changes of one variant", adj(k("b"), s.loc1, change(s.tea, "delta", 1, "RECEIVED"), change(s.tea, "delta", 1, "RECEIVED")), "INVALID", []string{"input", "changes", "1", "variantId"}},
		{"delta and setTo", adj(k("b"), s.loc1, map[string]any{"variantId": s.tea, "delta": 1, "setTo": 1, "reason": "COUNT"}), "INVALID", []string{"input", "changes", "0"}},
		{"neither delta nor setTo", adj(k("b"), s.loc1, map[string]any{"variantId": s.tea, "reason": "COUNT"}), "INVALID", []string{"input", "changes", "0"}},
		{"negative setTo", adj(k("b"), s.loc1, change(s.tea, "setTo", -1, "COUNT")), "INVALID", []string{"input", "changes", "0", "setTo"}},
		{"zero delta", adj(k("b"), s.loc1, change(s.tea, "delta", 0, "COUNT")), "INVALID", []string{"input", "changes", "0", "delta"}},
		{"unknown variant", adj(k("b"), s.loc1, change(s.tea, "delta", 1, "RECEIVED"), change("var_00000000000000000000000000", "delta", 1, "RECEIVED")), "NOT_FOUND", []string{"input", "changes", "1", "variantId"}},
		{"untracked variant", adj(k("b"), s.loc1, change(s.gift, "delta", 1, "RECEIVED")), "INVALID", []string{"input", "changes", "0", "variantId"}},
		{"below zero", adj(k("b"), s.loc1, change(s.cup, "delta", 1, "RECEIVED"), change(s.tea, "delta", -6, "LOST")), "OUT_OF_STOCK", []string{"input", "changes", "1", "delta"}},
	}
	tr := func(key, from, to string, lines ...any) map[string]any {
		return map[string]any{"idempotencyKey": key, "fromLocationId": from, "toLocationId": to, "lines": append([]any{}, lines...)}
	}
	line := func(v string, q int64) map[string]any { return map[string]any{"variantId": v, "quantity": q} }
	manyLines := make([]any, 25)
	for i := range manyLines {
		manyLines[i] = line(fmt.Sprintf("var_%026d", i), 1)
	}
	transfers := []badInput{
		{"empty key", tr("", s.loc1, s.loc2, line(s.tea, 1)), "INVALID", []string{"input", "idempotencyKey"}},
		{"same location", tr(k("b"), s.loc1, s.loc1, line(s.tea, 1)), "INVALID", []string{"input", "toLocationId"}},
		{"unknown source", tr(k("b"), "loc_00000000000000000000000000", s.loc2, line(s.tea, 1)), "NOT_FOUND", []string{"input", "fromLocationId"}},
		{"unknown destination", tr(k("b"), s.loc1, "loc_00000000000000000000000000", line(s.tea, 1)), "NOT_FOUND", []string{"input", "toLocationId"}},
		{"no lines", tr(k("b"), s.loc1, s.loc2), "INVALID", []string{"input", "lines"}},
		{"25 lines", tr(k("b"), s.loc1, s.loc2, manyLines...), "INVALID", []string{"input", "lines"}},
		{"zero quantity", tr(k("b"), s.loc1, s.loc2, line(s.tea, 0)), "INVALID", []string{"input", "lines", "0", "quantity"}},
		{"negative quantity", tr(k("b"), s.loc1, s.loc2, line(s.tea, -1)), "INVALID", []string{"input", "lines", "0", "quantity"}},
		{"two lines of one variant", tr(k("b"), s.loc1, s.loc2, line(s.tea, 1), line(s.tea, 1)), "INVALID", []string{"input", "lines", "1", "variantId"}},
		{"unknown variant", tr(k("b"), s.loc1, s.loc2, line("var_00000000000000000000000000", 1)), "NOT_FOUND", []string{"input", "lines", "0", "variantId"}},
		{"untracked variant", tr(k("b"), s.loc1, s.loc2, line(s.gift, 1)), "INVALID", []string{"input", "lines", "0", "variantId"}},
		{"more than the source has", tr(k("b"), s.loc1, s.loc2, line(s.tea, 6)), "OUT_OF_STOCK", []string{"input", "lines", "0", "quantity"}},
	}
	for _, op := range []struct {
		name, query string
		cases       []badInput
	}{{"adjustInventory", adjustMutation, adjusts}, {"transferInventory", transferMutation, transfers}} {
		for _, tc := range op.cases {
			t.Run(op.name+" "+tc.name, func(t *testing.T) {
				r := gql(t, s.m.token, op.query, map[string]any{"in": tc.in})
				if len(r.Errors) > 0 {
					t.Fatalf("top-level errors: %+v", r.Errors)
				}
				errs, _ := field(t, r.Data, op.name+".userErrors").([]any)
				if len(errs) != 1 {
					t.Fatalf("userErrors %v, want one %s", errs, tc.code)
				}
				e := errs[0].(map[string]any)
				var f []string
				for _, p := range e["field"].([]any) {
					f = append(f, p.(string))
				}
				if e["code"] != tc.code || !slices.Equal(f, tc.field) || e["message"] == "" {
					t.Fatalf("userError %v, want %s at %v", e, tc.code, tc.field)
				}
				if tc.code == "OUT_OF_STOCK" && !strings.Contains(e["message"].(string), s.teaSKU) {
					t.Fatalf("message %q does not name %s", e["message"], s.teaSKU)
				}
				if levels := field(t, r.Data, op.name+".stockLevels").([]any); len(levels) != 0 {
					t.Fatalf("stockLevels with an error: %v", levels)
				}
			})
		}
	}
	t.Run("an unknown reason is a validation error", func(t *testing.T) {
		r := gql(t, s.m.token, adjustMutation, map[string]any{"in": adj(k("b"), s.loc1, change(s.tea, "delta", 1, "STOLEN"))})
		if r.Status != 400 || r.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
		}
	})
	t.Run("inventory of an unknown location or too many ids", func(t *testing.T) {
		if r := gql(t, s.m.token, inventoryQuery, map[string]any{"loc": "loc_00000000000000000000000000"}); r.code() != "NOT_FOUND" {
			t.Fatalf("unknown location: %+v", r.Errors)
		}
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = fmt.Sprintf("var_%026d", i)
		}
		if r := gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc1, "ids": ids}); r.code() != "INVALID" {
			t.Fatalf("101 ids: %+v", r.Errors)
		}
	})
	t.Run("nothing was written", func(t *testing.T) {
		after := gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc1, "ids": []string{s.tea, s.cup}})
		mustOK(t, after, "")
		if fmt.Sprint(after.Data) != fmt.Sprint(before.Data) {
			t.Fatalf("inventory changed:\n before %v\n after  %v", before.Data, after.Data)
		}
		if got := levelsOf(t, field(t, gql(t, s.m.token, inventoryQuery, map[string]any{"loc": s.loc2}).Data, "inventory")); len(got) != 0 {
			t.Fatalf("levels at the other location: %v", got)
		}
	})
}

func TestInventory_Access(t *testing.T) {
	s := newStockShop(t, "perm")
	setStock(t, s.m, s.loc1, s.tea, 5)
	cashier, _ := createStaff(t, s.m, "CASHIER", nil)
	manager1, _ := createStaff(t, s.m, "MANAGER", []string{s.loc1})
	readKey, _ := createAPIKey(t, s.m, "INVENTORY_READ")
	writeKey, _ := createAPIKey(t, s.m, "INVENTORY_WRITE")
	catalogKey, _ := createAPIKey(t, s.m, "CATALOG_READ")
	adjust := func(loc string) map[string]any {
		return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("acc"), "locationId": loc, "changes": []any{change(s.tea, "delta", 1, "RECEIVED")}}}
	}
	transfer := func(from, to string) map[string]any {
		return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("acc"), "fromLocationId": from, "toLocationId": to, "lines": []any{map[string]any{"variantId": s.tea, "quantity": 1}}}}
	}
	forbidden := func(t *testing.T, r gqlResponse, payload string) {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("top-level errors: %+v", r.Errors)
		}
		if codes := userErrorCodes(t, r.Data, payload); !slices.Equal(codes, []string{"FORBIDDEN"}) {
			t.Fatalf("%s codes %v, want FORBIDDEN", payload, codes)
		}
	}

	t.Run("a cashier reads but does not adjust or transfer", func(t *testing.T) {
		forbidden(t, gql(t, cashier, adjustMutation, adjust(s.loc1)), "adjustInventory")
		forbidden(t, gql(t, cashier, transferMutation, transfer(s.loc1, s.loc2)), "transferInventory")
		if got := onHand(t, merchant{token: cashier}, s.loc1, s.tea); got != 5 {
			t.Fatalf("cashier reads %d", got)
		}
	})
	t.Run("an INVENTORY_READ key reads but does not adjust", func(t *testing.T) {
		forbidden(t, gql(t, readKey, adjustMutation, adjust(s.loc1)), "adjustInventory")
		forbidden(t, gql(t, readKey, transferMutation, transfer(s.loc1, s.loc2)), "transferInventory")
		if got := onHand(t, merchant{token: readKey}, s.loc1, s.tea); got != 5 {
			t.Fatalf("read key reads %d", got)
		}
	})
	t.Run("a key without inventory scopes reads nothing", func(t *testing.T) {
		if r := gql(t, catalogKey, inventoryQuery, map[string]any{"loc": s.loc1}); r.code() != "FORBIDDEN" {
			t.Fatalf("errors %+v", r.Errors)
		}
	})
	t.Run("a manager restricted to one location acts only there", func(t *testing.T) {
		forbidden(t, gql(t, manager1, adjustMutation, adjust(s.loc2)), "adjustInventory")
		forbidden(t, gql(t, manager1, transferMutation, transfer(s.loc1, s.loc2)), "transferInventory")
		mustOK(t, gql(t, manager1, adjustMutation, adjust(s.loc1)), "adjustInventory")
	})
	t.Run("an INVENTORY_WRITE key adjusts", func(t *testing.T) {
		mustOK(t, gql(t, writeKey, adjustMutation, adjust(s.loc1)), "adjustInventory")
		mustOK(t, gql(t, writeKey, transferMutation, transfer(s.loc1, s.loc2)), "transferInventory")
	})
	t.Run("without a credential", func(t *testing.T) {
		for _, r := range []gqlResponse{gql(t, "", adjustMutation, adjust(s.loc1)), gql(t, "", inventoryQuery, map[string]any{"loc": s.loc1})} {
			if r.code() != "UNAUTHENTICATED" {
				t.Fatalf("errors %+v", r.Errors)
			}
		}
	})
	t.Run("only the allowed writes happened", func(t *testing.T) {
		if a, b := onHand(t, s.m, s.loc1, s.tea), onHand(t, s.m, s.loc2, s.tea); a != 6 || b != 1 {
			t.Fatalf("tea %d and %d, want 6 and 1", a, b)
		}
	})
}

func TestInventory_TenantIsolation(t *testing.T) {
	a := newStockShop(t, "isoA")
	b := newStockShop(t, "isoB")
	setStock(t, a.m, a.loc1, a.tea, 7)
	notFound := func(t *testing.T, r gqlResponse, payload string, field ...string) {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("top-level errors: %+v", r.Errors)
		}
		errs, _ := r.Data[payload].(map[string]any)["userErrors"].([]any)
		for _, e := range errs {
			m := e.(map[string]any)
			if m["code"] == "NOT_FOUND" && fmt.Sprint(m["field"]) == fmt.Sprint(field) {
				return
			}
		}
		t.Fatalf("%s userErrors %v, want NOT_FOUND at %v", payload, errs, field)
	}

	t.Run("B adjusting A's variant", func(t *testing.T) {
		r := gql(t, b.m.token, adjustMutation, map[string]any{"in": map[string]any{"idempotencyKey": stockKey("x"), "locationId": b.loc1, "changes": []any{change(a.tea, "delta", 1, "RECEIVED")}}})
		notFound(t, r, "adjustInventory", "input", "changes", "0", "variantId")
	})
	t.Run("B adjusting at A's location", func(t *testing.T) {
		r := gql(t, b.m.token, adjustMutation, map[string]any{"in": map[string]any{"idempotencyKey": stockKey("x"), "locationId": a.loc1, "changes": []any{change(b.tea, "delta", 1, "RECEIVED")}}})
		notFound(t, r, "adjustInventory", "input", "locationId")
	})
	t.Run("B transferring out of A's location", func(t *testing.T) {
		r := gql(t, b.m.token, transferMutation, map[string]any{"in": map[string]any{"idempotencyKey": stockKey("x"), "fromLocationId": a.loc1, "toLocationId": b.loc1, "lines": []any{map[string]any{"variantId": a.tea, "quantity": 1}}}})
		notFound(t, r, "transferInventory", "input", "fromLocationId")
	})
	t.Run("B reading A's stock", func(t *testing.T) {
		if r := gql(t, b.m.token, inventoryQuery, map[string]any{"loc": a.loc1}); r.code() != "NOT_FOUND" {
			t.Fatalf("A's location: %+v", r.Errors)
		}
		r := gql(t, b.m.token, inventoryQuery, map[string]any{"loc": b.loc1, "ids": []string{a.tea}})
		mustOK(t, r, "")
		if got := levelsOf(t, field(t, r.Data, "inventory")); len(got) != 0 {
			t.Fatalf("A's variant visible to B: %v", got)
		}
	})
	t.Run("A's stock is untouched", func(t *testing.T) {
		if got := onHand(t, a.m, a.loc1, a.tea); got != 7 {
			t.Fatalf("on hand %d", got)
		}
	})
}
