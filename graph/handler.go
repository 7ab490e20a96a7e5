package graph

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/renkei-pos/renkei/graph/schema"
	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
	"github.com/renkei-pos/renkei/shared/identity"
)

// Limits of one GraphQL request.
const (
	MaxBodyBytes   = 1 << 20 // offline sync batches of 500 sales fit comfortably
	MaxQueryLength = 20000
	MaxDepth       = 13 // GraphiQL's introspection query is 13 deep
	MaxSelections  = 1000
	// MaxCost bounds a request's price (see cost.go). The largest read a
	// client legitimately makes, a location's whole stock list (5,000
	// levels) with what a stock screen shows, costs about 46,000.
	MaxCost = 50000
	// MaxOverlapPairs bounds graphql-go's check that same-named fields
	// merge, which is quadratic in them.
	MaxOverlapPairs = 10000
)

// Config wires the gateway to the application services.
type Config struct {
	Services
	Logger *slog.Logger
	// Health reports whether every dependency answers (GET /healthz).
	Health func(ctx context.Context) error
	// TenantRate and TenantBurst limit requests per tenant per second, per
	// process unless TenantLimiter is set; ClientRate/ClientBurst limit
	// unauthenticated requests per client address, always per process.
	TenantRate, TenantBurst int
	ClientRate, ClientBurst int
	// TenantLimiter, when set, decides the per-tenant limit instead
	// (shared/quota holds it platform-wide); TenantRate/TenantBurst are then
	// its business.
	TenantLimiter TenantLimiter
	// Playground serves GraphiQL at GET /graphiql (local mode).
	Playground bool
	// Routes are other handlers served beside /graphql, by ServeMux pattern
	// (e.g. "POST /webhooks/stripe"), with the same request id and recovery.
	Routes map[string]http.Handler
	// RequestBudget bounds every request (0: deadline.Request), in the
	// Lambda (whose context already ends 2 s before the invocation's) and
	// in the local server alike; what runs out answers UNAVAILABLE.
	RequestBudget time.Duration
	// ConsoleOrigins are the origins (e.g. "https://console.example.com"),
	// besides the API's own, whose pages may use console sessions
	// (authcookie.go: cookie-mode signUp/logIn, POST /auth/refresh, /auth/logout).
	ConsoleOrigins []string
	// ViewerHostHeader, when set, is the header in which the CDN in front of
	// the console and the API (CloudFront, infra/console.go) names the host
	// the browser asked for: an https Origin of that host is the API's own.
	ViewerHostHeader string
	// OriginVerifySecret, when set, is the value the CDN in front of the
	// console (CloudFront) sends in OriginVerifyHeader: a request that
	// carries it came through the CDN, so the viewer's address it names in
	// ViewerAddressHeader is the client's (the per-address limits count the
	// merchant, not the CDN's edge). Without the secret the header is ignored.
	OriginVerifySecret string
}

// The headers CloudFront adds on the console's API paths (infra/console.go).
const (
	OriginVerifyHeader  = "Renkei-Origin-Verify"
	ViewerAddressHeader = "Renkei-Viewer-Address"
)

// Handler is the HTTP face of the API: POST /graphql, GET /healthz and,
// locally, GraphiQL at GET /graphiql.
type Handler struct {
	cfg     Config
	schema  *graphql.Schema
	mux     *http.ServeMux
	tenants TenantLimiter
	clients *keyedLimiter
	cost    *costModel
}

// NewHandler parses the schema against the resolvers and builds the routes.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TenantRate == 0 {
		cfg.TenantRate = DefaultTenantRate
	}
	if cfg.TenantBurst == 0 {
		cfg.TenantBurst = 2 * cfg.TenantRate
	}
	if cfg.TenantLimiter == nil {
		cfg.TenantLimiter = perProcess{newKeyedLimiter(float64(cfg.TenantRate), cfg.TenantBurst)}
	}
	if cfg.ClientRate == 0 {
		cfg.ClientRate = 5
	}
	if cfg.ClientBurst == 0 {
		cfg.ClientBurst = 4 * cfg.ClientRate
	}
	if cfg.RequestBudget <= 0 {
		cfg.RequestBudget = deadline.Request
	}
	s, err := graphql.ParseSchema(schema.String(), &Resolver{svc: cfg.Services},
		graphql.UseFieldResolvers(),
		graphql.MaxDepth(MaxDepth),
		graphql.MaxQueryLength(MaxQueryLength),
		graphql.MaxSelections(MaxSelections),
		graphql.RestrictIntrospection(func(ctx context.Context) bool {
			_, err := identity.PrincipalFrom(ctx)
			return err == nil
		}),
		graphql.OverlapValidationLimit(MaxOverlapPairs),
		graphql.PanicHandler(panicHandler{cfg.Logger}),
		graphql.Logger(quietLogger{cfg.Logger}),
	)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	cost, err := newCostModel(schema.String(), fieldCosts)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, schema: s, mux: http.NewServeMux(), cost: cost,
		tenants: cfg.TenantLimiter,
		clients: newKeyedLimiter(float64(cfg.ClientRate), cfg.ClientBurst)}
	h.mux.HandleFunc("/graphql", h.serveGraphQL)
	h.mux.HandleFunc("GET /healthz", h.serveHealth)
	h.mux.HandleFunc("/auth/refresh", h.authRoute(h.serveAuthRefresh))
	h.mux.HandleFunc("/auth/logout", h.authRoute(h.serveAuthLogout))
	if cfg.Playground {
		h.mux.HandleFunc("GET /graphiql", servePlayground)
	}
	for pattern, route := range cfg.Routes {
		h.mux.Handle(pattern, route)
	}
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{id: newRequestID(), clientIP: h.clientIP(r)}
	rq.log = h.cfg.Logger.With(slog.String("requestId", rq.id))
	w.Header().Set("X-Request-Id", rq.id)
	defer func() {
		if p := recover(); p != nil {
			rq.log.Error("panic", slog.Any("panic", p))
			writeErrors(w, http.StatusInternalServerError, internalError(rq.id))
		}
	}()
	ctx, cancel := deadline.Within(r.Context(), h.cfg.RequestBudget)
	defer cancel()
	h.mux.ServeHTTP(w, r.WithContext(withRequest(ctx, rq)))
}

func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if h.cfg.Health != nil {
		if err := h.cfg.Health(ctx); err != nil {
			requestFrom(ctx).log.Warn("health check failed", slog.String("error", err.Error()))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"status":"unavailable"}`)
			return
		}
	}
	_, _ = io.WriteString(w, `{"status":"ok"}`)
}

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func (h *Handler) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, badRequest("use POST with a JSON body"))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeErrors(w, http.StatusUnsupportedMediaType, badRequest("Content-Type must be application/json"))
		return
	}
	ctx, sink, cerr := h.graphQLCookieMode(ctx, w, r)
	if cerr != nil {
		writeErrors(w, http.StatusForbidden, cerr)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeErrors(w, http.StatusRequestEntityTooLarge, badRequest(fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)))
			return
		}
		writeErrors(w, http.StatusBadRequest, badRequest("could not read the request body"))
		return
	}
	req, perr := parseRequest(body)
	if perr != nil {
		writeErrors(w, http.StatusBadRequest, perr)
		return
	}
	if len(req.Query) > MaxQueryLength {
		writeErrors(w, http.StatusBadRequest, badRequest(fmt.Sprintf("query is longer than %d characters", MaxQueryLength)))
		return
	}
	// Cheap and linear first: parse, check and price the document. Only
	// then authenticate, rate-limit and run what was priced.
	pl, perr := h.cost.plan(req.Query, req.OperationName, req.Variables)
	if perr != nil {
		writeErrors(w, http.StatusBadRequest, perr)
		return
	}
	ctx, status, aerr := h.admit(ctx, r, pl)
	if aerr != nil {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="renkei"`)
		}
		writeErrors(w, status, aerr)
		return
	}
	ctx = withLoaders(ctx, h.cfg.Services)
	resp := h.schema.Exec(ctx, pl.document, pl.operationName, req.Variables)
	if ctx.Err() != nil {
		// The budget ran out (or the client left): graphql-go drops what
		// ran and answers the context's error. Whatever a mutation wrote
		// was one idempotent transaction: the same key replays it.
		logFault(ctx, ctx.Err())
		writeErrors(w, http.StatusOK, unavailableError(ctx))
		return
	}
	remap(resp.Errors, pl.marks)
	sanitize(ctx, resp.Errors)
	status = http.StatusOK
	if ranNothing(resp) {
		status = http.StatusBadRequest
	}
	h.flushCookie(w, sink)
	writeJSON(w, status, resp)
}

// ranNothing reports whether graphql-go refused the document itself
// (validation, or the selections limit it checks as execution starts):
// then no resolver ran and the answer is a request error.
func ranNothing(resp *graphql.Response) bool {
	if len(resp.Errors) == 0 {
		return false
	}
	if len(resp.Data) != 0 && string(resp.Data) != "null" {
		return false
	}
	for _, e := range resp.Errors {
		if e.ResolverError != nil {
			return false
		}
	}
	return true
}

func parseRequest(body []byte) (gqlRequest, *topError) {
	var req gqlRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return req, badRequest("request body must be a JSON object with a query string")
	}
	if dec.More() {
		return req, badRequest("request body must hold exactly one JSON object")
	}
	if strings.TrimSpace(req.Query) == "" {
		return req, badRequest("query is required")
	}
	if len(req.OperationName) > 200 {
		return req, badRequest("operationName is too long")
	}
	return req, nil
}

// admit resolves the bearer credential (if any) into a principal and
// applies the rate limits:
//   - per client address: requests without a credential, requests holding
//     a session mutation (whatever their credential), and failed credential
//     lookups, which count against the address so keys cannot be sprayed
//     for free; an address over its budget gets no credential lookup at all;
//   - per tenant: every authenticated request.
func (h *Handler) admit(ctx context.Context, r *http.Request, pl *plan) (context.Context, int, *topError) {
	rq := requestFrom(ctx)
	addr := identity.ClientBucket(rq.clientIP)
	slowDown := func() (context.Context, int, *topError) {
		return ctx, http.StatusTooManyRequests, &topError{message: "too many requests from this address; slow down", code: apperr.RateLimited}
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		if !h.clients.allow(addr) {
			return slowDown()
		}
		return ctx, 0, nil
	}
	if h.clients.exhausted(addr) {
		return slowDown()
	}
	p, status, err := h.authenticate(ctx, authz)
	if err != nil {
		if status == http.StatusUnauthorized && !h.clients.allow(addr) {
			return slowDown()
		}
		return ctx, status, err
	}
	if pl.sessionOps > 0 && !h.clients.allow(addr) {
		return slowDown()
	}
	if !h.tenants.Allow(ctx, p.TenantID) {
		return ctx, http.StatusTooManyRequests, &topError{message: "this tenant is sending too many requests; slow down", code: apperr.RateLimited}
	}
	rq.log = rq.log.With(slog.String("tenantId", p.TenantID))
	return identity.WithPrincipal(ctx, p), 0, nil
}

// authenticate checks an Authorization header.
func (h *Handler) authenticate(ctx context.Context, authz string) (identity.Principal, int, *topError) {
	token, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return identity.Principal{}, http.StatusUnauthorized, &topError{message: "Authorization must be 'Bearer <token>'", code: apperr.Unauthenticated}
	}
	p, err := h.cfg.Identity.Authenticate(ctx, strings.TrimSpace(token))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unauthenticated {
			return p, http.StatusUnauthorized, &topError{message: firstAppErr(err).Message, code: apperr.Unauthenticated}
		}
		te, _ := top(ctx, err).(*topError)
		return p, http.StatusServiceUnavailable, te
	}
	return p, 0, nil
}

func badRequest(msg string) *topError { return &topError{message: msg, code: "BAD_REQUEST"} }

// sanitize makes sure no error message the client sees came from an
// unexpected place: anything that is not one of our top-level errors or a
// graphql-go validation error becomes a generic internal error. Validation
// errors lose their "Did you mean ...?" suggestions for callers without a
// credential: the schema is not theirs to explore, as introspection is not.
func sanitize(ctx context.Context, errs []*gqlerrors.QueryError) {
	rq := requestFrom(ctx)
	_, perr := identity.PrincipalFrom(ctx)
	for _, e := range errs {
		if e.ResolverError == nil {
			if e.Extensions == nil {
				e.Extensions = map[string]any{"code": codeValidation}
			}
			if perr != nil {
				e.Message = withoutSuggestion(e.Message)
			}
			continue
		}
		if te, ok := e.ResolverError.(*topError); ok {
			e.Message, e.Extensions = te.message, te.Extensions()
			continue
		}
		logFault(ctx, e.ResolverError)
		ie := internalError(rq.id)
		e.Message, e.Extensions, e.ResolverError = ie.message, ie.Extensions(), ie
	}
}

// withoutSuggestion cuts graphql-go's " Did you mean ...?" from a message.
func withoutSuggestion(msg string) string {
	if i := strings.Index(msg, " Did you mean "); i >= 0 {
		return msg[:i]
	}
	return msg
}

func writeErrors(w http.ResponseWriter, status int, e *topError) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": e.message, "extensions": e.Extensions()}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// viaCDN reports whether r carries the origin-verify secret: it came
// through the console's CDN, whose viewer headers are then to be believed.
func (h *Handler) viaCDN(r *http.Request) bool {
	v := r.Header.Get(OriginVerifyHeader)
	return h.cfg.OriginVerifySecret != "" && v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(h.cfg.OriginVerifySecret)) == 1
}

// clientIP is the address the request's per-address limits count: the
// viewer's, when the request proves it came through the console's CDN
// (OriginVerifySecret), else the connection's.
func (h *Handler) clientIP(r *http.Request) string {
	if h.cfg.OriginVerifySecret != "" && h.viaCDN(r) {
		if ip, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get(ViewerAddressHeader))); err == nil {
			return ip.Unmap().String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type panicHandler struct{ log *slog.Logger }

func (p panicHandler) MakePanicError(ctx context.Context, value any) *gqlerrors.QueryError {
	rq := requestFrom(ctx)
	p.log.ErrorContext(ctx, "resolver panic", slog.String("requestId", rq.id), slog.Any("panic", value))
	ie := internalError(rq.id)
	return &gqlerrors.QueryError{Message: ie.message, Extensions: ie.Extensions(), ResolverError: ie}
}

type quietLogger struct{ log *slog.Logger }

func (q quietLogger) LogPanic(ctx context.Context, value any) {
	q.log.ErrorContext(ctx, "graphql panic", slog.Any("panic", value))
}
