package tests

import "testing"

// A client that still carries a token (its own tenant's, or another's) can
// log in to any account: log-in reads platform items (the e-mail's login,
// the attempt counters), which in AWS only the function's own role may
// touch. The suite's emulated IAM (iamcheck) refuses them under a tenant's
// session, so this fails if the log-in path signs them as the caller's
// tenant.
func TestLogIn_WithAnotherTenantsToken(t *testing.T) {
	a, b := signUp(t, "Carrier"), signUp(t, "Target")
	for _, token := range []string{a.token, b.token} {
		r := gql(t, token, logInMutation, map[string]any{"in": map[string]any{"email": b.email, "password": testPassword}})
		mustOK(t, r, "logIn")
		if str(t, r.Data, "logIn.accessToken") == "" {
			t.Fatal("no access token")
		}
		// A wrong password is still BAD_CREDENTIALS, not a storage refusal.
		r = gql(t, token, logInMutation, map[string]any{"in": map[string]any{"email": b.email, "password": "wrong wrong wrong"}})
		if codes := userErrorCodes(t, r.Data, "logIn"); len(r.Errors) > 0 || len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
			t.Fatalf("wrong password with a token: errors %+v, userErrors %v", r.Errors, codes)
		}
	}
}
