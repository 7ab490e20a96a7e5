package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/identity"
)

// Ending sessions over HTTP (docs/api.md, Sessions): logOut, deactivateStaff,
// and the access tokens they stop.

const (
	logOutMutation          = `mutation { logOut { loggedOut userErrors { code message field } } }`
	deactivateStaffMutation = `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id role deactivatedAt } userErrors { code message field } } }`
	refreshMutation         = `mutation($in: RefreshSessionInput!) { refreshSession(input: $in) { accessToken refreshToken userErrors { code message } } }`
	meQuery                 = `{ me { user { id } tenant { id } } }`
)

// logInSession logs in and returns the access and refresh tokens.
func logInSession(tb testing.TB, url, email string) (access, refresh string) {
	tb.Helper()
	r := gqlAt(tb, http.DefaultClient, url, "", logInMutation, map[string]any{"in": map[string]any{"email": email, "password": testPassword}})
	mustOK(tb, r, "logIn")
	return str(tb, r.Data, "logIn.accessToken"), str(tb, r.Data, "logIn.refreshToken")
}

// staffMember is a staff member with their own session.
type staffMember struct{ id, email, token, refresh string }

func newStaff(tb testing.TB, url string, m merchant, role string) staffMember {
	tb.Helper()
	email := uniqueEmail(role)
	r := gqlAt(tb, http.DefaultClient, url, m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"email": email, "name": role + " staff", "role": role, "password": testPassword}})
	mustOK(tb, r, "createStaff")
	s := staffMember{id: str(tb, r.Data, "createStaff.user.id"), email: email}
	s.token, s.refresh = logInSession(tb, url, email)
	return s
}

func deactivate(tb testing.TB, url, token, id string) gqlResponse {
	tb.Helper()
	return gqlAt(tb, http.DefaultClient, url, token, deactivateStaffMutation, map[string]any{"in": map[string]any{"id": id}})
}

// refused asserts that token no longer authenticates: 401 UNAUTHENTICATED.
func refused(tb testing.TB, url, token string) {
	tb.Helper()
	if r := gqlAt(tb, http.DefaultClient, url, token, meQuery, nil); r.Status != 401 || r.code() != "UNAUTHENTICATED" {
		tb.Fatalf("token still works: status %d %+v", r.Status, r.Errors)
	}
}

func accepted(tb testing.TB, url, token string) {
	tb.Helper()
	if r := gqlAt(tb, http.DefaultClient, url, token, meQuery, nil); r.Status != 200 || len(r.Errors) > 0 {
		tb.Fatalf("token refused: status %d %+v", r.Status, r.Errors)
	}
}

func TestLogOut(t *testing.T) {
	m := signUp(t, "Logout")
	access, refresh := logInSession(t, apiURL, m.email)
	accepted(t, apiURL, access)

	r := gqlAt(t, http.DefaultClient, apiURL, access, logOutMutation, nil)
	mustOK(t, r, "logOut")
	if field(t, r.Data, "logOut.loggedOut") != true {
		t.Fatalf("loggedOut = %v", field(t, r.Data, "logOut.loggedOut"))
	}
	refused(t, apiURL, access)
	rr := gql(t, "", refreshMutation, map[string]any{"in": map[string]any{"refreshToken": refresh}})
	if codes := userErrorCodes(t, rr.Data, "refreshSession"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
		t.Fatalf("refresh after logOut: %v", codes)
	}
	// The owner's other session (from sign-up) is untouched.
	accepted(t, apiURL, m.token)

	t.Run("an API key has no session to end", func(t *testing.T) {
		key, _ := createAPIKey(t, m, "ORDERS_READ")
		r := gql(t, key, logOutMutation, nil)
		if codes := userErrorCodes(t, r.Data, "logOut"); len(codes) != 1 || codes[0] != "FORBIDDEN" {
			t.Fatalf("API key logOut: %v %+v", codes, r.Errors)
		}
	})
	t.Run("no credential", func(t *testing.T) {
		if r := gql(t, "", logOutMutation, nil); r.code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous logOut: %+v", r.Errors)
		}
	})
}

func TestDeactivateStaff(t *testing.T) {
	m := signUp(t, "Deactivate")
	manager := newStaff(t, apiURL, m, "MANAGER")
	cashier := newStaff(t, apiURL, m, "CASHIER")
	other := signUp(t, "Elsewhere")
	stranger := newStaff(t, apiURL, other, "CASHIER")

	cases := []struct {
		name, token, id, want string
	}{
		{"a cashier may not", cashier.token, manager.id, "FORBIDDEN"},
		{"a manager may not deactivate the owner", manager.token, m.userID, "FORBIDDEN"},
		{"nobody deactivates themselves", manager.token, manager.id, "INVALID"},
		{"an unknown id", manager.token, "usr_01J0000000000000000000000Z", "NOT_FOUND"},
		{"another tenant's user", manager.token, stranger.id, "NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := deactivate(t, apiURL, tc.token, tc.id)
			if codes := userErrorCodes(t, r.Data, "deactivateStaff"); len(codes) != 1 || codes[0] != tc.want || field(t, r.Data, "deactivateStaff.user") != nil {
				t.Fatalf("codes %v, user %v; want %s", codes, field(t, r.Data, "deactivateStaff.user"), tc.want)
			}
		})
	}
	// Nothing above wrote anything: everyone still works.
	for _, tok := range []string{m.token, manager.token, cashier.token, stranger.token} {
		accepted(t, apiURL, tok)
	}

	r := deactivate(t, apiURL, manager.token, cashier.id)
	mustOK(t, r, "deactivateStaff")
	if str(t, r.Data, "deactivateStaff.user.deactivatedAt") == "" {
		t.Fatalf("deactivatedAt not set: %v", r.Data)
	}
	refused(t, apiURL, cashier.token)
	lr := gql(t, "", logInMutation, map[string]any{"in": map[string]any{"email": cashier.email, "password": testPassword}})
	if codes := userErrorCodes(t, lr.Data, "logIn"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
		t.Fatalf("log-in of a deactivated cashier: %v", codes)
	}
	rr := gql(t, "", refreshMutation, map[string]any{"in": map[string]any{"refreshToken": cashier.refresh}})
	if codes := userErrorCodes(t, rr.Data, "refreshSession"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
		t.Fatalf("refresh of a deactivated cashier: %v", codes)
	}
	// Deactivating again is harmless and keeps the first time.
	again := deactivate(t, apiURL, m.token, cashier.id)
	mustOK(t, again, "deactivateStaff")
	if a, b := str(t, again.Data, "deactivateStaff.user.deactivatedAt"), str(t, r.Data, "deactivateStaff.user.deactivatedAt"); a != b {
		t.Fatalf("deactivatedAt changed: %s then %s", b, a)
	}
	t.Run("an owner deactivates a manager", func(t *testing.T) {
		mustOK(t, deactivate(t, apiURL, m.token, manager.id), "deactivateStaff")
		refused(t, apiURL, manager.token)
	})
	t.Run("API keys never administer staff", func(t *testing.T) {
		key, _ := createAPIKey(t, m, "ORDERS_WRITE", "CUSTOMERS_WRITE", "CATALOG_WRITE", "INVENTORY_WRITE", "REPORTS_READ")
		r := deactivate(t, apiURL, key, stranger.id)
		if codes := userErrorCodes(t, r.Data, "deactivateStaff"); len(codes) != 1 || codes[0] != "FORBIDDEN" {
			t.Fatalf("API key: %v %+v", codes, r.Errors)
		}
	})
}

// TestSessions_OtherInstance runs two API processes on one table: a
// revocation made through one stops the token on the other within the
// session check's TTL (1 s here, 30 s in production).
func TestSessions_OtherInstance(t *testing.T) {
	ttl := time.Second
	url, otherURL := tunedStack(t, identity.Config{SessionCheckTTL: ttl})
	owner := signUpAt(t, url, "TwoInstances")
	manager := newStaff(t, url, owner, "MANAGER")
	cashier := newStaff(t, url, owner, "CASHIER")

	stoppedWithin := func(t *testing.T, token string) {
		t.Helper()
		deadline := time.Now().Add(ttl + 2*time.Second) // TTL plus generous scheduling slack
		for gqlAt(t, http.DefaultClient, otherURL, token, meQuery, nil).Status != 401 {
			if time.Now().After(deadline) {
				t.Fatalf("the other instance still accepts the token %v after the revocation", ttl+2*time.Second)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Run("logOut", func(t *testing.T) {
		access, _ := logInSession(t, url, owner.email)
		accepted(t, otherURL, access) // the other instance now trusts the session
		mustOK(t, gqlAt(t, http.DefaultClient, url, access, logOutMutation, nil), "logOut")
		refused(t, url, access)
		stoppedWithin(t, access)
	})
	t.Run("deactivateStaff", func(t *testing.T) {
		accepted(t, otherURL, cashier.token)
		mustOK(t, deactivate(t, url, manager.token, cashier.id), "deactivateStaff")
		refused(t, url, cashier.token)
		stoppedWithin(t, cashier.token)
	})
}

func signUpAt(tb testing.TB, url, name string) merchant {
	tb.Helper()
	email := uniqueEmail(name)
	r := gqlAt(tb, http.DefaultClient, url, "", signUpMutation, map[string]any{"in": map[string]any{"businessName": name, "email": email, "password": testPassword, "ownerName": name + " Owner"}})
	mustOK(tb, r, "signUp")
	return merchant{token: str(tb, r.Data, "signUp.accessToken"), refresh: str(tb, r.Data, "signUp.refreshToken"),
		tenantID: str(tb, r.Data, "signUp.tenant.id"), userID: str(tb, r.Data, "signUp.user.id"), email: email}
}
