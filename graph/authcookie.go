package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
)

// Console sessions (cookie mode, docs/api.md "Console sessions"). A browser
// keeps its access token in memory and never sees its refresh token: signUp
// and logIn sent with "Renkei-Session: cookie" put it into an HttpOnly
// cookie instead of the payload, and POST /auth/refresh and /auth/logout
// read it from there. The custom header is also the CSRF guard: a page of
// another origin cannot send it without a CORS preflight that the API does
// not grant, and the Origin, when a browser sends one, must be the API's
// own or one of Config.ConsoleOrigins.

const (
	// SessionHeader with the value "cookie" asks for cookie mode.
	SessionHeader = "Renkei-Session"
	// RefreshCookie holds a console's refresh token. The __Host- prefix
	// makes browsers accept it only Secure, with Path=/ and no Domain, so no
	// other host (a sibling subdomain) can set or shadow it.
	RefreshCookie = "__Host-renkei_rt"
	// maxAuthBody bounds the body of /auth/* (the console sends "{}").
	maxAuthBody = 1 << 10
)

// cookieSink receives the refresh token of the session a cookie-mode
// request opens; the handler writes it as a Set-Cookie before the body.
type cookieSink struct {
	token   string
	expires time.Time
}

type cookieSinkKey struct{}

// toCookie moves a new session's refresh token out of res into the cookie
// sink of a cookie-mode request; other requests keep it in res.
func toCookie(ctx context.Context, res *identity.SessionResult) {
	sink, _ := ctx.Value(cookieSinkKey{}).(*cookieSink)
	if sink == nil || res.RefreshToken == "" {
		return
	}
	sink.token, sink.expires = res.RefreshToken, res.RefreshExpiresAt
	res.RefreshToken = ""
}

// cookieMode reads SessionHeader: absent is no cookie mode; present, it
// must say "cookie" and come from an allowed origin (FORBIDDEN if not).
func (h *Handler) cookieMode(r *http.Request) (bool, *topError) {
	vals := r.Header.Values(SessionHeader)
	if len(vals) == 0 {
		return false, nil
	}
	if len(vals) != 1 || !strings.EqualFold(strings.TrimSpace(vals[0]), "cookie") {
		return false, &topError{code: apperr.Forbidden, message: SessionHeader + " must be \"cookie\""}
	}
	if !h.originAllowed(r) {
		return false, &topError{code: apperr.Forbidden, message: "this origin may not use console sessions"}
	}
	return true, nil
}

// originAllowed: no Origin (not a browser's cross-origin call), the
// request's own origin, or one of Config.ConsoleOrigins.
func (h *Handler) originAllowed(r *http.Request) bool {
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return true
	}
	if len(origins) > 1 {
		return false
	}
	scheme := "http"
	if r.TLS != nil || r.URL.Scheme == "https" { // the Lambda adapter builds an https URL
		scheme = "https"
	}
	host := r.Host
	if h.cfg.ViewerHostHeader != "" && (h.cfg.OriginVerifySecret == "" || h.viaCDN(r)) {
		// Behind the console's CDN (CloudFront in AWS) the API sees its own
		// host, the browser the CDN's; the CDN's viewer-request function
		// names the viewer's host in this header. A page of another site
		// cannot set it without a preflight the API does not grant.
		if v := r.Header.Get(h.cfg.ViewerHostHeader); v != "" {
			host, scheme = v, "https"
		}
	}
	o := origins[0]
	return o == scheme+"://"+host || slices.Contains(h.cfg.ConsoleOrigins, o)
}

// graphQLCookieMode prepares a GraphQL request: in cookie mode it returns
// ctx with a sink for signUp and logIn to fill.
func (h *Handler) graphQLCookieMode(ctx context.Context, w http.ResponseWriter, r *http.Request) (context.Context, *cookieSink, *topError) {
	on, err := h.cookieMode(r)
	if err != nil || !on {
		return ctx, nil, err
	}
	w.Header().Set("Cache-Control", "no-store")
	sink := &cookieSink{}
	return context.WithValue(ctx, cookieSinkKey{}, sink), sink, nil
}

// flushCookie writes the sink's refresh token as the cookie, if a session
// was opened.
func (h *Handler) flushCookie(w http.ResponseWriter, sink *cookieSink) {
	if sink != nil && sink.token != "" {
		h.setRefreshCookie(w, sink.token, sink.expires)
	}
}

func (h *Handler) setRefreshCookie(w http.ResponseWriter, token string, expires time.Time) {
	now := time.Now
	if h.cfg.Identity != nil && h.cfg.Identity.Now != nil {
		now = h.cfg.Identity.Now
	}
	age := int(expires.Sub(now()) / time.Second)
	if age < 1 {
		clearRefreshCookie(w)
		return
	}
	http.SetCookie(w, refreshCookie(token, age))
}

func clearRefreshCookie(w http.ResponseWriter) { http.SetCookie(w, refreshCookie("", -1)) }

// refreshCookie is the cookie; maxAge < 0 deletes it (Max-Age=0).
func refreshCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: RefreshCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode}
}

// ---- POST /auth/refresh and /auth/logout

// authRoute applies what both endpoints require before fn runs: POST,
// cookie mode from an allowed origin, a JSON body of at most maxAuthBody
// (empty or an object), and the per-address limit of public calls.
// Every answer is Cache-Control: no-store.
func (h *Handler) authRoute(fn func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeAuthError(w, http.StatusMethodNotAllowed, &topError{code: "BAD_REQUEST", message: "use POST"})
			return
		}
		if on, err := h.cookieMode(r); err != nil || !on {
			if err == nil {
				err = &topError{code: apperr.Forbidden, message: "send the header " + SessionHeader + ": cookie"}
			}
			writeAuthError(w, http.StatusForbidden, err)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeAuthError(w, http.StatusUnsupportedMediaType, badRequest("Content-Type must be application/json"))
			return
		}
		if !h.clients.allow(identity.ClientBucket(requestFrom(r.Context()).clientIP)) {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(1/float64(h.cfg.ClientRate)))))
			writeAuthError(w, http.StatusTooManyRequests, &topError{code: apperr.RateLimited, message: "too many requests from this address; slow down"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAuthBody))
		var obj map[string]json.RawMessage
		if err != nil || (len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &obj) != nil) {
			writeAuthError(w, http.StatusBadRequest, badRequest("the body must be a JSON object ({})"))
			return
		}
		fn(w, r)
	}
}

// authSession is the answer of /auth/refresh.
type authSession struct {
	AccessToken string     `json:"accessToken"`
	ExpiresAt   string     `json:"expiresAt"`
	User        authUser   `json:"user"`
	Tenant      authTenant `json:"tenant"`
}

type authUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

type authTenant struct {
	ID           string `json:"id"`
	BusinessName string `json:"businessName"`
}

// serveAuthRefresh rotates the cookie's refresh token (the identity
// service's Refresh: reuse of a rotated-away token revokes the session) and
// answers a new access token. A missing, invalid or ended session is 401
// and clears the cookie.
func (h *Handler) serveAuthRefresh(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := r.Cookie(RefreshCookie)
	if err != nil || c.Value == "" {
		clearRefreshCookie(w)
		writeAuthError(w, http.StatusUnauthorized, &topError{code: apperr.Unauthenticated, message: "no session; log in"})
		return
	}
	res, err := h.cfg.Identity.Refresh(ctx, c.Value)
	if apperr.Is(err, apperr.BadCredentials) {
		clearRefreshCookie(w)
		writeAuthError(w, http.StatusUnauthorized, &topError{code: apperr.Unauthenticated, message: "the session has ended; log in again"})
		return
	}
	if err != nil {
		h.authFault(w, ctx, err)
		return
	}
	h.setRefreshCookie(w, res.RefreshToken, res.RefreshExpiresAt)
	writeJSON(w, http.StatusOK, authSession{
		AccessToken: res.AccessToken, ExpiresAt: res.ExpiresAt.UTC().Format(time.RFC3339),
		User:   authUser{ID: res.User.ID, Name: res.User.Name, Email: res.User.Email, Role: string(res.User.Role)},
		Tenant: authTenant{ID: res.Tenant.ID, BusinessName: res.Tenant.BusinessName},
	})
}

// serveAuthLogout ends the session of the cookie (whatever the state of
// the access token) and, when a valid access token comes along, that
// token's session too; then clears the cookie. With nothing to end it
// still answers loggedOut: logging out is idempotent. A storage fault
// keeps the cookie, so that a retry can finish.
func (h *Handler) serveAuthLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c, err := r.Cookie(RefreshCookie); err == nil && c.Value != "" {
		if err := h.cfg.Identity.EndSessionByRefresh(ctx, c.Value); err != nil {
			h.authFault(w, ctx, err)
			return
		}
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = strings.TrimSpace(tok)
		// An API key is no session: logging out never revokes one.
		if tok != "" && !strings.HasPrefix(tok, identity.APIKeyPrefix) {
			p, err := h.cfg.Identity.Authenticate(ctx, tok)
			if err == nil {
				err = h.cfg.Identity.LogOut(identity.WithPrincipal(ctx, p))
			}
			// An expired or ended token has nothing left to end.
			if err != nil && apperr.CodeOf(err) != apperr.Unauthenticated {
				h.authFault(w, ctx, err)
				return
			}
		}
	}
	clearRefreshCookie(w)
	writeJSON(w, http.StatusOK, map[string]bool{"loggedOut": true})
}

// authFault answers a fault of /auth/*: logged with the request id, shown
// generically (UNAVAILABLE 503 when retryable, else INTERNAL 500).
func (h *Handler) authFault(w http.ResponseWriter, ctx context.Context, err error) {
	te, _ := top(ctx, err).(*topError)
	if te == nil || (te.code != apperr.Unavailable && te.code != apperr.Internal) {
		logFault(ctx, err)
		te = internalError(requestFrom(ctx).id)
	}
	status := http.StatusInternalServerError
	if te.code == apperr.Unavailable {
		status = http.StatusServiceUnavailable
	}
	writeAuthError(w, status, te)
}

// writeAuthError answers {"error":{"code","message"[,"requestId"]}}.
func writeAuthError(w http.ResponseWriter, status int, e *topError) {
	body := map[string]any{"code": string(e.code), "message": e.message}
	if e.requestID != "" {
		body["requestId"] = e.requestID
	}
	writeJSON(w, status, map[string]any{"error": body})
}
