package tests

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

var emailSeq atomic.Int64

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", prefix, time.Now().UnixNano(), emailSeq.Add(1))
}

const signUpMutation = `mutation($in: SignUpInput!) { signUp(input: $in) {
  accessToken refreshToken expiresAt
  user { id email name role locationIds }
  tenant { id businessName currency timezone pricesIncludeTax taxRounding allowNegativeStock invoiceRegistrationNumber createdAt }
  userErrors { field message code } } }`

// merchant is a signed-up tenant as its owner sees it.
type merchant struct {
	token, refresh, tenantID, userID, email string
}

const testPassword = "correct horse battery"

func signUp(tb testing.TB, name string) merchant {
	tb.Helper()
	email := uniqueEmail(name)
	r := gql(tb, "", signUpMutation, map[string]any{"in": map[string]any{"businessName": name, "email": email, "password": testPassword, "ownerName": name + " Owner"}})
	mustOK(tb, r, "signUp")
	return merchant{token: str(tb, r.Data, "signUp.accessToken"), refresh: str(tb, r.Data, "signUp.refreshToken"),
		tenantID: str(tb, r.Data, "signUp.tenant.id"), userID: str(tb, r.Data, "signUp.user.id"), email: email}
}

func createLocation(tb testing.TB, m merchant, name string) string {
	tb.Helper()
	r := gql(tb, m.token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id name timezone } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"name": name}})
	mustOK(tb, r, "createLocation")
	return str(tb, r.Data, "createLocation.location.id")
}

// createStaff makes a user with a role and logs them in; returns their token.
func createStaff(tb testing.TB, m merchant, role string, locs []string) (token, id string) {
	tb.Helper()
	email := uniqueEmail(role)
	in := map[string]any{"email": email, "name": role + " staff", "role": role, "password": testPassword}
	if locs != nil {
		in["locationIds"] = locs
	}
	r := gql(tb, m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id role locationIds } userErrors { code message field } } }`, map[string]any{"in": in})
	mustOK(tb, r, "createStaff")
	return logIn(tb, email, testPassword), str(tb, r.Data, "createStaff.user.id")
}

func logIn(tb testing.TB, email, password string) string {
	tb.Helper()
	r := gql(tb, "", `mutation($in: LogInInput!) { logIn(input: $in) { accessToken userErrors { code message } } }`, map[string]any{"in": map[string]any{"email": email, "password": password}})
	mustOK(tb, r, "logIn")
	return str(tb, r.Data, "logIn.accessToken")
}

func createAPIKey(tb testing.TB, m merchant, scopes ...string) (secret, id string) {
	tb.Helper()
	r := gql(tb, m.token, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id name scopes createdAt revokedAt } secret userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"name": "partner", "scopes": scopes}})
	mustOK(tb, r, "createApiKey")
	return str(tb, r.Data, "createApiKey.secret"), str(tb, r.Data, "createApiKey.apiKey.id")
}

func TestSignUp_ThenMe(t *testing.T) {
	email := uniqueEmail("cafe")
	r := gql(t, "", signUpMutation, map[string]any{"in": map[string]any{"businessName": "Kissa Renkei", "email": "  " + email + " ", "password": testPassword, "ownerName": "Hanako"}})
	mustOK(t, r, "signUp")
	if got := str(t, r.Data, "signUp.tenant.currency"); got != "JPY" {
		t.Errorf("currency = %q, want JPY default", got)
	}
	if got := str(t, r.Data, "signUp.tenant.timezone"); got != "Asia/Tokyo" {
		t.Errorf("timezone = %q", got)
	}
	if got := str(t, r.Data, "signUp.user.role"); got != "OWNER" {
		t.Errorf("role = %q", got)
	}
	if got := field(t, r.Data, "signUp.tenant.pricesIncludeTax"); got != true {
		t.Errorf("pricesIncludeTax = %v", got)
	}
	exp, err := time.Parse(time.RFC3339, str(t, r.Data, "signUp.expiresAt"))
	if err != nil || time.Until(exp) > time.Hour || time.Until(exp) <= 0 {
		t.Errorf("expiresAt = %v (%v): access tokens live at most 1 hour", exp, err)
	}
	token := str(t, r.Data, "signUp.accessToken")
	me := gql(t, token, `{ me { user { email role } apiKey { id } tenant { id businessName } } }`, nil)
	mustOK(t, me, "")
	if got := str(t, me.Data, "me.user.email"); got != email {
		t.Errorf("me.user.email = %q, want normalized %q", got, email)
	}
	if field(t, me.Data, "me.apiKey") != nil {
		t.Error("me.apiKey should be null for a user session")
	}
	if str(t, me.Data, "me.tenant.id") != str(t, r.Data, "signUp.tenant.id") {
		t.Error("me.tenant is not the signed-up tenant")
	}
}

func TestSignUp_BadInput(t *testing.T) {
	taken := signUp(t, "taken")
	cases := []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"short password", map[string]any{"businessName": "A", "email": uniqueEmail("x"), "password": "123456789", "ownerName": "O"}, "INVALID", "password"},
		{"bad email", map[string]any{"businessName": "A", "email": "not-an-email", "password": testPassword, "ownerName": "O"}, "INVALID", "email"},
		{"empty business", map[string]any{"businessName": " ", "email": uniqueEmail("x"), "password": testPassword, "ownerName": "O"}, "INVALID", "businessName"},
		{"bad currency", map[string]any{"businessName": "A", "email": uniqueEmail("x"), "password": testPassword, "ownerName": "O", "currency": "XYZ"}, "INVALID", "currency"},
		{"bad timezone", map[string]any{"businessName": "A", "email": uniqueEmail("x"), "password": testPassword, "ownerName": "O", "timezone": "Tokyo"}, "INVALID", "timezone"},
		{"email taken (any case)", map[string]any{"businessName": "A", "email": "  " + upper(taken.email), "password": testPassword, "ownerName": "O"}, "TAKEN", "email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, "", signUpMutation, map[string]any{"in": tc.in})
			if len(r.Errors) > 0 {
				t.Fatalf("top-level errors: %+v", r.Errors)
			}
			codes := userErrorCodes(t, r.Data, "signUp")
			if !slices.Contains(codes, tc.code) {
				t.Fatalf("codes = %v, want %s", codes, tc.code)
			}
			ue := field(t, r.Data, "signUp.userErrors").([]any)[0].(map[string]any)
			if f, _ := ue["field"].([]any); len(f) == 0 || f[len(f)-1] != tc.field {
				t.Errorf("field = %v, want ...%s", ue["field"], tc.field)
			}
			if field(t, r.Data, "signUp.accessToken") != nil {
				t.Error("a failed sign-up returned a token")
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func TestLogIn(t *testing.T) {
	m := signUp(t, "login")
	t.Run("good password", func(t *testing.T) {
		if tok := logIn(t, upper(m.email), testPassword); tok == "" {
			t.Fatal("no token")
		}
	})
	t.Run("wrong password and unknown email look the same", func(t *testing.T) {
		q := `mutation($in: LogInInput!) { logIn(input: $in) { accessToken userErrors { code message field } } }`
		a := gql(t, "", q, map[string]any{"in": map[string]any{"email": m.email, "password": "wrong password!"}})
		b := gql(t, "", q, map[string]any{"in": map[string]any{"email": uniqueEmail("nobody"), "password": "wrong password!"}})
		ea := field(t, a.Data, "logIn.userErrors")
		eb := field(t, b.Data, "logIn.userErrors")
		if fmt.Sprint(ea) != fmt.Sprint(eb) {
			t.Fatalf("responses differ: %v vs %v", ea, eb)
		}
		if codes := userErrorCodes(t, a.Data, "logIn"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
			t.Fatalf("codes = %v", codes)
		}
	})
	t.Run("attempts per email are limited", func(t *testing.T) {
		victim := signUp(t, "victim")
		q := `mutation($in: LogInInput!) { logIn(input: $in) { accessToken userErrors { code } } }`
		var last []string
		for i := 0; i < 11; i++ {
			r := gql(t, "", q, map[string]any{"in": map[string]any{"email": victim.email, "password": fmt.Sprintf("guess number %d", i)}})
			last = userErrorCodes(t, r.Data, "logIn")
		}
		if len(last) != 1 || last[0] != "RATE_LIMITED" {
			t.Fatalf("after 11 failures codes = %v, want RATE_LIMITED", last)
		}
		// Even the right password is refused while the email is locked.
		r := gql(t, "", q, map[string]any{"in": map[string]any{"email": victim.email, "password": testPassword}})
		if codes := userErrorCodes(t, r.Data, "logIn"); len(codes) != 1 || codes[0] != "RATE_LIMITED" {
			t.Fatalf("locked email with right password: %v", codes)
		}
	})
}

func TestRefreshSession_RotatesAndRevokesOnReuse(t *testing.T) {
	m := signUp(t, "refresh")
	q := `mutation($in: RefreshSessionInput!) { refreshSession(input: $in) { accessToken refreshToken user { id } userErrors { code } } }`
	r1 := gql(t, "", q, map[string]any{"in": map[string]any{"refreshToken": m.refresh}})
	mustOK(t, r1, "refreshSession")
	next := str(t, r1.Data, "refreshSession.refreshToken")
	if next == m.refresh || next == "" {
		t.Fatal("refresh token not rotated")
	}
	if me := gql(t, str(t, r1.Data, "refreshSession.accessToken"), `{ me { user { id } } }`, nil); str(t, me.Data, "me.user.id") != m.userID {
		t.Fatalf("new access token does not work: %+v", me)
	}
	// Replaying the old token is reuse: refused, and the family is revoked.
	r2 := gql(t, "", q, map[string]any{"in": map[string]any{"refreshToken": m.refresh}})
	if codes := userErrorCodes(t, r2.Data, "refreshSession"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
		t.Fatalf("reuse codes = %v", codes)
	}
	r3 := gql(t, "", q, map[string]any{"in": map[string]any{"refreshToken": next}})
	if codes := userErrorCodes(t, r3.Data, "refreshSession"); len(codes) != 1 {
		t.Fatalf("token of a revoked family still works: %v", r3.Data)
	}
	r4 := gql(t, "", q, map[string]any{"in": map[string]any{"refreshToken": "rt_garbage"}})
	if codes := userErrorCodes(t, r4.Data, "refreshSession"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
		t.Fatalf("garbage codes = %v", codes)
	}
}

func TestUpdateTenantSettings(t *testing.T) {
	m := signUp(t, "settings")
	q := `mutation($in: TenantSettingsInput!) { updateTenantSettings(input: $in) { tenant { businessName pricesIncludeTax taxRounding allowNegativeStock invoiceRegistrationNumber } userErrors { code field } } }`
	bad := gql(t, m.token, q, map[string]any{"in": map[string]any{"invoiceRegistrationNumber": "T123", "taxRounding": "HALF_UP"}})
	if codes := userErrorCodes(t, bad.Data, "updateTenantSettings"); len(codes) != 1 || codes[0] != "INVALID" {
		t.Fatalf("codes = %v", codes)
	}
	if me := gql(t, m.token, `{ me { tenant { taxRounding } } }`, nil); str(t, me.Data, "me.tenant.taxRounding") != "FLOOR" {
		t.Fatal("a rejected update changed the settings")
	}
	good := gql(t, m.token, q, map[string]any{"in": map[string]any{"invoiceRegistrationNumber": "T1234567890123", "taxRounding": "HALF_UP", "pricesIncludeTax": false, "allowNegativeStock": true, "businessName": "New Name"}})
	mustOK(t, good, "updateTenantSettings")
	if got := str(t, good.Data, "updateTenantSettings.tenant.invoiceRegistrationNumber"); got != "T1234567890123" {
		t.Errorf("registration number = %q", got)
	}
	me := gql(t, m.token, `{ me { tenant { businessName taxRounding pricesIncludeTax allowNegativeStock } } }`, nil)
	if str(t, me.Data, "me.tenant.taxRounding") != "HALF_UP" || field(t, me.Data, "me.tenant.pricesIncludeTax") != false || str(t, me.Data, "me.tenant.businessName") != "New Name" {
		t.Fatalf("settings not stored: %v", me.Data)
	}
	enum := gql(t, m.token, q, map[string]any{"in": map[string]any{"taxRounding": "SIDEWAYS"}})
	if enum.Status != 400 || enum.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("bad enum: status %d errors %+v", enum.Status, enum.Errors)
	}
}
