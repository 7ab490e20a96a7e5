package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Console sessions (docs/api.md "Console sessions (cookie mode)"): the
// refresh token lives in an HttpOnly cookie set by the API; the console
// refreshes and logs out through POST /auth/refresh and /auth/logout.

const refreshCookieName = "__Host-renkei_rt"

// consoleCall is one HTTP request as the console's browser would send it.
type consoleCall struct {
	path    string // "/graphql", "/auth/refresh", "/auth/logout"
	body    any    // marshalled as JSON
	noMode  bool   // leave out "Renkei-Session: cookie"
	origin  string
	cookie  string // the refresh cookie's value, if any
	bearer  string
	headers map[string]string
}

type consoleAnswer struct {
	status    int
	header    http.Header
	body      map[string]any
	setCookie []*http.Cookie
	raw       string
}

func (c consoleCall) do(tb testing.TB) consoleAnswer {
	tb.Helper()
	raw, _ := json.Marshal(c.body)
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, local.BaseURL+c.path, bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !c.noMode {
		req.Header.Set("Renkei-Session", "cookie")
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: refreshCookieName, Value: c.cookie})
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := consoleAnswer{status: res.StatusCode, header: res.Header, setCookie: res.Cookies(), raw: string(b)}
	if err := json.Unmarshal(b, &a.body); err != nil {
		tb.Fatalf("%s: status %d, body not JSON: %q", c.path, res.StatusCode, b)
	}
	return a
}

// refreshCookie returns the answer's refresh cookie, failing if it sets none.
func (a consoleAnswer) refreshCookie(tb testing.TB) *http.Cookie {
	tb.Helper()
	for _, c := range a.setCookie {
		if c.Name == refreshCookieName {
			return c
		}
	}
	tb.Fatalf("no %s cookie set (status %d, Set-Cookie %q): %s", refreshCookieName, a.status, a.header.Values("Set-Cookie"), a.raw)
	return nil
}

func (a consoleAnswer) errorCode() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// checkRefreshCookie asserts the cookie's exact attributes as sent on the
// wire: HttpOnly, Secure, SameSite=Strict, Path=/, no Domain, no Expires,
// Max-Age the refresh token's remaining life.
func checkRefreshCookie(tb testing.TB, a consoleAnswer, wantMaxAge time.Duration) string {
	tb.Helper()
	lines := a.header.Values("Set-Cookie")
	if len(lines) != 1 {
		tb.Fatalf("Set-Cookie lines: %q", lines)
	}
	c := a.refreshCookie(tb)
	if !strings.HasPrefix(c.Value, "rt_") {
		tb.Fatalf("cookie value %q is not a refresh token", c.Value)
	}
	prefix := refreshCookieName + "=" + c.Value + "; Path=/; Max-Age="
	rest, ok := strings.CutPrefix(lines[0], prefix)
	if !ok {
		tb.Fatalf("Set-Cookie = %q, want it to start %q", lines[0], prefix)
	}
	age, attrs, _ := strings.Cut(rest, ";")
	if attrs != " HttpOnly; Secure; SameSite=Strict" {
		tb.Fatalf("Set-Cookie attributes after Max-Age: %q", attrs)
	}
	n, err := strconv.Atoi(age)
	if err != nil || time.Duration(n)*time.Second > wantMaxAge || time.Duration(n)*time.Second < wantMaxAge-time.Minute {
		tb.Fatalf("Max-Age = %q, want about %v", age, wantMaxAge)
	}
	return c.Value
}

// checkCleared asserts that the answer deletes the refresh cookie.
func checkCleared(tb testing.TB, a consoleAnswer) {
	tb.Helper()
	want := refreshCookieName + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
	if lines := a.header.Values("Set-Cookie"); len(lines) != 1 || lines[0] != want {
		tb.Fatalf("Set-Cookie = %q, want %q", lines, want)
	}
}

func noCookie(tb testing.TB, a consoleAnswer) {
	tb.Helper()
	if lines := a.header.Values("Set-Cookie"); len(lines) != 0 {
		tb.Fatalf("Set-Cookie = %q, want none", lines)
	}
}

const consoleSessionFields = `accessToken refreshToken expiresAt user { id role } tenant { id } userErrors { code message }`

func consoleSignUp(tb testing.TB, name string) (m merchant, a consoleAnswer) {
	tb.Helper()
	m.email = uniqueEmail(name)
	a = consoleCall{path: "/graphql", body: map[string]any{
		"query":     `mutation($in: SignUpInput!) { signUp(input: $in) { ` + consoleSessionFields + ` } }`,
		"variables": map[string]any{"in": map[string]any{"businessName": name, "email": m.email, "password": testPassword, "ownerName": name + " Owner"}},
	}}.do(tb)
	if a.status != 200 || str(tb, a.body["data"].(map[string]any), "signUp.accessToken") == "" {
		tb.Fatalf("signUp: %d %s", a.status, a.raw)
	}
	d := a.body["data"].(map[string]any)
	m.token, m.tenantID, m.userID = str(tb, d, "signUp.accessToken"), str(tb, d, "signUp.tenant.id"), str(tb, d, "signUp.user.id")
	return m, a
}

func consoleLogIn(tb testing.TB, email, password string, mode bool) consoleAnswer {
	tb.Helper()
	return consoleCall{path: "/graphql", noMode: !mode, body: map[string]any{
		"query":     `mutation($in: LogInInput!) { logIn(input: $in) { ` + consoleSessionFields + ` } }`,
		"variables": map[string]any{"in": map[string]any{"email": email, "password": password}},
	}}.do(tb)
}

func consoleRefresh(tb testing.TB, cookie string) consoleAnswer {
	tb.Helper()
	return consoleCall{path: "/auth/refresh", body: map[string]any{}, cookie: cookie}.do(tb)
}

func TestConsoleAuth_CookieMode(t *testing.T) {
	m, a := consoleSignUp(t, "Console")
	t.Run("signUp puts the refresh token into the cookie only", func(t *testing.T) {
		checkRefreshCookie(t, a, identity.RefreshTokenTTL)
		if rt := field(t, a.body["data"].(map[string]any), "signUp.refreshToken"); rt != nil {
			t.Fatalf("refreshToken in the body: %v", rt)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
		}
	})
	t.Run("logIn in cookie mode", func(t *testing.T) {
		a := consoleLogIn(t, m.email, testPassword, true)
		d := a.body["data"].(map[string]any)
		if str(t, d, "logIn.accessToken") == "" || field(t, d, "logIn.refreshToken") != nil {
			t.Fatalf("logIn: %s", a.raw)
		}
		checkRefreshCookie(t, a, identity.RefreshTokenTTL)
	})
	t.Run("without the header nothing changes", func(t *testing.T) {
		a := consoleLogIn(t, m.email, testPassword, false)
		if rt := str(t, a.body["data"].(map[string]any), "logIn.refreshToken"); !strings.HasPrefix(rt, "rt_") {
			t.Fatalf("refreshToken = %q", rt)
		}
		noCookie(t, a)
	})
	t.Run("a failed logIn sets no cookie", func(t *testing.T) {
		a := consoleLogIn(t, m.email, "wrong wrong wrong", true)
		if codes := userErrorCodes(t, a.body["data"].(map[string]any), "logIn"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
			t.Fatalf("codes %v: %s", codes, a.raw)
		}
		noCookie(t, a)
	})
	t.Run("a foreign origin is refused before anything runs", func(t *testing.T) {
		a := consoleCall{path: "/graphql", origin: "https://evil.example", body: map[string]any{
			"query":     `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
			"variables": map[string]any{"in": map[string]any{"email": m.email, "password": testPassword}},
		}}.do(t)
		if a.status != 403 || !strings.Contains(a.raw, `"FORBIDDEN"`) {
			t.Fatalf("status %d %s", a.status, a.raw)
		}
		noCookie(t, a)
	})
	t.Run("a cashier logs in (the console tells them it is for managers)", func(t *testing.T) {
		email := uniqueEmail("cashier")
		r := gql(t, m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"email": email, "name": "Kassa", "role": "CASHIER", "password": testPassword}})
		mustOK(t, r, "createStaff")
		a := consoleLogIn(t, email, testPassword, true)
		if role := str(t, a.body["data"].(map[string]any), "logIn.user.role"); role != "CASHIER" {
			t.Fatalf("role %q: %s", role, a.raw)
		}
		rf := consoleRefresh(t, checkRefreshCookie(t, a, identity.RefreshTokenTTL))
		if rf.status != 200 || str(t, rf.body, "user.role") != "CASHIER" {
			t.Fatalf("refresh: %d %s", rf.status, rf.raw)
		}
	})
}

func TestConsoleAuth_RefreshRotates(t *testing.T) {
	m, a := consoleSignUp(t, "Rotate")
	first := checkRefreshCookie(t, a, identity.RefreshTokenTTL)

	r := consoleRefresh(t, first)
	if r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.raw)
	}
	second := checkRefreshCookie(t, r, identity.RefreshTokenTTL)
	if second == first {
		t.Fatal("the cookie was not rotated")
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	// Exactly the documented shape.
	var shape struct {
		AccessToken, ExpiresAt string
		User                   struct{ ID, Name, Email, Role string }
		Tenant                 struct{ ID, BusinessName string }
	}
	dec := json.NewDecoder(strings.NewReader(r.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil {
		t.Fatalf("%s: %v", r.raw, err)
	}
	exp, err := time.Parse(time.RFC3339, shape.ExpiresAt)
	if err != nil || time.Until(exp) > identity.AccessTokenTTL || time.Until(exp) < identity.AccessTokenTTL-time.Minute {
		t.Fatalf("expiresAt %q", shape.ExpiresAt)
	}
	if shape.User.ID != m.userID || shape.User.Email != strings.ToLower(m.email) || shape.User.Name != "Rotate Owner" || shape.User.Role != "OWNER" ||
		shape.Tenant.ID != m.tenantID || shape.Tenant.BusinessName != "Rotate" {
		t.Fatalf("answer %+v", shape)
	}
	accepted(t, apiURL, shape.AccessToken)

	// The rotated-away cookie is reuse: refused and cleared, and the whole
	// session ends with it (the newer cookie and its access token too).
	old := consoleRefresh(t, first)
	if old.status != 401 || old.errorCode() != "UNAUTHENTICATED" {
		t.Fatalf("old cookie: %d %s", old.status, old.raw)
	}
	checkCleared(t, old)
	if again := consoleRefresh(t, second); again.status != 401 {
		t.Fatalf("the session survived reuse: %d %s", again.status, again.raw)
	}
	refused(t, apiURL, shape.AccessToken)
}

func TestConsoleAuth_RefreshRefusals(t *testing.T) {
	_, a := consoleSignUp(t, "Refusals")
	cookie := checkRefreshCookie(t, a, identity.RefreshTokenTTL)
	for _, tc := range []struct {
		name   string
		call   consoleCall
		status int
		code   string
	}{
		{"without the header", consoleCall{noMode: true}, 403, "FORBIDDEN"},
		{"from a foreign origin", consoleCall{origin: "https://evil.example"}, 403, "FORBIDDEN"},
		{"from a sibling port", consoleCall{origin: "http://127.0.0.1:1"}, 403, "FORBIDDEN"},
		{"as a form", consoleCall{headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "BAD_REQUEST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.path, tc.call.body, tc.call.cookie = "/auth/refresh", map[string]any{}, cookie
			r := tc.call.do(t)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			noCookie(t, r)
		})
	}
	// The cookie was never used: it still refreshes, from the API's own origin.
	r := consoleCall{path: "/auth/refresh", body: map[string]any{}, cookie: cookie, origin: local.BaseURL}.do(t)
	if r.status != 200 {
		t.Fatalf("own origin: %d %s", r.status, r.raw)
	}
	checkRefreshCookie(t, r, identity.RefreshTokenTTL)

	unknown := "rt_" + ids.New(ids.Session) + "." + strings.Repeat("a", 43)
	for name, c := range map[string]string{"no cookie": "", "garbage": "rt_garbage", "unknown session": unknown} {
		t.Run(name, func(t *testing.T) {
			r := consoleRefresh(t, c)
			if r.status != 401 || r.errorCode() != "UNAUTHENTICATED" || strings.Contains(r.raw, "rt_") {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			checkCleared(t, r)
		})
	}
}

// sessionOf reads the session id out of an access token's claims.
func sessionOf(tb testing.TB, access string) string {
	tb.Helper()
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWT: %q", access)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Sid string }
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sid == "" {
		tb.Fatalf("claims %q: %v", raw, err)
	}
	return c.Sid
}

func TestConsoleAuth_LogOut(t *testing.T) {
	signer, err := identity.NewSigner(testJWTSecret)
	if err != nil {
		t.Fatal(err)
	}
	logOut := func(tb testing.TB, cookie, bearer string) consoleAnswer {
		tb.Helper()
		a := consoleCall{path: "/auth/logout", body: map[string]any{}, cookie: cookie, bearer: bearer}.do(tb)
		if a.status != 200 || strings.TrimSpace(a.raw) != `{"loggedOut":true}` {
			tb.Fatalf("logout: %d %s", a.status, a.raw)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			tb.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
		}
		checkCleared(tb, a)
		return a
	}

	t.Run("with an expired access token, the cookie's session ends", func(t *testing.T) {
		m, a := consoleSignUp(t, "Logout")
		cookie := checkRefreshCookie(t, a, identity.RefreshTokenTTL)
		owner := identity.User{ID: m.userID, TenantID: m.tenantID, Role: identity.Owner}
		expired, _, err := signer.Issue(owner, sessionOf(t, m.token), time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		refused(t, apiURL, expired) // the test's token really is expired
		logOut(t, cookie, expired)
		if r := consoleRefresh(t, cookie); r.status != 401 {
			t.Fatalf("refresh after logout: %d %s", r.status, r.raw)
		}
		refused(t, apiURL, m.token) // the session's live access token stops too
		logOut(t, cookie, "")       // again: nothing left, still loggedOut
	})
	t.Run("a rotated-away cookie still ends its session", func(t *testing.T) {
		_, a := consoleSignUp(t, "Stale")
		first := checkRefreshCookie(t, a, identity.RefreshTokenTTL)
		r := consoleRefresh(t, first)
		second := checkRefreshCookie(t, r, identity.RefreshTokenTTL)
		access, _ := r.body["accessToken"].(string)
		logOut(t, first, "")
		if r := consoleRefresh(t, second); r.status != 401 {
			t.Fatalf("refresh after logout: %d %s", r.status, r.raw)
		}
		refused(t, apiURL, access)
	})
	t.Run("the bearer's session ends too", func(t *testing.T) {
		m, a := consoleSignUp(t, "Both")
		cookie := checkRefreshCookie(t, a, identity.RefreshTokenTTL)
		pos := consoleLogIn(t, m.email, testPassword, false) // another session, a POS app's
		posAccess := str(t, pos.body["data"].(map[string]any), "logIn.accessToken")
		posRefresh := str(t, pos.body["data"].(map[string]any), "logIn.refreshToken")
		logOut(t, cookie, posAccess)
		refused(t, apiURL, m.token)
		refused(t, apiURL, posAccess)
		rr := gql(t, "", refreshMutation, map[string]any{"in": map[string]any{"refreshToken": posRefresh}})
		if codes := userErrorCodes(t, rr.Data, "refreshSession"); len(codes) != 1 || codes[0] != "BAD_CREDENTIALS" {
			t.Fatalf("the bearer's session still refreshes: %v", codes)
		}
	})
	t.Run("other sessions and API keys stay", func(t *testing.T) {
		m, a := consoleSignUp(t, "Others")
		cookie := checkRefreshCookie(t, a, identity.RefreshTokenTTL)
		other := logIn(t, m.email, testPassword)
		key, _ := createAPIKey(t, m, "CATALOG_READ")
		logOut(t, cookie, key)
		accepted(t, apiURL, other)
		accepted(t, apiURL, key)
	})
	t.Run("a cookie of someone else's session must be a token it issued", func(t *testing.T) {
		m, a := consoleSignUp(t, "Forged")
		cookie := checkRefreshCookie(t, a, identity.RefreshTokenTTL)
		sid, _, _ := strings.Cut(strings.TrimPrefix(cookie, "rt_"), ".")
		logOut(t, "rt_"+sid+"."+strings.Repeat("A", 43), "")
		accepted(t, apiURL, m.token)
		if r := consoleRefresh(t, cookie); r.status != 200 {
			t.Fatalf("a forged cookie ended the session: %d %s", r.status, r.raw)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		for name, c := range map[string]consoleCall{
			"without the header":    {noMode: true},
			"from a foreign origin": {origin: "https://evil.example"},
		} {
			c.path, c.body = "/auth/logout", map[string]any{}
			if a := c.do(t); a.status != 403 || a.errorCode() != "FORBIDDEN" {
				t.Fatalf("%s: %d %s", name, a.status, a.raw)
			} else {
				noCookie(t, a)
			}
		}
	})
}
