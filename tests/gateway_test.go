package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestGateway_BadRequests(t *testing.T) {
	m := signUp(t, "gateway")
	deep := "{ __schema { types { fields { type " + strings.Repeat("{ ofType ", 10) + "{ name }" + strings.Repeat(" }", 10) + " } } } }"
	huge := `{ "query": "` + strings.Repeat("a", 2<<20) + `" }`
	cases := []struct {
		name        string
		method      string
		contentType string
		token       string
		body        string
		status      int
		code        string
	}{
		{"malformed JSON", "POST", "application/json", "", `{"query": "{ me { tenant { id } } }"`, 400, "BAD_REQUEST"},
		{"JSON array", "POST", "application/json", "", `[1,2]`, 400, "BAD_REQUEST"},
		{"no query", "POST", "application/json", "", `{"variables": {}}`, 400, "BAD_REQUEST"},
		{"two objects", "POST", "application/json", "", `{"query":"{ me { tenant { id } } }"} {}`, 400, "BAD_REQUEST"},
		{"wrong content type", "POST", "text/plain", "", `{"query":"{ me { tenant { id } } }"}`, 415, "BAD_REQUEST"},
		{"form content type", "POST", "application/x-www-form-urlencoded", "", `query=x`, 415, "BAD_REQUEST"},
		{"GET", "GET", "", "", ``, 405, "BAD_REQUEST"},
		{"oversized body", "POST", "application/json", "", huge, 413, "BAD_REQUEST"},
		{"syntax error", "POST", "application/json", m.token, `{"query":"{ me { tenant { id } "}`, 400, "BAD_REQUEST"},
		{"unknown field", "POST", "application/json", m.token, `{"query":"{ nope }"}`, 400, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown operation name", "POST", "application/json", m.token, `{"query":"query A { me { tenant { id } } }", "operationName": "B"}`, 400, "GRAPHQL_VALIDATION_FAILED"},
		{"too deep", "POST", "application/json", m.token, mustJSON(map[string]any{"query": deep}), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"too long", "POST", "application/json", m.token, mustJSON(map[string]any{"query": "{ me { tenant { id } } }" + strings.Repeat(" ", 20001)}), 400, "BAD_REQUEST"},
		{"too costly", "POST", "application/json", m.token, mustJSON(map[string]any{"query": `{ customers(first: 250) { nodes { id orders(first: 250) { nodes { id } } } } }`}), 400, "QUERY_TOO_COMPLEX"},
		{"bad bearer scheme", "POST", "application/json", "Basic abc", `{"query":"{ me { tenant { id } } }"}`, 401, "UNAUTHENTICATED"},
		{"garbage token", "POST", "application/json", "Bearer not.a.jwt", `{"query":"{ me { tenant { id } } }"}`, 401, "UNAUTHENTICATED"},
		{"unknown API key", "POST", "application/json", "Bearer rk_unknownunknownunknownunknownunknownunknown", `{"query":"{ me { tenant { id } } }"}`, 401, "UNAUTHENTICATED"},
		{"token signed with another key", "POST", "application/json", "Bearer " + forgedToken(t, m, time.Hour), `{"query":"{ me { tenant { id } } }"}`, 401, "UNAUTHENTICATED"},
		{"alg none", "POST", "application/json", "Bearer " + noneToken(t, m), `{"query":"{ me { tenant { id } } }"}`, 401, "UNAUTHENTICATED"},
		{"introspection without credential", "POST", "application/json", "", `{"query":"{ __schema { types { name } } }"}`, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, apiURL, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.token != "" {
				if strings.HasPrefix(tc.token, "Bearer ") || strings.HasPrefix(tc.token, "Basic ") {
					req.Header.Set("Authorization", tc.token)
				} else {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d; body %s", res.StatusCode, tc.status, raw)
			}
			var out gqlResponse
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("body is not JSON: %s", raw)
			}
			if tc.name == "introspection without credential" {
				if out.Data["__schema"] != nil && out.Data["__schema"].(map[string]any)["types"] != nil {
					t.Fatalf("introspection answered without a credential: %s", raw[:min(len(raw), 200)])
				}
				return
			}
			if len(out.Errors) == 0 || out.code() != tc.code {
				t.Fatalf("code = %q, want %q; body %s", out.code(), tc.code, raw)
			}
			if out.Errors[0].Message == "" {
				t.Fatal("empty error message")
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id header")
			}
		})
	}
	t.Run("introspection with a credential", func(t *testing.T) {
		r := gql(t, m.token, `{ __schema { queryType { name } } }`, nil)
		if str(t, r.Data, "__schema.queryType.name") != "Query" {
			t.Fatalf("introspection refused for an authenticated caller: %+v", r.Errors)
		}
	})
	t.Run("page size above 250", func(t *testing.T) {
		for _, q := range []string{`{ items(first: 251) { nodes { id } } }`, `{ orders(first: 0) { nodes { id } } }`, `{ customers(first: -1) { nodes { id } } }`} {
			r := gql(t, m.token, q, nil)
			if r.code() != "INVALID" || !strings.Contains(r.Errors[0].Message, "250") {
				t.Fatalf("%s: %+v", q, r.Errors)
			}
		}
	})
	t.Run("expired access token", func(t *testing.T) {
		valid := signedToken(t, m, testJWTSecret, time.Hour)
		if r := post(t, apiURL, "application/json", valid, []byte(`{"query":"{ me { tenant { id } } }"}`)); r.Status != 200 || str(t, r.Data, "me.tenant.id") != m.tenantID {
			t.Fatalf("control: a fresh token signed with the server key was refused: %d %+v", r.Status, r.Errors)
		}
		expired := signedToken(t, m, testJWTSecret, -time.Minute)
		r := post(t, apiURL, "application/json", expired, []byte(`{"query":"{ me { tenant { id } } }"}`))
		if r.Status != 401 || r.code() != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "expired") {
			t.Fatalf("status %d %+v", r.Status, r.Errors)
		}
	})
	t.Run("health", func(t *testing.T) {
		res, err := http.Get(strings.TrimSuffix(apiURL, "/graphql") + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("healthz = %d", res.StatusCode)
		}
	})
	t.Run("GraphiQL page", func(t *testing.T) {
		res, err := http.Get(strings.TrimSuffix(apiURL, "/graphql") + "/graphiql")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(body, []byte("graphiql")) {
			t.Fatalf("GET /graphiql = %d", res.StatusCode)
		}
	})
	// The console answers every other GET with its page, under its CSP
	// (the build is `make console`, which make test runs first).
	t.Run("console page", func(t *testing.T) {
		res, err := http.Get(strings.TrimSuffix(apiURL, "/graphql") + "/integrations/freee/callback?code=x&state=y")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(body, []byte(`<div id="app">`)) {
			t.Fatalf("GET console path = %d %q (is the console built? make console)", res.StatusCode, body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("console CSP %q", csp)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// forgedToken is a well-formed HS256 token for m signed with a key the server does not have.
func forgedToken(tb testing.TB, m merchant, ttl time.Duration) string {
	tb.Helper()
	return signedToken(tb, m, []byte("attacker-key-attacker-key-attacker-key"), ttl)
}

func signedToken(tb testing.TB, m merchant, key []byte, ttl time.Duration) string {
	tb.Helper()
	// Access tokens name their session: mint this one for the merchant's
	// real session so that only the signature and expiry are under test.
	issued := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(m.token, issued); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": m.userID, "tid": m.tenantID, "role": "OWNER", "iss": "renkei", "aud": "renkei-api",
		"sid": issued["sid"], "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
	}).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func noneToken(tb testing.TB, m merchant) string {
	tb.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"sub": m.userID, "tid": m.tenantID, "role": "OWNER", "iss": "renkei", "aud": "renkei-api", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}
