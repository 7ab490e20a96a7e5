package tests

import (
	"testing"
)

// adminMutations are the tenant-administration operations: OWNER only.
var adminMutations = []struct {
	name, query string
	input       func(m merchant) map[string]any
}{
	{"updateTenantSettings", `mutation($in: TenantSettingsInput!) { updateTenantSettings(input: $in) { tenant { id } userErrors { code } } }`,
		func(merchant) map[string]any { return map[string]any{"businessName": "Hijacked"} }},
	{"createStaff", `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code } } }`,
		func(merchant) map[string]any {
			return map[string]any{"email": uniqueEmail("esc"), "name": "E", "role": "OWNER", "password": testPassword}
		}},
	{"createApiKey", `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id } secret userErrors { code } } }`,
		func(merchant) map[string]any { return map[string]any{"name": "k", "scopes": []string{"ORDERS_READ"}} }},
	{"revokeApiKey", `mutation($in: RevokeApiKeyInput!) { revokeApiKey(input: $in) { apiKey { id } userErrors { code } } }`,
		func(m merchant) map[string]any { return map[string]any{"id": m.tenantID} }},
	{"createLocation", `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } userErrors { code } } }`,
		func(merchant) map[string]any { return map[string]any{"name": "Pop-up"} }},
}

func TestRoleAndScopeDenials(t *testing.T) {
	m := signUp(t, "roles")
	loc := createLocation(t, m, "Main")
	manager, _ := createStaff(t, m, "MANAGER", nil)
	cashier, _ := createStaff(t, m, "CASHIER", []string{loc})
	allScopes, _ := createAPIKey(t, m, "CATALOG_READ", "CATALOG_WRITE", "INVENTORY_READ", "INVENTORY_WRITE", "ORDERS_READ", "ORDERS_WRITE", "CUSTOMERS_READ", "CUSTOMERS_WRITE", "REPORTS_READ")
	callers := map[string]string{"MANAGER": manager, "CASHIER": cashier, "API key (all scopes)": allScopes}
	for _, op := range adminMutations {
		for who, token := range callers {
			t.Run(op.name+" as "+who, func(t *testing.T) {
				r := gql(t, token, op.query, map[string]any{"in": op.input(m)})
				if len(r.Errors) > 0 {
					t.Fatalf("top-level errors: %+v", r.Errors)
				}
				if codes := userErrorCodes(t, r.Data, op.name); len(codes) != 1 || codes[0] != "FORBIDDEN" {
					t.Fatalf("codes = %v, want FORBIDDEN", codes)
				}
			})
		}
	}
	t.Run("denied writes changed nothing", func(t *testing.T) {
		r := gql(t, m.token, `{ me { tenant { businessName } } locations { id } }`, nil)
		if str(t, r.Data, "me.tenant.businessName") == "Hijacked" || len(field(t, r.Data, "locations").([]any)) != 1 {
			t.Fatalf("state changed: %v", r.Data)
		}
	})
	t.Run("the owner is allowed", func(t *testing.T) {
		for _, op := range adminMutations {
			if op.name == "revokeApiKey" {
				continue // needs a real key id; covered by TestTenantIsolation
			}
			r := gql(t, m.token, op.query, map[string]any{"in": op.input(m)})
			mustOK(t, r, op.name)
		}
	})
	t.Run("without a credential", func(t *testing.T) {
		for _, op := range adminMutations {
			r := gql(t, "", op.query, map[string]any{"in": op.input(m)})
			if r.code() != "UNAUTHENTICATED" {
				t.Fatalf("%s: code = %q, errors %+v", op.name, r.code(), r.Errors)
			}
		}
		if r := gql(t, "", `{ me { tenant { id } } }`, nil); r.code() != "UNAUTHENTICATED" {
			t.Fatalf("me without credential: %+v", r.Errors)
		}
		if r := gql(t, "", `{ locations { id } }`, nil); r.code() != "UNAUTHENTICATED" {
			t.Fatalf("locations without credential: %+v", r.Errors)
		}
	})
	t.Run("revoked API key is refused", func(t *testing.T) {
		secret, id := createAPIKey(t, m, "ORDERS_READ")
		if r := gql(t, secret, `{ me { apiKey { id } } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("fresh key refused: %+v", r.Errors)
		}
		r := gql(t, m.token, `mutation($in: RevokeApiKeyInput!) { revokeApiKey(input: $in) { apiKey { revokedAt } userErrors { code } } }`, map[string]any{"in": map[string]any{"id": id}})
		mustOK(t, r, "revokeApiKey")
		if field(t, r.Data, "revokeApiKey.apiKey.revokedAt") == nil {
			t.Fatal("revokedAt not set")
		}
		after := gql(t, secret, `{ me { apiKey { id } } }`, nil)
		if after.Status != 401 || after.code() != "UNAUTHENTICATED" {
			t.Fatalf("revoked key: status %d %+v", after.Status, after.Errors)
		}
	})
}
