package tests

import (
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The role table, walked: every root operation of the served schema, asked
// by every role and every API key scope, must answer FORBIDDEN exactly when
// shared/identity/access.go does not grant the permission the operation
// declares below. A new operation fails TestRoles_EveryOperation until it
// declares itself in rootOps.

// opAccess says who may call an operation besides what its permission says.
type opAccess int

const (
	needsPermission opAccess = iota // the role table decides (perm)
	anyCaller                       // any credential
	public                          // no credential needed (sign-up, log-in)
)

type rootOp struct {
	access opAccess
	perm   identity.Permission
	doc    string
	vars   func(f *rolesShop) map[string]any
	// payload names the field whose userErrors carry FORBIDDEN; "" when the
	// operation refuses with a top-level error.
	payload string
	// freshSession: the operation ends the caller's session, so it is asked
	// with a session of its own.
	freshSession bool
}

func noVars(*rolesShop) map[string]any { return nil }

func input(in map[string]any) func(*rolesShop) map[string]any {
	return func(*rolesShop) map[string]any { return map[string]any{"in": in} }
}

// rootOps declares the permission of every root field of Query and Mutation.
// Mutation inputs are valid enough to reach the permission check and, where
// they would change what other tests read, invalid after it.
var rootOps = map[string]rootOp{
	// Query
	"me":               {access: anyCaller, doc: `{ me { tenant { id } } }`, vars: noVars},
	"locations":        {perm: identity.ReadLocations, doc: `{ locations { id } }`, vars: noVars},
	"items":            {perm: identity.ReadCatalog, doc: `{ items(first: 1) { nodes { id } } }`, vars: noVars},
	"variantByBarcode": {perm: identity.ReadCatalog, doc: `{ variantByBarcode(barcode: "4901234567894") { id } }`, vars: noVars},
	"inventory": {perm: identity.ReadInventory, doc: `query($loc: ID!) { inventory(locationId: $loc) { onHand } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"loc": f.loc1} }},
	"order": {perm: identity.ReadOrders, doc: `query($id: ID!) { order(id: $id) { id } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"id": f.order1} }},
	"orders":    {perm: identity.ReadOrders, doc: `{ orders(first: 1) { nodes { id } } }`, vars: noVars},
	"customers": {perm: identity.ReadCustomers, doc: `{ customers(first: 1) { nodes { id } } }`, vars: noVars},
	"salesSummary": {perm: identity.ReadReports, doc: `{ salesSummary(input: {from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", groupBy: DAY}) { key } }`,
		vars: noVars},
	"integrations": {perm: identity.ReadIntegrations, doc: `{ integrations { id } }`, vars: noVars},
	"integration": {perm: identity.ReadIntegrations, doc: `query($id: ID!) { integration(id: $id) { id } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"id": f.integration} }},
	"integrationJobs": {perm: identity.ReadIntegrations, doc: `query($id: ID!) { integrationJobs(integrationId: $id, first: 1) { nodes { id } } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"id": f.integration} }},
	"registers": {perm: identity.ReadLocations, doc: `query($loc: ID!) { registers(locationId: $loc) { id number location { id } } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"loc": f.loc1} }},
	// Timecards: a CASHIER reads their own, so every role reads.
	"timecards": {perm: identity.ReadTimecards, doc: `{ timecards(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z") { shifts { id } weeks { staffId } } }`, vars: noVars},
	"shift":     {perm: identity.ReadTimecards, doc: `{ shift(id: "shf_x") { id } }`, vars: noVars},
	// Gift cards: the shop's issued e-gift card (PENDING).
	"giftCard": {perm: identity.ReadGiftCards, doc: `query($n: String!) { giftCard(number: $n) { balance { amount } } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"n": f.giftCard} }},
	"giftCardLiability": {perm: identity.ReadReports, doc: `{ giftCardLiability(asOf: "2026-03-31") { unusedBalance { amount } } }`, vars: noVars},
	// The console's lists (lists_test.go): staff for who deactivates staff,
	// apiKeys for who manages them, closes for who reads reports.
	"staff":   {perm: identity.DeactivateStaff, doc: `{ staff { id deactivatedAt } }`, vars: noVars},
	"apiKeys": {perm: identity.ManageAPIKeys, doc: `{ apiKeys { id revokedAt } }`, vars: noVars},
	"closes": {perm: identity.ReadReports, doc: `{ closes(from: "2026-11-01", to: "2026-11-30") { id revision } }`,
		vars: noVars},

	// Mutation: public
	"signUp": {access: public, payload: "signUp", doc: `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken userErrors { code } } }`,
		vars: input(map[string]any{"businessName": "x", "email": "not an email", "password": "short", "ownerName": "x"})},
	"logIn": {access: public, payload: "logIn", doc: `mutation($in: LogInInput!) { logIn(input: $in) { accessToken userErrors { code } } }`,
		vars: func(*rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"email": uniqueEmail("nobody"), "password": "wrong password"}}
		}},
	"refreshSession": {access: public, payload: "refreshSession", doc: `mutation($in: RefreshSessionInput!) { refreshSession(input: $in) { accessToken userErrors { code } } }`,
		vars: input(map[string]any{"refreshToken": "garbage"})},

	// Mutation: sessions and staff
	"logOut": {perm: identity.EndSession, payload: "logOut", freshSession: true, doc: `mutation { logOut { loggedOut userErrors { code } } }`, vars: noVars},
	"deactivateStaff": {perm: identity.DeactivateStaff, payload: "deactivateStaff", doc: `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } userErrors { code } } }`,
		vars: input(map[string]any{"id": "usr_00000000000000000000000000"})}, // nobody: NOT_FOUND once allowed

	// Mutation: administration
	"updateTenantSettings": {perm: identity.ManageSettings, payload: "updateTenantSettings", doc: `mutation($in: TenantSettingsInput!) { updateTenantSettings(input: $in) { tenant { id } userErrors { code } } }`,
		vars: input(map[string]any{"businessName": ""})}, // INVALID once allowed
	"createStaff": {perm: identity.ManageStaff, payload: "createStaff", doc: `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code } } }`,
		vars: input(map[string]any{"email": "x@example.com", "name": "X", "role": "CASHIER", "password": "short"})},
	"createApiKey": {perm: identity.ManageAPIKeys, payload: "createApiKey", doc: `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id } userErrors { code } } }`,
		vars: input(map[string]any{"name": "k", "scopes": []string{}})},
	"revokeApiKey": {perm: identity.ManageAPIKeys, payload: "revokeApiKey", doc: `mutation($in: RevokeApiKeyInput!) { revokeApiKey(input: $in) { apiKey { id } userErrors { code } } }`,
		vars: input(map[string]any{"id": "key_00000000000000000000000000"})},
	"createLocation": {perm: identity.ManageSettings, payload: "createLocation", doc: `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } userErrors { code } } }`,
		vars: input(map[string]any{"name": ""})},
	"createRegister": {perm: identity.ManageSettings, payload: "createRegister", doc: `mutation($in: CreateRegisterInput!) { createRegister(input: $in) { register { id } userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"locationId": f.loc1, "name": ""}}
		}}, // INVALID once allowed
	"deactivateRegister": {perm: identity.ManageSettings, payload: "deactivateRegister", doc: `mutation($in: DeactivateRegisterInput!) { deactivateRegister(input: $in) { register { id } userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"id": tenant.RegisterID(f.loc1, tenant.MaxRegisters)}} // no such register: NOT_FOUND once allowed
		}},

	// Mutation: catalog, stock, selling
	"upsertItem": {perm: identity.WriteCatalog, payload: "upsertItem", doc: `mutation($in: UpsertItemInput!) { upsertItem(input: $in) { item { id } userErrors { code } } }`,
		vars: input(map[string]any{"name": "", "taxCategory": "STANDARD", "variants": []any{}})},
	"adjustInventory": {perm: identity.WriteInventory, payload: "adjustInventory", doc: `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) { stockLevels { onHand } userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("roles"), "locationId": f.loc1, "changes": []any{}}}
		}},
	"transferInventory": {perm: identity.WriteInventory, payload: "transferInventory", doc: `mutation($in: TransferInventoryInput!) { transferInventory(input: $in) { stockLevels { onHand } userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("roles"), "fromLocationId": f.loc1, "toLocationId": f.loc1, "lines": []any{}}}
		}},
	"createCustomer": {perm: identity.WriteCustomers, payload: "createCustomer", doc: `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code } } }`,
		vars: input(map[string]any{"name": ""})},
	"checkout": {perm: identity.Sell, payload: "checkout", doc: checkoutMutation,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("roles"), "locationId": f.loc1, "lines": []any{}, "payments": []any{}}}
		}},
	"syncOfflineSales": {perm: identity.Sell, payload: "syncOfflineSales", doc: `mutation($in: SyncOfflineSalesInput!) { syncOfflineSales(input: $in) { results { status } userErrors { code } } }`,
		vars: input(map[string]any{"sales": []any{}})}, // nothing to sync once allowed
	"closeRegister": {perm: identity.CloseRegister, payload: "closeRegister", doc: `mutation($in: CloseRegisterInput!) { closeRegister(input: $in) { registerClose { id } userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("roles"), "locationId": f.loc1, "businessDate": "2026-11-01",
				"countedCash": map[string]any{"amount": -1, "currency": "JPY"}}} // INVALID once allowed
		}},
	// Timecards: a clock-out without an open shift, a correction of no
	// shift, a passcode too short: INVALID or NOT_FOUND once allowed.
	"clock": {perm: identity.ClockTime, payload: "clock", doc: `mutation($in: ClockInput!) { clock(input: $in) { shift { id } userErrors { code } } }`,
		vars: func(*rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"clientEventId": stockKey("roles-clock"), "kind": "CLOCK_OUT"}}
		}},
	"correctShift": {perm: identity.ManageTimecards, payload: "correctShift", doc: `mutation($in: CorrectShiftInput!) { correctShift(input: $in) { shift { id } userErrors { code } } }`,
		vars: input(map[string]any{"shiftId": "shf_x", "startedAt": "2026-11-01T00:00:00Z", "endedAt": "2026-11-01T08:00:00Z", "breaks": []any{}, "reason": "roles"})},
	"setStaffPasscode": {perm: identity.ManageTimecards, payload: "setStaffPasscode", doc: `mutation($in: SetStaffPasscodeInput!) { setStaffPasscode(input: $in) { staffId userErrors { code } } }`,
		vars: input(map[string]any{"staffId": "usr_00000000000000000000000000", "passcode": "12"})},

	// Gift cards: a customer id that is none, a number that is no card, a
	// missing reason (INVALID or NOT_FOUND once allowed).
	"issueGiftCard": {perm: identity.Sell, payload: "issueGiftCard", doc: `mutation($in: IssueGiftCardInput!) { issueGiftCard(input: $in) { giftCard { number } userErrors { code } } }`,
		vars: input(map[string]any{"customerId": "nobody"})},
	"adjustGiftCard": {perm: identity.ManageGiftCards, payload: "adjustGiftCard", doc: `mutation($in: AdjustGiftCardInput!) { adjustGiftCard(input: $in) { giftCard { number } userErrors { code } } }`,
		vars: input(map[string]any{"number": "4000000000000002", "amount": map[string]any{"amount": 100, "currency": "JPY"}, "reason": "roles"})},
	"deactivateGiftCard": {perm: identity.ManageGiftCards, payload: "deactivateGiftCard", doc: `mutation($in: DeactivateGiftCardInput!) { deactivateGiftCard(input: $in) { giftCard { number } userErrors { code } } }`,
		vars: input(map[string]any{"number": "4000000000000002", "reason": "roles"})},
	"cashOutGiftCard": {perm: identity.ManageGiftCards, payload: "cashOutGiftCard", doc: `mutation($in: CashOutGiftCardInput!) { cashOutGiftCard(input: $in) { giftCard { number } userErrors { code } } }`,
		vars: input(map[string]any{"number": "4000000000000002", "amount": map[string]any{"amount": 100, "currency": "JPY"}, "legalException": ""})},

	// Card payments: the roles shop's owner onboards it (the local simulator's
	// account takes charges at once), so allowed callers get a token.
	"startCardPaymentsOnboarding": {perm: identity.ManageSettings, payload: "startCardPaymentsOnboarding", doc: `mutation { startCardPaymentsOnboarding { url userErrors { code } } }`, vars: noVars},
	"terminalConnectionToken": {perm: identity.Sell, payload: "terminalConnectionToken", doc: `mutation($in: TerminalConnectionTokenInput!) { terminalConnectionToken(input: $in) { userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any { return map[string]any{"in": map[string]any{"locationId": f.loc1}} }},

	"refund": {perm: identity.Refund, payload: "refund", doc: `mutation($in: RefundInput!) { refund(input: $in) { refund { id } userErrors { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"in": map[string]any{"idempotencyKey": stockKey("roles"), "orderId": f.order1, "lines": []any{}, "restock": false}}
		}}, // INVALID (no lines) once allowed

	// Integrations: unknown ids (NOT_FOUND) and settings without a url
	// (INVALID) once allowed, so nothing changes for other tests.
	"connectIntegration": {perm: identity.ManageIntegration, payload: "connectIntegration", doc: `mutation($in: ConnectIntegrationInput!) { connectIntegration(input: $in) { userErrors { code } } }`,
		vars: input(map[string]any{"provider": "WEBHOOK", "name": "x", "settings": map[string]any{}})},
	"disconnectIntegration": {perm: identity.ManageIntegration, payload: "disconnectIntegration", doc: `mutation($in: DisconnectIntegrationInput!) { disconnectIntegration(input: $in) { userErrors { code } } }`,
		vars: input(map[string]any{"id": "int_x"})},
	"syncIntegration": {perm: identity.ManageIntegration, payload: "syncIntegration", doc: `mutation($in: SyncIntegrationInput!) { syncIntegration(input: $in) { userErrors { code } } }`,
		vars: input(map[string]any{"id": "int_x"})},
	"retryIntegrationJob": {perm: identity.ManageIntegration, payload: "retryIntegrationJob", doc: `mutation($in: RetryIntegrationJobInput!) { retryIntegrationJob(input: $in) { userErrors { code } } }`,
		vars: input(map[string]any{"id": "job_x"})},

	// freee's authorization-code flow (freee_oauth_test.go): a URL for a
	// valid callback, the options of the shop's pending authorization, a
	// made-up code (INVALID once allowed), an unknown integration
	// (NOT_FOUND once allowed).
	"freeeAuthorizationUrl": {perm: identity.ManageIntegration, doc: `query($r: String!, $s: String!) { freeeAuthorizationUrl(redirectUri: $r, state: $s) }`,
		vars: func(*rolesShop) map[string]any { return map[string]any{"r": freeeCallback, "s": testState} }},
	"freeeAccountOptions": {perm: identity.ManageIntegration, doc: `query($a: ID, $c: ID!) { freeeAccountOptions(authorizationId: $a, companyId: $c) { taxes { code } } }`,
		vars: func(f *rolesShop) map[string]any {
			return map[string]any{"a": f.freeeAuthorization, "c": strconv.FormatInt(freeefake.DefaultCompanyID, 10)}
		}},
	"authorizeFreee": {perm: identity.ManageIntegration, payload: "authorizeFreee", doc: `mutation($in: AuthorizeFreeeInput!) { authorizeFreee(input: $in) { userErrors { code } } }`,
		vars: input(map[string]any{"code": "made-up", "redirectUri": freeeCallback})},
	"updateIntegrationSettings": {perm: identity.ManageIntegration, payload: "updateIntegrationSettings", doc: `mutation($in: UpdateIntegrationSettingsInput!) { updateIntegrationSettings(input: $in) { userErrors { code } } }`,
		vars: input(map[string]any{"id": "int_x", "settings": map[string]any{"startDate": "2026-01-01"}})},
}

// rolesShop is a tenant with two locations, a priced variant in stock at
// both, a customer, and one order at each location (sold by the owner, the
// first to the customer).
type rolesShop struct {
	m              merchant
	loc1, loc2     string
	variant        string
	customer       string
	order1, order2 string
	integration    string // a webhook (subscribed to register.closed, which the shop never sends)
	giftCard       string // an issued e-gift card's number (PENDING)
	callers        []caller

	// freeeAuthorization is a pending freee authorization of
	// DefaultCompanyID (sharedFreee).
	freeeAuthorization string
}

// caller is one credential and what the role table says about it.
type caller struct {
	name      string
	token     string
	principal identity.Principal // role or scopes, and locations, as the server sees them
	email     string             // users: to log in again for a session of its own
}

func newRolesShop(tb testing.TB, name string) *rolesShop {
	tb.Helper()
	m := signUp(tb, name)
	f := &rolesShop{m: m, loc1: createLocation(tb, m, name+" Shibuya"), loc2: createLocation(tb, m, name+" Umeda")}
	_, vs := createItem(tb, m, "Sencha", "REDUCED", variantSpec{Name: "100g", SKU: uniqueSKU("ROLE"), Price: 1200, TrackStock: true})
	f.variant = vs[0]
	setStock(tb, m, f.loc1, f.variant, 100)
	setStock(tb, m, f.loc2, f.variant, 100)
	r := gql(tb, m.token, `mutation { createCustomer(input: {name: "Yamada Taro", email: "taro@example.com", phone: "090-1234-5678"}) { customer { id } userErrors { code } } }`, nil)
	mustOK(tb, r, "createCustomer")
	f.customer = str(tb, r.Data, "createCustomer.customer.id")
	f.order1 = f.sell(tb, m.token, f.loc1, f.customer)
	f.order2 = f.sell(tb, m.token, f.loc2, "")
	f.integration = connectRolesWebhook(tb, m.token)
	r = gql(tb, m.token, `mutation { issueGiftCard(input: {}) { giftCard { number } userErrors { code } } }`, nil)
	mustOK(tb, r, "issueGiftCard")
	f.giftCard = str(tb, r.Data, "issueGiftCard.giftCard.number")
	f.freeeAuthorization = authorizeFreee(tb, m.token, freeefake.DefaultCompanyID)
	return f
}

// connectRolesWebhook connects a webhook (local mode allows loopback) and
// returns its id; "int_x" on a server built without the integration hub,
// where every integration operation answers NOT_IMPLEMENTED.
func connectRolesWebhook(tb testing.TB, token string) string {
	tb.Helper()
	r := gql(tb, token, `mutation($in: ConnectIntegrationInput!) { connectIntegration(input: $in) { integration { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"provider": "WEBHOOK", "name": "roles", "settings": map[string]any{"url": "http://127.0.0.1:9/roles", "events": []any{"register.closed"}}}})
	if len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == "NOT_IMPLEMENTED" {
		return "int_x"
	}
	mustOK(tb, r, "connectIntegration")
	return str(tb, r.Data, "connectIntegration.integration.id")
}

// addCallers gives the shop one caller per role, a cashier restricted to
// loc1, and one API key per scope.
func (f *rolesShop) addCallers(tb testing.TB) {
	tb.Helper()
	m := f.m
	f.callers = append(f.callers, caller{name: "OWNER", token: m.token, principal: identity.Principal{UserID: m.userID, Role: identity.Owner}, email: m.email})
	for _, role := range []identity.Role{identity.Manager, identity.Cashier} {
		token, email := staffWithEmail(tb, m, string(role), nil)
		f.callers = append(f.callers, caller{name: string(role), token: token, principal: identity.Principal{UserID: "usr", Role: role}, email: email})
	}
	token, email := staffWithEmail(tb, m, "CASHIER", []string{f.loc1})
	f.callers = append(f.callers, caller{name: "CASHIER at one location", token: token, email: email,
		principal: identity.Principal{UserID: "usr", Role: identity.Cashier, LocationIDs: []string{f.loc1}}})
	for _, sc := range identity.AllScopes {
		secret, _ := createAPIKey(tb, m, string(sc))
		f.callers = append(f.callers, caller{name: string(sc) + " key", token: secret, principal: identity.Principal{APIKeyID: "key", Scopes: []identity.Scope{sc}}})
	}
}

// sell checks out one unit at loc (to customer when set) and returns the order id.
func (f *rolesShop) sell(tb testing.TB, token, loc, customer string) string {
	tb.Helper()
	in := map[string]any{"idempotencyKey": stockKey("sale"), "locationId": loc,
		"lines": []any{map[string]any{"variantId": f.variant, "quantity": 1}}, "payments": []any{cashPayment(1200, 1200)}}
	if customer != "" {
		in["customerId"] = customer
	}
	r := checkout(tb, token, in)
	mustOK(tb, r, "checkout")
	return str(tb, r.Data, "checkout.order.id")
}

// staffWithEmail is createStaff, also returning the email to log in with.
func staffWithEmail(tb testing.TB, m merchant, role string, locs []string) (token, email string) {
	tb.Helper()
	email = uniqueEmail(role)
	in := map[string]any{"email": email, "name": role + " staff", "role": role, "password": testPassword}
	if locs != nil {
		in["locationIds"] = locs
	}
	r := gql(tb, m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code message } } }`, map[string]any{"in": in})
	mustOK(tb, r, "createStaff")
	return logIn(tb, email, testPassword), email
}

// servedRootFields lists the root fields the server serves, by introspection.
func servedRootFields(tb testing.TB, token string) (queries, mutations []string) {
	tb.Helper()
	r := gql(tb, token, `{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`, nil)
	mustOK(tb, r, "")
	names := func(path string) []string {
		var out []string
		for _, f := range field(tb, r.Data, path).([]any) {
			out = append(out, f.(map[string]any)["name"].(string))
		}
		sort.Strings(out)
		return out
	}
	return names("__schema.queryType.fields"), names("__schema.mutationType.fields")
}

// errorCodes returns the top-level error codes and the codes of the
// payload's userErrors.
func errorCodes(tb testing.TB, r gqlResponse, payload string) (top, user []string) {
	tb.Helper()
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		top = append(top, c)
	}
	if payload != "" && r.Data != nil {
		if p, ok := r.Data[payload].(map[string]any); ok {
			for _, e := range p["userErrors"].([]any) {
				user = append(user, e.(map[string]any)["code"].(string))
			}
		}
	}
	return top, user
}

func TestRoles_EveryOperation(t *testing.T) {
	f := newRolesShop(t, "roles-walk")
	f.addCallers(t)
	queries, mutations := servedRootFields(t, f.m.token)
	served := append(slices.Clone(queries), mutations...)
	for _, name := range served {
		if _, ok := rootOps[name]; !ok {
			t.Errorf("%s is served but does not declare its permission in rootOps (tests/roles_test.go)", name)
		}
	}
	for name := range rootOps {
		if !slices.Contains(served, name) {
			t.Errorf("rootOps declares %s, which the schema does not serve", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	callers := append(slices.Clone(f.callers), caller{name: "no credential"})
	for _, name := range served {
		op := rootOps[name]
		for _, c := range callers {
			t.Run(name+" as "+c.name, func(t *testing.T) {
				token := c.token
				if op.freshSession && c.email != "" {
					token = logIn(t, c.email, testPassword)
				}
				r := gql(t, token, op.doc, op.vars(f))
				top, user := errorCodes(t, r, op.payload)
				forbidden := slices.Contains(top, "FORBIDDEN") || slices.Contains(user, "FORBIDDEN")
				switch {
				case op.access == public:
					if forbidden || slices.Contains(top, "UNAUTHENTICATED") {
						t.Fatalf("a public operation refused: top %v, userErrors %v", top, user)
					}
				case c.token == "":
					if !slices.Equal(top, []string{"UNAUTHENTICATED"}) {
						t.Fatalf("without a credential: top %v, userErrors %v", top, user)
					}
				case op.access == anyCaller || c.principal.Can(op.perm):
					if forbidden {
						t.Fatalf("the role table grants %s, the server refused: top %v, userErrors %v", op.perm, top, user)
					}
					for _, code := range top {
						if code != "NOT_IMPLEMENTED" {
							t.Fatalf("allowed, but top-level errors %+v", r.Errors)
						}
					}
				case op.payload == "":
					if !slices.Equal(top, []string{"FORBIDDEN"}) {
						t.Fatalf("the role table does not grant %s: want a top-level FORBIDDEN, got top %v", op.perm, top)
					}
				default:
					if len(top) > 0 || !slices.Equal(user, []string{"FORBIDDEN"}) {
						t.Fatalf("the role table does not grant %s: want the userError FORBIDDEN, got top %v, userErrors %v", op.perm, top, user)
					}
				}
			})
		}
	}
}

// TestRoles_NestedFields: what a root field reaches through nested fields is
// held to the role table too. A nullable field the caller may not read is
// null with no error; a non-null one fails with FORBIDDEN.
func TestRoles_NestedFields(t *testing.T) {
	f := newRolesShop(t, "roles-nested")
	f.addCallers(t)
	for _, c := range f.callers {
		p := c.principal
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			t.Run("an order's customer, staff and variants", func(t *testing.T) {
				r := gql(t, c.token, `query($id: ID!) { order(id: $id) { id location { id } customer { name email phone } staff { email role }
					lines { sku variant { id sku price { amount } } } receipt { text } } }`, map[string]any{"id": f.order1})
				if !p.Can(identity.ReadOrders) {
					if r.code() != "FORBIDDEN" {
						t.Fatalf("errors %+v", r.Errors)
					}
					return
				}
				mustOK(t, r, "")
				visible := map[string]bool{"order.customer": p.Can(identity.ReadCustomers), "order.staff": p.Can(identity.ReadStaff), "order.lines.0.variant": p.Can(identity.ReadCatalog)}
				for path, want := range visible {
					if got := field(t, r.Data, path) != nil; got != want {
						t.Errorf("%s present %v, want %v: %v", path, got, want, field(t, r.Data, path))
					}
				}
			})
			t.Run("a page of orders' customers and staff", func(t *testing.T) {
				r := gql(t, c.token, `{ orders { nodes { customer { email } staff { email } lines { variant { price { amount } } } } } }`, nil)
				if !p.Can(identity.ReadOrders) {
					if r.code() != "FORBIDDEN" {
						t.Fatalf("errors %+v", r.Errors)
					}
					return
				}
				mustOK(t, r, "")
				for _, n := range field(t, r.Data, "orders.nodes").([]any) {
					o := n.(map[string]any)
					if o["staff"] != nil && !p.Can(identity.ReadStaff) {
						t.Errorf("staff visible: %v", o)
					}
					if o["customer"] != nil && !p.Can(identity.ReadCustomers) {
						t.Errorf("customer visible: %v", o)
					}
					if o["lines"].([]any)[0].(map[string]any)["variant"] != nil && !p.Can(identity.ReadCatalog) {
						t.Errorf("variant visible: %v", o)
					}
				}
			})
			t.Run("a stock level's variant: identity with stock, the rest with the catalog", func(t *testing.T) {
				vars := map[string]any{"loc": f.loc1, "ids": []string{f.variant}}
				ref := gql(t, c.token, `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { variant { id sku trackStock } onHand } }`, vars)
				full := gql(t, c.token, `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { variant { name barcode price { amount } item { name variants { price { amount } } } } } }`, vars)
				switch {
				case !p.Can(identity.ReadInventory):
					if ref.code() != "FORBIDDEN" || full.code() != "FORBIDDEN" {
						t.Fatalf("errors %+v / %+v", ref.Errors, full.Errors)
					}
				case !p.Can(identity.ReadCatalog):
					mustOK(t, ref, "")
					if str(t, ref.Data, "inventory.0.variant.id") != f.variant {
						t.Fatalf("variant reference: %v", ref.Data)
					}
					if full.code() != "FORBIDDEN" || full.Data["inventory"] != nil {
						t.Fatalf("catalog fields read with stock scopes only: %v %+v", full.Data, full.Errors)
					}
				default:
					mustOK(t, ref, "")
					mustOK(t, full, "")
					if num(t, full.Data, "inventory.0.variant.price.amount") != 1200 {
						t.Fatalf("price: %v", full.Data)
					}
				}
			})
			t.Run("a customer's orders", func(t *testing.T) {
				r := gql(t, c.token, `{ customers { nodes { name orders { nodes { id } } } } }`, nil)
				switch {
				case p.Can(identity.ReadCustomers) && p.Can(identity.ReadOrders):
					mustOK(t, r, "")
				default:
					if r.code() != "FORBIDDEN" {
						t.Fatalf("errors %+v, data %v", r.Errors, r.Data)
					}
				}
			})
		})
	}
}

// The table must keep up with the role table: every permission an operation
// declares is one identity knows (a typo would make every caller "denied").
func TestRoles_DeclaredPermissionsExist(t *testing.T) {
	owner := identity.Principal{UserID: "u", Role: identity.Owner}
	all := identity.Principal{APIKeyID: "k", Scopes: identity.AllScopes}
	for name, op := range rootOps {
		if op.access != needsPermission {
			continue
		}
		if !owner.Can(op.perm) && !all.Can(op.perm) {
			t.Errorf("%s declares %q, which no role or scope holds", name, op.perm)
		}
	}
}
