package tests

import (
	"strings"
	"testing"
)

// Card onboarding and card readers on the local stack's labelled simulator
// (its connected accounts take charges as soon as they exist).

const terminalTokenMutation = `mutation($in: TerminalConnectionTokenInput!) { terminalConnectionToken(input: $in) { secret userErrors { field code message } } }`

func cardPaymentsEnabled(tb testing.TB, token string) bool {
	tb.Helper()
	r := gql(tb, token, `{ me { tenant { cardPaymentsEnabled } } }`, nil)
	if len(r.Errors) > 0 {
		tb.Fatalf("me: %v", r.Errors)
	}
	return field(tb, r.Data, "me.tenant.cardPaymentsEnabled").(bool)
}

func TestCardOnboarding_ThenReaderTokens(t *testing.T) {
	m := signUp(t, "cardonboarding")
	loc := createLocation(t, m, "Shibuya")
	other := createLocation(t, m, "Umeda")
	cashier, _ := createStaff(t, m, "CASHIER", []string{loc})
	r := gql(t, m.token, `query($loc: ID!) { registers(locationId: $loc) { id } }`, map[string]any{"loc": loc})
	register := str(t, r.Data, "registers.0.id")

	if cardPaymentsEnabled(t, m.token) {
		t.Fatal("a new tenant takes cards before onboarding")
	}
	r = gql(t, cashier, terminalTokenMutation, map[string]any{"in": map[string]any{"locationId": loc}})
	if got := userErrorCodes(t, r.Data, "terminalConnectionToken"); len(got) != 1 || got[0] != "INVALID" {
		t.Fatalf("token before onboarding: %v %v", got, r.Errors)
	}
	r = gql(t, cashier, `mutation { startCardPaymentsOnboarding { url userErrors { code } } }`, nil)
	if got := userErrorCodes(t, r.Data, "startCardPaymentsOnboarding"); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Fatalf("cashier onboarding: %v", got)
	}

	for i := 0; i < 2; i++ { // a second click links the same account
		r = gql(t, m.token, `mutation { startCardPaymentsOnboarding { url userErrors { code message } } }`, nil)
		mustOK(t, r, "startCardPaymentsOnboarding")
		if u := str(t, r.Data, "startCardPaymentsOnboarding.url"); !strings.Contains(u, "simulated_account=acct_sim_") {
			t.Fatalf("onboarding url %q", u)
		}
	}
	if !cardPaymentsEnabled(t, m.token) {
		t.Fatal("the simulator's account does not take cards")
	}

	for _, in := range []map[string]any{{"locationId": loc}, {"registerId": register}} {
		r = gql(t, cashier, terminalTokenMutation, map[string]any{"in": in})
		mustOK(t, r, "terminalConnectionToken")
		if s := str(t, r.Data, "terminalConnectionToken.secret"); !strings.HasPrefix(s, "pst_test_sim_") {
			t.Fatalf("secret %q", s)
		}
	}
	r = gql(t, cashier, terminalTokenMutation, map[string]any{"in": map[string]any{"locationId": other}})
	if got := userErrorCodes(t, r.Data, "terminalConnectionToken"); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Fatalf("token at another location: %v %v", got, r.Errors)
	}
	r = gql(t, cashier, terminalTokenMutation, map[string]any{"in": map[string]any{"locationId": loc, "registerId": register}})
	if got := userErrorCodes(t, r.Data, "terminalConnectionToken"); len(got) != 1 || got[0] != "INVALID" {
		t.Fatalf("both: %v %v", got, r.Errors)
	}
}
