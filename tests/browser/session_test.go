package browser

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/renkei-pos/renkei/shared/identity"
)

const refreshCookie = "__Host-renkei_rt"

// expireNextToken makes the access token of the next GraphQL request the
// page sends an expired one of the same session (signed with the stack's
// key, its expiry passed): what the page holds when its token ran out
// mid-form. Requests after that one go out untouched.
func expireNextToken(t *testing.T, tb *tab) (armed *atomic.Bool) {
	t.Helper()
	armed = new(atomic.Bool)
	paused := chromedp.Events(tb.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(tb.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/graphql"}}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			p := fetch.ContinueRequestParams{RequestID: ev.RequestID}
			auth := header(ev.Request.Headers, "Authorization")
			swapped := false
			if strings.HasPrefix(auth, "Bearer ") && armed.CompareAndSwap(true, false) {
				swapped = true
				expired, err := expiredLike(strings.TrimPrefix(auth, "Bearer "))
				if err != nil {
					t.Errorf("mint an expired token: %v", err)
				} else {
					for k, v := range ev.Request.Headers {
						s, _ := v.(string)
						if strings.EqualFold(k, "Authorization") {
							s = "Bearer " + expired
						}
						p.Headers = append(p.Headers, &fetch.HeaderEntry{Name: k, Value: s})
					}
				}
			}
			if _, err := chromedp.Call(tb.ctx, fetch.ContinueRequest, p); err != nil && tb.ctx.Err() == nil {
				t.Errorf("continue a paused request: %v", err)
			}
			if swapped {
				// One request only: the page's others go out untouched.
				if _, err := chromedp.Call(tb.ctx, fetch.Disable, cdp.Empty{}); err != nil && tb.ctx.Err() == nil {
					t.Errorf("stop pausing requests: %v", err)
				}
			}
		}
	}()
	return armed
}

// expiredLike returns an access token of the same user and session as
// token whose expiry has passed.
func expiredLike(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct {
		Tenant string   `json:"tid"`
		Role   string   `json:"role"`
		Locs   []string `json:"locs"`
		Sid    string   `json:"sid"`
		Sub    string   `json:"sub"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", err
	}
	signer, err := identity.NewSigner(testJWTSecret)
	if err != nil {
		return "", err
	}
	tok, _, err := signer.Issue(identity.User{ID: c.Sub, TenantID: c.Tenant, Role: identity.Role(c.Role), LocationIDs: c.Locs}, c.Sid, time.Now().Add(-identity.AccessTokenTTL-time.Minute))
	return tok, err
}

type tokenError string

func (e tokenError) Error() string { return string(e) }

const errBadToken = tokenError("not a JWT")

// cookies returns the browser context's cookies for the console.
func cookies(t *testing.T, tb *tab) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{local.BaseURL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Cookies
}

// TestSessionExpiresMidForm: the access token runs out while a form is
// being filled; submitting refreshes once (exactly one POST /auth/refresh)
// and saves what was typed. No refresh token is readable by the page: the
// cookie is HttpOnly, and nothing sits in web storage. Logging out revokes
// the session: the old cookie is refused, and a reload shows the log-in.
func TestSessionExpiresMidForm(t *testing.T) {
	m := signUpAPI(t, "期限切れ商店")
	tb := newTab(t)
	// The deliberately expired token's 401 is logged by the browser.
	tb.allow(func(p string) bool { return strings.Contains(p, "/graphql") && strings.Contains(p, "401") })
	tb.logInUI(m.email, testPassword)

	// The refresh token is an HttpOnly cookie the page cannot read.
	var rt *network.Cookie
	for _, c := range cookies(t, tb) {
		if c.Name == refreshCookie {
			rt = c
		}
	}
	if rt == nil || !rt.HTTPOnly || !rt.Secure || rt.SameSite != network.CookieSameSiteStrict {
		t.Fatalf("refresh cookie %+v, want HttpOnly, Secure, SameSite=Strict", rt)
	}
	scriptView := eval[string](tb, `JSON.stringify({cookie: document.cookie, local: Object.entries(localStorage), session: Object.entries(sessionStorage)})`)
	if strings.Contains(scriptView, "renkei_rt") || strings.Contains(scriptView, rt.Value) || strings.Contains(scriptView, "rt_") || strings.Contains(scriptView, "eyJ") {
		t.Fatalf("a token is readable by scripts: %s", scriptView)
	}

	tb.open("/settings")
	form := testid("settings-form")
	tb.waitFor(form+` input[name="businessName"]`, 10*time.Second)
	tb.fill(form+` input[name="businessName"]`, "期限切れ商店 二号店")
	tb.fill(form+` input[name="invoiceRegistrationNumber"]`, "T9876543210987")

	armed := expireNextToken(t, tb)
	armed.Store(true)
	since := time.Now()
	tb.click(testid("settings-save"))
	tb.waitJS("the saved message", `!!document.querySelector('[data-testid="settings-form"] .ok')`, 15*time.Second)
	if armed.Load() {
		t.Fatal("the save went out without the expired token: the test proved nothing")
	}
	if n := tb.countRequests("POST", "/auth/refresh", since); n != 1 {
		t.Fatalf("%d POST /auth/refresh after the token expired, want exactly 1", n)
	}
	if v := eval[string](tb, `document.querySelector('[data-testid="settings-form"] input[name="businessName"]').value`); v != "期限切れ商店 二号店" {
		t.Fatalf("the input after the refresh: %q", v)
	}
	d := gql(t, logInAPI(t, m.email, testPassword), `{ me { tenant { businessName invoiceRegistrationNumber } } }`, nil)
	if getStr(d, "me.tenant.businessName") != "期限切れ商店 二号店" || getStr(d, "me.tenant.invoiceRegistrationNumber") != "T9876543210987" {
		t.Fatalf("the API has %v", d)
	}
	if _, err := chromedp.Call(tb.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	tb.screenshot("settings")

	// Logging out revokes the session.
	var current string
	for _, c := range cookies(t, tb) {
		if c.Name == refreshCookie {
			current = c.Value
		}
	}
	tb.click(`header.topbar [data-testid="logout"]`)
	tb.waitFor(testid("login-form"), 10*time.Second)
	tb.do("reload", chromedp.Reload())
	tb.waitFor(testid("login-form"), 10*time.Second)
	if tb.count(".shell") != 0 {
		t.Fatal("the console's pages after logging out and reloading")
	}
	for _, c := range cookies(t, tb) {
		if c.Name == refreshCookie {
			t.Fatalf("the refresh cookie is still set after logging out")
		}
	}
	if current == "" {
		t.Fatal("no refresh cookie before logging out")
	}
	// The revoked cookie, presented again, is refused.
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, local.BaseURL+"/auth/refresh", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Renkei-Session", "cookie")
	req.AddCookie(&http.Cookie{Name: refreshCookie, Value: current})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refresh with the logged-out cookie: %d, want 401", res.StatusCode)
	}
	tb.screenshot("login")
}

// TestContentSecurityPolicy: every console document carries the CSP, with
// no inline script allowed (newTab's cleanup also fails any test whose
// page logged a CSP violation or a console error).
func TestContentSecurityPolicy(t *testing.T) {
	tb := newTab(t)
	tb.open("/login")
	tb.waitFor(testid("login-form"), 10*time.Second)
	tb.mu.Lock()
	docs := append([]network.Headers(nil), tb.docs...)
	tb.mu.Unlock()
	if len(docs) == 0 {
		t.Fatal("no document response seen")
	}
	csp := header(docs[len(docs)-1], "Content-Security-Policy")
	var script string
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "script-src" {
			script = d
		}
	}
	if script == "" || strings.Contains(script, "unsafe-inline") || strings.Contains(script, "unsafe-eval") || strings.Contains(csp, "http") {
		t.Fatalf("CSP %q: want a script-src without inline scripts and no other origin", csp)
	}
	// An inline script injected by a page bug would be refused: prove the
	// browser enforces the policy (the violation is expected here only).
	tb.allow(func(p string) bool {
		return strings.Contains(p, "Content Security Policy") && strings.Contains(p, "inline")
	})
	ran := eval[bool](tb, `(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = true'; document.head.appendChild(s); return !!window.__inline; })()`)
	if ran {
		t.Fatal("an inline script ran under the console's CSP")
	}
}
