package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/identity"
)

// authCall is one request to an /auth/* endpoint of h.
type authCall struct {
	method, path, body, contentType, session, origin, cookie, bearer, viewerHost string
}

func (c authCall) do(tb testing.TB, h http.Handler) *httptest.ResponseRecorder {
	tb.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	r := httptest.NewRequest(c.method, "http://api.example.com"+c.path, strings.NewReader(c.body))
	for k, v := range map[string]string{"Content-Type": c.contentType, SessionHeader: c.session, "Origin": c.origin, "Authorization": c.bearer} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	if c.viewerHost != "" {
		r.Header.Set("Renkei-Viewer-Host", c.viewerHost)
	}
	if c.cookie != "" {
		r.AddCookie(&http.Cookie{Name: RefreshCookie, Value: c.cookie})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func authErrorCode(tb testing.TB, w *httptest.ResponseRecorder) string {
	tb.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		tb.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return body.Error.Code
}

// The refusals happen before the identity service is reached (testHandler
// has no store: reaching one would panic into a 500).
func TestAuthRoutes_RefuseBeforeAnyWork(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	h.cfg.ConsoleOrigins = []string{"https://console.example.com"}
	ok := authCall{path: "/auth/refresh", body: "{}", contentType: "application/json", session: "cookie"}
	with := func(f func(*authCall)) authCall { c := ok; f(&c); return c }
	tests := []struct {
		name   string
		call   authCall
		status int
		code   string
	}{
		{"GET", with(func(c *authCall) { c.method = http.MethodGet }), 405, "BAD_REQUEST"},
		{"no session header", with(func(c *authCall) { c.session = "" }), 403, "FORBIDDEN"},
		{"other session header", with(func(c *authCall) { c.session = "token" }), 403, "FORBIDDEN"},
		{"foreign origin", with(func(c *authCall) { c.origin = "https://evil.example" }), 403, "FORBIDDEN"},
		{"own host, other scheme", with(func(c *authCall) { c.origin = "https://api.example.com" }), 403, "FORBIDDEN"},
		{"null origin", with(func(c *authCall) { c.origin = "null" }), 403, "FORBIDDEN"},
		{"form post", with(func(c *authCall) { c.contentType = "application/x-www-form-urlencoded" }), 415, "BAD_REQUEST"},
		{"not JSON", with(func(c *authCall) { c.body = "token=1" }), 400, "BAD_REQUEST"},
		{"too big", with(func(c *authCall) { c.body = `{"a":"` + strings.Repeat("x", maxAuthBody) + `"}` }), 400, "BAD_REQUEST"},
		{"own origin, no cookie", with(func(c *authCall) { c.origin = "http://api.example.com" }), 401, "UNAUTHENTICATED"},
		{"console origin, no cookie", with(func(c *authCall) { c.origin = "https://console.example.com" }), 401, "UNAUTHENTICATED"},
		{"empty body, no cookie", with(func(c *authCall) { c.body = "" }), 401, "UNAUTHENTICATED"},
		{"garbage cookie", with(func(c *authCall) { c.cookie = "nope" }), 401, "UNAUTHENTICATED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.call.do(t, h)
			if w.Code != tc.status || authErrorCode(t, w) != tc.code {
				t.Fatalf("status %d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
			}
			setCookie := w.Header().Get("Set-Cookie")
			if tc.status == 401 {
				if !strings.HasPrefix(setCookie, RefreshCookie+"=;") || !strings.Contains(setCookie, "Max-Age=0") {
					t.Errorf("401 does not clear the cookie: %q", setCookie)
				}
			} else if setCookie != "" {
				t.Errorf("refusal sets a cookie: %q", setCookie)
			}
		})
	}
}

// Behind CloudFront the browser's Origin is the distribution's, the API's
// host its own: the viewer-request function names the distribution's host
// in ViewerHostHeader, and only an https Origin of exactly that host passes.
func TestAuthRoutes_ViewerHostHeader(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	call := authCall{path: "/auth/refresh", body: "{}", contentType: "application/json", session: "cookie",
		origin: "https://d111.cloudfront.net", viewerHost: "d111.cloudfront.net"}
	if w := call.do(t, h); w.Code != 403 {
		t.Fatalf("without ViewerHostHeader configured: %d %s, want 403", w.Code, w.Body)
	}
	h.cfg.ViewerHostHeader = "Renkei-Viewer-Host"
	if w := call.do(t, h); w.Code != 401 || authErrorCode(t, w) != "UNAUTHENTICATED" {
		t.Fatalf("console origin through the CDN: %d %s, want 401 (allowed, no cookie)", w.Code, w.Body)
	}
	for _, bad := range []authCall{
		func() authCall { c := call; c.origin = "http://d111.cloudfront.net"; return c }(),
		func() authCall { c := call; c.origin = "https://evil.example"; return c }(),
		func() authCall { c := call; c.viewerHost = "evil.example"; return c }(),
	} {
		if w := bad.do(t, h); w.Code != 403 {
			t.Errorf("origin %q via host %q: %d, want 403", bad.origin, bad.viewerHost, w.Code)
		}
	}
}

// With the origin-verify secret configured, Renkei-Viewer-Host counts only
// on requests that carry the secret (they came through CloudFront).
func TestAuthRoutes_ViewerHostNeedsTheOriginSecretWhenSet(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	h.cfg.ViewerHostHeader = "Renkei-Viewer-Host"
	h.cfg.OriginVerifySecret = "origin-verify-secret"
	call := func(secret string) int {
		r := httptest.NewRequest(http.MethodPost, "http://api.example.com/auth/refresh", strings.NewReader("{}"))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(SessionHeader, "cookie")
		r.Header.Set("Origin", "https://d111.cloudfront.net")
		r.Header.Set("Renkei-Viewer-Host", "d111.cloudfront.net")
		if secret != "" {
			r.Header.Set(OriginVerifyHeader, secret)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := call("origin-verify-secret"); c != 401 {
		t.Fatalf("through the CDN: %d, want 401 (allowed, no cookie)", c)
	}
	for _, s := range []string{"", "wrong"} {
		if c := call(s); c != 403 {
			t.Fatalf("viewer host without the secret (%q): %d, want 403", s, c)
		}
	}
}

func TestAuthRoutes_RateLimited(t *testing.T) {
	h := testHandler(t, 1, 2)
	call := authCall{path: "/auth/logout", body: "{}", contentType: "application/json", session: "cookie"}
	for range 2 {
		if w := call.do(t, h); w.Code != 200 {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
	}
	w := call.do(t, h)
	if w.Code != 429 || authErrorCode(t, w) != "RATE_LIMITED" || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("status %d %s, Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
}

// Logging out with nothing to end (no cookie, a cookie that names no
// session, an expired access token) still answers loggedOut and clears.
func TestAuthLogout_Idempotent(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	signer, _ := identity.NewSigner([]byte("handler-test-signing-key-0123456789"))
	expired, _, err := signer.Issue(identity.User{ID: "usr_x", TenantID: "tnt_x", Role: identity.Owner}, "ses_x", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]authCall{
		"no cookie":      {},
		"garbage cookie": {cookie: "rt_nothing"},
		"expired bearer": {bearer: "Bearer " + expired},
		"garbage bearer": {bearer: "Bearer x"},
	} {
		t.Run(name, func(t *testing.T) {
			c.path, c.body, c.contentType, c.session = "/auth/logout", "{}", "application/json", "cookie"
			w := c.do(t, h)
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"loggedOut":true}` {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			if sc := w.Header().Get("Set-Cookie"); sc != RefreshCookie+"=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict" {
				t.Fatalf("Set-Cookie = %q", sc)
			}
		})
	}
}

func TestGraphQL_CookieModeOrigin(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	for _, tc := range []struct {
		session, origin string
		status          int
	}{
		{"cookie", "https://evil.example", 403},
		{"bearer", "", 403},
		{"cookie", "http://api.example.com", 400}, // admitted, then refused as an invalid document
		{"", "https://evil.example", 400},         // not cookie mode: CORS is the browser's business
	} {
		r := httptest.NewRequest(http.MethodPost, "http://api.example.com/graphql", strings.NewReader(`{"query":"{ nope }"}`))
		r.Header.Set("Content-Type", "application/json")
		if tc.session != "" {
			r.Header.Set(SessionHeader, tc.session)
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s from %q: status %d %s", tc.session, tc.origin, w.Code, w.Body)
		}
	}
}

func TestToCookie(t *testing.T) {
	exp := time.Now().Add(identity.RefreshTokenTTL)
	res := identity.SessionResult{RefreshToken: "rt_x", RefreshExpiresAt: exp}
	toCookie(context.Background(), &res)
	if res.RefreshToken != "rt_x" {
		t.Fatal("a request without cookie mode lost its refresh token")
	}
	sink := &cookieSink{}
	toCookie(context.WithValue(context.Background(), cookieSinkKey{}, sink), &res)
	if res.RefreshToken != "" || sink.token != "rt_x" || !sink.expires.Equal(exp) {
		t.Fatalf("res %+v, sink %+v", res, sink)
	}
}

// Behind CloudFront every request comes from an edge address: with the
// origin-verify secret the per-address limit counts the viewer CloudFront
// names instead; without it (or with a wrong one) that header is ignored,
// so a client calling the API directly cannot pick its own address.
func TestClientIP_ViewerAddressOnlyWithTheOriginSecret(t *testing.T) {
	h := testHandler(t, 1, 2)
	h.cfg.OriginVerifySecret = "origin-verify-secret"
	logout := func(viewer, secret string) int {
		r := httptest.NewRequest(http.MethodPost, "http://api.example.com/auth/logout", strings.NewReader("{}"))
		r.RemoteAddr = "198.51.100.7:443" // one CloudFront edge
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(SessionHeader, "cookie")
		r.Header.Set(ViewerAddressHeader, viewer)
		if secret != "" {
			r.Header.Set(OriginVerifyHeader, secret)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for range 2 {
		if c := logout("203.0.113.1", "origin-verify-secret"); c != 200 {
			t.Fatalf("viewer 1: %d", c)
		}
	}
	if c := logout("203.0.113.1", "origin-verify-secret"); c != 429 {
		t.Fatalf("viewer 1 past its burst: %d, want 429", c)
	}
	if c := logout("203.0.113.2", "origin-verify-secret"); c != 200 {
		t.Fatalf("viewer 2 behind the same edge: %d, want 200 (a bucket of its own)", c)
	}
	// Without the secret, or with a wrong one, the edge's own address
	// counts: two calls fill it whatever viewer they name.
	for i, secret := range []string{"", "wrong-secret"} {
		if c := logout("203.0.113."+strconv.Itoa(10+i), secret); c != 200 {
			t.Fatalf("unverified call %d: %d", i, c)
		}
	}
	if c := logout("203.0.113.99", "not-it"); c != 429 {
		t.Fatalf("an unverified viewer header picked a fresh bucket: %d, want 429", c)
	}
	// A malformed viewer address falls back to the connection's (full).
	if c := logout("not-an-ip", "origin-verify-secret"); c != 429 {
		t.Fatalf("malformed viewer address: %d, want 429 (the edge's bucket)", c)
	}
}
