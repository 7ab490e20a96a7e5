package tests

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
)

// freee's authorization-code flow as the console drives it, end to end
// against the fake freee the stack's freee app points at (sharedFreee):
// the authorize URL, the consent page, authorizeFreee, the account options
// read from the company, connect by authorizationId (once), and a mapping
// fixed with updateIntegrationSettings after freee refused a post.

// freeeCallback is a console callback URL (local mode: http on loopback).
const freeeCallback = "http://127.0.0.1:8080/integrations/freee/callback"

const (
	freeeURLQuery     = `query($r: String!, $s: String!) { freeeAuthorizationUrl(redirectUri: $r, state: $s) }`
	authorizeFreeeDoc = `mutation($in: AuthorizeFreeeInput!) { authorizeFreee(input: $in) {
  authorization { id expiresAt companies { id name displayName } } userErrors { field code message } } }`
	freeeOptionsQuery = `query($a: ID, $i: ID, $c: ID!) { freeeAccountOptions(authorizationId: $a, integrationId: $i, companyId: $c) {
  accountItems { id name category } taxes { code name } walletables { id type name } sections { id name } } }`
	updateSettingsDoc = `mutation($in: UpdateIntegrationSettingsInput!) { updateIntegrationSettings(input: $in) {
  integration { id settings } userErrors { field code message } } }`
)

// freeeCompanies numbers the companies the tests add to sharedFreee, so
// each test's deals are its own.
var freeeCompanies atomic.Int64

// newFreeeCompany adds a company like DefaultCompany to sharedFreee.
func newFreeeCompany() freeefake.Company {
	c := freeefake.DefaultCompany()
	c.ID = 7000 + freeeCompanies.Add(1)
	c.Name = "テスト商店 " + strconv.FormatInt(c.ID, 10)
	sharedFreee.AddCompany(c)
	return c
}

const testState = "st_0123456789abcdef"

// consent is the merchant on freee's consent page: the page is shown for
// the URL, then its form is posted with decision (allow or deny) for
// company; it returns the callback URL freee redirects to.
func consent(tb testing.TB, authorizeURL string, company int64, decision string) *url.URL {
	tb.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(authorizeURL)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		tb.Fatalf("consent page: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	u, _ := url.Parse(authorizeURL)
	q := u.Query()
	form := url.Values{"client_id": {q.Get("client_id")}, "redirect_uri": {q.Get("redirect_uri")}, "state": {q.Get("state")},
		"company_id": {strconv.FormatInt(company, 10)}, "decision": {decision}}
	res, err = noFollow.PostForm(sharedFreee.AuthorizeURL, form)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		tb.Fatalf("consent form: %d, want 303", res.StatusCode)
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	return back
}

// authorizeFreee runs the flow up to a pending authorization of company
// and returns its id.
func authorizeFreee(tb testing.TB, token string, company int64) string {
	tb.Helper()
	r := gql(tb, token, freeeURLQuery, map[string]any{"r": freeeCallback, "s": testState})
	mustOK(tb, r, "")
	back := consent(tb, str(tb, r.Data, "freeeAuthorizationUrl"), company, "allow")
	r = gql(tb, token, authorizeFreeeDoc, map[string]any{"in": map[string]any{"code": back.Query().Get("code"), "redirectUri": freeeCallback}})
	mustOK(tb, r, "authorizeFreee")
	return str(tb, r.Data, "authorizeFreee.authorization.id")
}

// userErrorsAt returns the payload's userErrors as "CODE field.path".
func userErrorsAt(tb testing.TB, r gqlResponse, payload string) []string {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("top-level errors: %+v", r.Errors)
	}
	var out []string
	for _, e := range field(tb, r.Data, payload+".userErrors").([]any) {
		m := e.(map[string]any)
		var path []string
		for _, p := range m["field"].([]any) {
			path = append(path, p.(string))
		}
		out = append(out, m["code"].(string)+" "+strings.Join(path, "."))
	}
	return out
}

func TestFreeeOAuth_AuthorizationURL(t *testing.T) {
	m := signUp(t, "freee-url")
	r := gql(t, m.token, freeeURLQuery, map[string]any{"r": freeeCallback, "s": testState})
	mustOK(t, r, "")
	raw := str(t, r.Data, "freeeAuthorizationUrl")
	u, err := url.Parse(raw)
	if err != nil || !strings.HasPrefix(raw, sharedFreee.AuthorizeURL+"?") {
		t.Fatalf("URL %q, want the app's authorize URL %s", raw, sharedFreee.AuthorizeURL)
	}
	want := url.Values{"client_id": {freeefake.ClientID}, "redirect_uri": {freeeCallback}, "response_type": {"code"},
		"state": {testState}, "prompt": {"select_company"}}
	if got := u.Query(); len(got) != len(want) || got.Encode() != want.Encode() {
		t.Fatalf("query %v, want %v", got, want)
	}
	if strings.Contains(raw, freeefake.ClientSecret) {
		t.Fatal("the client secret is in the URL")
	}

	for _, tc := range []struct{ name, redirect, state, field string }{
		{"another path", "https://console.example.com/integrations/other", testState, "redirectUri"},
		{"plain http off loopback", "http://console.example.com/integrations/freee/callback", testState, "redirectUri"},
		{"not http", "ftp://127.0.0.1/integrations/freee/callback", testState, "redirectUri"},
		{"user info", "https://a:b@console.example.com/integrations/freee/callback", testState, "redirectUri"},
		{"a query", "https://console.example.com/integrations/freee/callback?x=1", testState, "redirectUri"},
		{"relative", "/integrations/freee/callback", testState, "redirectUri"},
		{"short state", freeeCallback, "abc", "state"},
		{"state with a space", freeeCallback, "0123456789abcdef ghij", "state"},
		{"long state", freeeCallback, strings.Repeat("a", 129), "state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, m.token, freeeURLQuery, map[string]any{"r": tc.redirect, "s": tc.state})
			if r.code() != "INVALID" || !strings.Contains(r.Errors[0].Message, tc.field) || r.Data["freeeAuthorizationUrl"] != nil {
				t.Fatalf("errors %+v, data %v: want INVALID naming %s", r.Errors, r.Data, tc.field)
			}
		})
	}
	t.Run("https anywhere", func(t *testing.T) {
		r := gql(t, m.token, freeeURLQuery, map[string]any{"r": "https://console.example.com/integrations/freee/callback", "s": testState})
		mustOK(t, r, "")
	})
}

func TestFreeeOAuth_ConsentPage(t *testing.T) {
	m := signUp(t, "freee-consent")
	r := gql(t, m.token, freeeURLQuery, map[string]any{"r": freeeCallback, "s": testState})
	mustOK(t, r, "")
	authorize := str(t, r.Data, "freeeAuthorizationUrl")

	t.Run("allow sends a code and the state back", func(t *testing.T) {
		back := consent(t, authorize, freeefake.DefaultCompanyID, "allow")
		if got := back.Scheme + "://" + back.Host + back.Path; got != freeeCallback || back.Query().Get("state") != testState || back.Query().Get("code") == "" {
			t.Fatalf("redirected to %s", back)
		}
	})
	t.Run("deny sends access_denied back", func(t *testing.T) {
		back := consent(t, authorize, freeefake.DefaultCompanyID, "deny")
		if back.Query().Get("error") != "access_denied" || back.Query().Get("code") != "" || back.Query().Get("state") != testState {
			t.Fatalf("redirected to %s", back)
		}
	})
	t.Run("an unknown client or callback is refused, not redirected", func(t *testing.T) {
		for _, q := range []url.Values{
			{"client_id": {"someone-else"}, "redirect_uri": {freeeCallback}, "response_type": {"code"}},
			{"client_id": {freeefake.ClientID}, "redirect_uri": {"https://evil.example.com/steal"}, "response_type": {"code"}},
		} {
			res, err := http.Get(sharedFreee.AuthorizeURL + "?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("%v: %d, want 400", q, res.StatusCode)
			}
		}
	})
}

// TestFreeeOAuth_ConnectAndFixMapping is the console's whole freee story.
func TestFreeeOAuth_ConnectAndFixMapping(t *testing.T) {
	s := newStore(t, "FreeeOAuth", nil)
	company := newFreeeCompany()
	cid := strconv.FormatInt(company.ID, 10)

	// Consent, then the code exchanged.
	r := gql(t, s.m.token, freeeURLQuery, map[string]any{"r": freeeCallback, "s": testState})
	mustOK(t, r, "")
	back := consent(t, str(t, r.Data, "freeeAuthorizationUrl"), company.ID, "allow")
	code := back.Query().Get("code")
	in := map[string]any{"in": map[string]any{"code": code, "redirectUri": freeeCallback}}
	r = gql(t, s.m.token, authorizeFreeeDoc, in)
	mustOK(t, r, "authorizeFreee")
	authz := str(t, r.Data, "authorizeFreee.authorization.id")
	companies := field(t, r.Data, "authorizeFreee.authorization.companies").([]any)
	if len(companies) != 1 || companies[0].(map[string]any)["id"] != cid || companies[0].(map[string]any)["name"] != company.Name {
		t.Fatalf("companies %v, want %s %s", companies, cid, company.Name)
	}
	if exp, _ := time.Parse(time.RFC3339, str(t, r.Data, "authorizeFreee.authorization.expiresAt")); time.Until(exp) < 50*time.Minute || time.Until(exp) > 61*time.Minute {
		t.Fatalf("expiresAt %v, want in an hour", exp)
	}

	t.Run("a used or made-up code is INVALID on input.code", func(t *testing.T) {
		for _, c := range []string{code, "made-up"} {
			r := gql(t, s.m.token, authorizeFreeeDoc, map[string]any{"in": map[string]any{"code": c, "redirectUri": freeeCallback}})
			if got := userErrorsAt(t, r, "authorizeFreee"); !slices.Equal(got, []string{"INVALID input.code"}) || field(t, r.Data, "authorizeFreee.authorization") != nil {
				t.Fatalf("code %q: userErrors %v", c, got)
			}
		}
	})
	t.Run("a bad redirectUri is INVALID on input.redirectUri", func(t *testing.T) {
		r := gql(t, s.m.token, authorizeFreeeDoc, map[string]any{"in": map[string]any{"code": "x", "redirectUri": "https://evil.example.com/cb"}})
		if got := userErrorsAt(t, r, "authorizeFreee"); !slices.Equal(got, []string{"INVALID input.redirectUri"}) {
			t.Fatalf("userErrors %v", got)
		}
	})

	// The options come from the company, named as freee names them.
	r = gql(t, s.m.token, freeeOptionsQuery, map[string]any{"a": authz, "c": cid})
	mustOK(t, r, "")
	opts := field(t, r.Data, "freeeAccountOptions").(map[string]any)
	find := func(list, key, value string) map[string]any {
		for _, x := range opts[list].([]any) {
			if m := x.(map[string]any); m[key] == value {
				return m
			}
		}
		return nil
	}
	sales := find("accountItems", "name", "売上高")
	std, red, exempt := find("taxes", "name", "課税売上10%"), find("taxes", "name", "課税売上8%（軽）"), find("taxes", "name", "対象外")
	cash, bank := find("walletables", "name", "現金"), find("walletables", "name", "れんけい銀行 普通")
	if sales == nil || std == nil || red == nil || exempt == nil || cash == nil || bank == nil || bank["type"] != "bank_account" || cash["type"] != "wallet" {
		t.Fatalf("options %v", opts)
	}
	if find("taxes", "name", "課税売上5%") != nil {
		t.Fatalf("an unavailable tax code is offered: %v", opts["taxes"])
	}
	if len(opts["walletables"].([]any)) != 4 || find("walletables", "type", "credit_card") == nil || len(opts["sections"].([]any)) != 2 {
		t.Fatalf("walletables or sections %v", opts)
	}
	walletable := func(w map[string]any) map[string]any {
		id, _ := strconv.Atoi(w["id"].(string))
		return map[string]any{"type": w["type"], "id": id}
	}
	salesID, _ := strconv.Atoi(sales["id"].(string))
	mapping := map[string]any{"salesAccountItemId": salesID,
		"taxCodes":    map[string]any{"STANDARD": std["code"], "REDUCED": red["code"], "EXEMPT": exempt["code"]},
		"walletables": map[string]any{"CASH": walletable(cash), "CARD": walletable(bank), "EXTERNAL": walletable(bank)}}

	t.Run("options refuse what they cannot serve", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			vars map[string]any
			code string
		}{
			{"another company", map[string]any{"a": authz, "c": strconv.FormatInt(freeefake.DefaultCompanyID, 10)}, "NOT_FOUND"},
			{"an unknown authorization", map[string]any{"a": "oau_00000000000000000000000000", "c": cid}, "NOT_FOUND"},
			{"both ids", map[string]any{"a": authz, "i": "int_00000000000000000000000000", "c": cid}, "INVALID"},
			{"neither id", map[string]any{"c": cid}, "INVALID"},
			{"a company id that is not one", map[string]any{"a": authz, "c": "abc"}, "INVALID"},
		} {
			r := gql(t, s.m.token, freeeOptionsQuery, tc.vars)
			if r.code() != tc.code || r.Data["freeeAccountOptions"] != nil {
				t.Fatalf("%s: errors %+v, data %v; want %s", tc.name, r.Errors, r.Data, tc.code)
			}
		}
		other := signUp(t, "freee-other")
		if r := gql(t, other.token, freeeOptionsQuery, map[string]any{"a": authz, "c": cid}); r.code() != "NOT_FOUND" {
			t.Fatalf("another tenant read the authorization: %+v", r.Errors)
		}
	})

	// A connect whose mapping freee does not have keeps the authorization,
	// and the token pair it refreshed on the way (the access token had
	// expired): the next connect works with it.
	sharedFreee.ExpireAccessTokens()
	badMapping := map[string]any{"salesAccountItemId": 999, "taxCodes": mapping["taxCodes"], "walletables": mapping["walletables"]}
	r = gql(t, s.m.token, connectMutation, map[string]any{"in": map[string]any{"provider": "FREEE", "name": "freee",
		"settings": map[string]any{"authorizationId": authz, "companyId": company.ID, "accountMapping": badMapping}}})
	if got := userErrorsAt(t, r, "connectIntegration"); !slices.Equal(got, []string{"INVALID input.settings.accountMapping.salesAccountItemId"}) {
		t.Fatalf("a connect with an unknown account item: %v", got)
	}

	// Connect with the authorization: once.
	settings := map[string]any{"authorizationId": authz, "companyId": company.ID, "accountMapping": mapping}
	r = gql(t, s.m.token, connectMutation, map[string]any{"in": map[string]any{"provider": "FREEE", "name": "freee", "settings": settings}})
	mustOK(t, r, "connectIntegration")
	id := str(t, r.Data, "connectIntegration.integration.id")
	stored := field(t, r.Data, "connectIntegration.integration.settings").(map[string]any)
	for _, k := range []string{"authorizationId", "accessToken", "refreshToken"} {
		if _, ok := stored[k]; ok {
			t.Fatalf("stored settings carry %s: %v", k, stored)
		}
	}
	r = gql(t, s.m.token, connectMutation, map[string]any{"in": map[string]any{"provider": "FREEE", "name": "again", "settings": settings}})
	if got := userErrorsAt(t, r, "connectIntegration"); !slices.Equal(got, []string{"INVALID input.settings.authorizationId"}) {
		t.Fatalf("a second connect with the authorization: %v", got)
	}
	if r := gql(t, s.m.token, freeeOptionsQuery, map[string]any{"a": authz, "c": cid}); r.code() != "NOT_FOUND" {
		t.Fatalf("the consumed authorization still reads: %+v", r.Errors)
	}

	// The integration's own tokens read the options too, refreshed once
	// when freee says they expired (the new pair stored: a second read
	// works with it).
	sharedFreee.ExpireAccessTokens()
	refreshes := sharedFreee.Count("POST /public_api/token")
	for range 2 {
		r = gql(t, s.m.token, freeeOptionsQuery, map[string]any{"i": id, "c": cid})
		mustOK(t, r, "")
		if len(field(t, r.Data, "freeeAccountOptions.accountItems").([]any)) != 3 {
			t.Fatalf("options by integration %v", r.Data)
		}
	}
	if n := sharedFreee.Count("POST /public_api/token") - refreshes; n != 1 {
		t.Fatalf("%d token refreshes for two reads after expiry, want 1 (the new pair stored and used)", n)
	}

	// freee stops knowing the sales account: the close's post fails.
	broken := company
	broken.AccountItems = []int64{102, 103}
	sharedFreee.AddCompany(broken)
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("freee-oauth"), cashPayment(2185, 3000))), "checkout")
	date := time.Now().In(tokyo).Format(time.DateOnly)
	mustOK(t, closeRegister(t, s.m.token, closeInput(s.loc, "", date, 2185)), "closeRegister")
	var failed []map[string]any
	eventually(t, 30*time.Second, "the close's post FAILED", func() bool {
		failed = jobsOf(t, s.m.token, id, "FAILED")
		return len(failed) == 1
	})
	if msg, _ := failed[0]["lastError"].(string); !strings.Contains(msg, "勘定科目") {
		t.Fatalf("lastError %q, want freee's own message", msg)
	}

	t.Run("a bad fix is INVALID naming the field and writes nothing", func(t *testing.T) {
		bad := map[string]any{"salesAccountItemId": salesID, "taxCodes": mapping["taxCodes"], "walletables": mapping["walletables"]}
		for _, tc := range []struct {
			settings map[string]any
			want     string
		}{
			{map[string]any{"accountMapping": bad}, "INVALID input.settings.accountMapping.salesAccountItemId"},
			{map[string]any{"companyId": 1}, "INVALID input.settings.companyId"},
			{map[string]any{"startDate": "tomorrow"}, "INVALID input.settings.startDate"},
		} {
			r := gql(t, s.m.token, updateSettingsDoc, map[string]any{"in": map[string]any{"id": id, "settings": tc.settings}})
			if got := userErrorsAt(t, r, "updateIntegrationSettings"); !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("%v: userErrors %v, want %s", tc.settings, got, tc.want)
			}
		}
		got := integrationSettings(t, s.m.token, id)
		if got["accountMapping"].(map[string]any)["salesAccountItemId"] != float64(salesID) || got["startDate"] != nil {
			t.Fatalf("settings changed: %v", got)
		}
		r := gql(t, s.m.token, updateSettingsDoc, map[string]any{"in": map[string]any{"id": "int_00000000000000000000000000", "settings": map[string]any{"startDate": date}}})
		if got := userErrorsAt(t, r, "updateIntegrationSettings"); !slices.Equal(got, []string{"NOT_FOUND input.id"}) {
			t.Fatalf("an unknown integration: %v", got)
		}
	})

	// The fix: 雑収入 (102) from the options, then the job retried.
	r = gql(t, s.m.token, freeeOptionsQuery, map[string]any{"i": id, "c": cid})
	mustOK(t, r, "")
	opts = field(t, r.Data, "freeeAccountOptions").(map[string]any)
	if find("accountItems", "name", "売上高") != nil {
		t.Fatalf("the removed account item is still offered: %v", opts["accountItems"])
	}
	fixed := map[string]any{"salesAccountItemId": 102, "taxCodes": mapping["taxCodes"], "walletables": mapping["walletables"]}
	r = gql(t, s.m.token, updateSettingsDoc, map[string]any{"in": map[string]any{"id": id, "settings": map[string]any{"accountMapping": fixed}}})
	mustOK(t, r, "updateIntegrationSettings")
	if got := field(t, r.Data, "updateIntegrationSettings.integration.settings.accountMapping.salesAccountItemId"); got != float64(102) {
		t.Fatalf("updated settings %v", field(t, r.Data, "updateIntegrationSettings.integration.settings"))
	}
	r = gql(t, s.m.token, `mutation($in: RetryIntegrationJobInput!) { retryIntegrationJob(input: $in) { job { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"id": failed[0]["id"]}})
	mustOK(t, r, "retryIntegrationJob")
	eventually(t, 30*time.Second, "the retried post SUCCEEDED", func() bool {
		return len(jobsOf(t, s.m.token, id, "SUCCEEDED")) == 1
	})
	deals := sharedFreee.Deals(company.ID)
	if len(deals) != 1 || deals[0].Amount() != 2185 || deals[0].Details[0].AccountItemID != 102 {
		t.Fatalf("deals %+v", deals)
	}
	if errs := sharedFreee.ValidationErrors(); len(errs) > 0 {
		t.Fatalf("requests broke freee's schema: %v", errs)
	}
}

// integrationSettings reads an integration's public settings.
func integrationSettings(tb testing.TB, token, id string) map[string]any {
	tb.Helper()
	r := gql(tb, token, `{ integrations { id settings } }`, nil)
	mustOK(tb, r, "")
	for _, n := range field(tb, r.Data, "integrations").([]any) {
		if m := n.(map[string]any); m["id"] == id {
			return m["settings"].(map[string]any)
		}
	}
	tb.Fatalf("integration %s not listed", id)
	return nil
}

func TestFreeeOAuth_UpdateSettingsOfOtherProviders(t *testing.T) {
	m := signUp(t, "freee-webhook")
	id := connectRolesWebhook(t, m.token)
	r := gql(t, m.token, updateSettingsDoc, map[string]any{"in": map[string]any{"id": id, "settings": map[string]any{"url": "http://127.0.0.1:9/x"}}})
	if got := userErrorsAt(t, r, "updateIntegrationSettings"); !slices.Equal(got, []string{"INVALID input.settings"}) {
		t.Fatalf("userErrors %v", got)
	}
}
