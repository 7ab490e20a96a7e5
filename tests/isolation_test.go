package tests

import (
	"slices"
	"strings"
	"testing"
)

// TestTenantIsolation signs up two merchants and proves that neither can see
// or change the other's users, locations or API keys through any operation.
func TestTenantIsolation(t *testing.T) {
	a := signUp(t, "alpha")
	b := signUp(t, "beta")
	aLoc := createLocation(t, a, "Alpha Shibuya")
	bLoc := createLocation(t, b, "Beta Umeda")
	_, aStaff := createStaff(t, a, "CASHIER", []string{aLoc})
	aKeySecret, aKeyID := createAPIKey(t, a, "ORDERS_READ")
	bKeySecret, _ := createAPIKey(t, b, "CATALOG_READ")

	t.Run("locations lists only your own", func(t *testing.T) {
		for _, tc := range []struct {
			token, own, other string
		}{{a.token, aLoc, bLoc}, {b.token, bLoc, aLoc}, {aKeySecret, aLoc, bLoc}, {bKeySecret, bLoc, aLoc}} {
			r := gql(t, tc.token, `{ locations { id } }`, nil)
			mustOK(t, r, "")
			ids := idsOf(field(t, r.Data, "locations"))
			if !slices.Contains(ids, tc.own) || slices.Contains(ids, tc.other) {
				t.Fatalf("locations = %v (own %s, other %s)", ids, tc.own, tc.other)
			}
		}
	})
	t.Run("me shows your own tenant, user and key", func(t *testing.T) {
		r := gql(t, b.token, `{ me { tenant { id } user { id } } }`, nil)
		if str(t, r.Data, "me.tenant.id") != b.tenantID || str(t, r.Data, "me.user.id") != b.userID {
			t.Fatalf("me = %v", r.Data)
		}
		r = gql(t, aKeySecret, `{ me { tenant { id } user { id } apiKey { id scopes } } }`, nil)
		if str(t, r.Data, "me.tenant.id") != a.tenantID || str(t, r.Data, "me.apiKey.id") != aKeyID || field(t, r.Data, "me.user") != nil {
			t.Fatalf("me with API key = %v", r.Data)
		}
	})
	t.Run("cannot revoke another tenant's API key", func(t *testing.T) {
		r := gql(t, b.token, `mutation($in: RevokeApiKeyInput!) { revokeApiKey(input: $in) { apiKey { id } userErrors { code } } }`, map[string]any{"in": map[string]any{"id": aKeyID}})
		if codes := userErrorCodes(t, r.Data, "revokeApiKey"); len(codes) != 1 || codes[0] != "NOT_FOUND" {
			t.Fatalf("codes = %v", codes)
		}
		// A's key still works.
		if me := gql(t, aKeySecret, `{ me { apiKey { revokedAt } } }`, nil); len(me.Errors) > 0 || field(t, me.Data, "me.apiKey.revokedAt") != nil {
			t.Fatalf("A's key was affected: %+v", me)
		}
	})
	t.Run("cannot give staff another tenant's location", func(t *testing.T) {
		r := gql(t, b.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code field } } }`,
			map[string]any{"in": map[string]any{"email": uniqueEmail("cross"), "name": "X", "role": "CASHIER", "password": testPassword, "locationIds": []string{aLoc}}})
		if codes := userErrorCodes(t, r.Data, "createStaff"); len(codes) != 1 || codes[0] != "NOT_FOUND" {
			t.Fatalf("codes = %v", codes)
		}
	})
	t.Run("cannot take another tenant's staff email", func(t *testing.T) {
		r := gql(t, b.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"email": a.email, "name": "X", "role": "CASHIER", "password": testPassword}})
		if codes := userErrorCodes(t, r.Data, "createStaff"); len(codes) != 1 || codes[0] != "TAKEN" {
			t.Fatalf("codes = %v", codes)
		}
	})
	t.Run("other tenant's staff id never appears", func(t *testing.T) {
		r := gql(t, b.token, `{ me { user { id } } }`, nil)
		if strings.Contains(str(t, r.Data, "me.user.id"), aStaff) {
			t.Fatal("leak")
		}
	})
}

func idsOf(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}
