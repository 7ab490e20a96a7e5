package shopifyfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, f *Fake, path, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.URL()+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Shopify-Access-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const setMutation = `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code field message } } }`

// TestFake_RefusesWhatShopifyRefuses: the fake is only worth its checks —
// each wrong request is refused the way the real API refuses it, and a
// right one is applied.
func TestFake_RefusesWhatShopifyRefuses(t *testing.T) {
	f := New("tok")
	defer f.Close()
	loc := f.AddLocation("Main", true)
	v := f.AddVariant("TEA")
	quantity := func(extra map[string]any) map[string]any {
		q := map[string]any{"inventoryItemId": v.InventoryItemID, "locationId": loc, "quantity": 5}
		for k, val := range extra {
			q[k] = val
		}
		return q
	}
	input := func(edit func(map[string]any)) map[string]any {
		in := map[string]any{"name": "available", "reason": "correction", "ignoreCompareQuantity": true, "quantities": []any{quantity(nil)}}
		if edit != nil {
			edit(in)
		}
		return map[string]any{"query": setMutation, "variables": map[string]any{"input": in}}
	}
	cases := []struct {
		name, path, token string
		body              any
		status            int
		want              string // in the errors
	}{
		{"another API version", "/admin/api/2023-01/graphql.json", "tok", input(nil), 404, "not found"},
		{"no token", Path, "", input(nil), 401, "access token"},
		{"a wrong token", Path, "nope", input(nil), 401, "access token"},
		{"a field the schema lacks", Path, "tok", map[string]any{"query": `{ shop { name plan } }`}, 200, "plan"},
		{"an input field the schema lacks", Path, "tok", input(func(in map[string]any) { in["quantities"] = []any{quantity(map[string]any{"changeFromQuantity": nil})} }), 200, "changeFromQuantity"},
		{"a quantity that is not an Int", Path, "tok", input(func(in map[string]any) { in["quantities"] = []any{quantity(map[string]any{"quantity": "5"})} }), 200, "quantity"},
		{"a missing required input field", Path, "tok", input(func(in map[string]any) { delete(in, "reason") }), 200, "reason"},
		{"an undeclared variable", Path, "tok", map[string]any{"query": `{ shop { name } }`, "variables": map[string]any{"x": 1}}, 200, "not declared"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := post(t, f, tc.path, tc.token, tc.body)
			got, _ := json.Marshal(out["errors"])
			if status != tc.status || !strings.Contains(string(got), tc.want) {
				t.Fatalf("status %d errors %s; want %d mentioning %q", status, got, tc.status, tc.want)
			}
		})
	}
	userErrors := []struct {
		name string
		edit func(map[string]any)
		code string
	}{
		{"compare-and-set not opted out of", func(in map[string]any) { delete(in, "ignoreCompareQuantity") }, "COMPARE_QUANTITY_REQUIRED"},
		{"an unknown reason", func(in map[string]any) { in["reason"] = "sale" }, "INVALID_REASON"},
		{"an unknown item", func(in map[string]any) {
			in["quantities"] = []any{quantity(map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1"})}
		}, "INVALID_INVENTORY_ITEM"},
	}
	for _, tc := range userErrors {
		t.Run(tc.name, func(t *testing.T) {
			_, out := post(t, f, Path, "tok", input(tc.edit))
			got, _ := json.Marshal(out["data"])
			if !strings.Contains(string(got), tc.code) {
				t.Fatalf("data %s, want %s", got, tc.code)
			}
		})
	}
	if len(f.Pushes()) != 0 {
		t.Fatal("a refused request set a quantity")
	}
	if _, out := post(t, f, Path, "tok", input(nil)); out["errors"] != nil {
		t.Fatalf("a right request refused: %v", out)
	}
	if q, ok := f.Available("TEA", loc); !ok || q != 5 || len(f.Pushes()) != 1 {
		t.Fatalf("available %d %v", q, ok)
	}
}
