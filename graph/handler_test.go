package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/identity"
)

func TestNewHandler_SchemaBinds(t *testing.T) {
	if _, err := NewHandler(Config{}); err != nil {
		t.Fatal(err)
	}
}

// testHandler has no application behind it: whatever these tests send must
// be answered before a resolver or a store is reached (a nil service would
// panic into a 500).
func testHandler(tb testing.TB, clientRate, clientBurst int) *Handler {
	tb.Helper()
	signer, err := identity.NewSigner([]byte("handler-test-signing-key-0123456789"))
	if err != nil {
		tb.Fatal(err)
	}
	h, err := NewHandler(Config{
		Services: Services{Identity: &identity.Service{Signer: signer, Now: time.Now}},
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)), ClientRate: clientRate, ClientBurst: clientBurst,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

type testResponse struct {
	status int
	Data   map[string]any
	Errors []struct {
		Message    string
		Locations  []struct{ Line, Column int }
		Extensions map[string]any
	}
}

func (r testResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func send(tb testing.TB, h http.Handler, authz, query string) testResponse {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out testResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		tb.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
	}
	out.status = rec.Code
	return out
}

func TestHandler_RefusesAttacksBeforeAnyWork(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	for _, tc := range hostileDocuments() {
		t.Run(tc.name, func(t *testing.T) {
			for _, authz := range []string{"", "Bearer not.a.jwt"} {
				r := send(t, h, authz, tc.query)
				if r.status != http.StatusBadRequest || r.code() != tc.code {
					t.Fatalf("credential %q: status %d, code %q, want 400 %s: %+v", authz, r.status, r.code(), tc.code, r.Errors)
				}
			}
		})
	}
}

func TestHandler_ValidationErrors(t *testing.T) {
	h := testHandler(t, 1000, 1000)
	r := send(t, h, "", "query {\n  items(firs: 5) { nodes { id } }\n}")
	if r.status != http.StatusBadRequest || r.code() != codeValidation {
		t.Fatalf("status %d %+v", r.status, r.Errors)
	}
	if msg := r.Errors[0].Message; strings.Contains(msg, "Did you mean") || !strings.Contains(msg, "firs") {
		t.Fatalf("message %q: want the unknown argument, without a suggestion", msg)
	}
	if l := r.Errors[0].Locations; len(l) != 1 || l[0].Line != 2 || l[0].Column != 9 {
		t.Fatalf("locations %+v, want line 2, column 9 of the client's document", l)
	}
	if r := send(t, h, "", `{ nope }`); strings.Contains(r.Errors[0].Message, "Did you mean") || r.code() != codeValidation {
		t.Fatalf("%+v", r.Errors)
	}
	// Cheap to price, but over graphql-go's selection limit once expanded.
	expands := "query{...F12} fragment F0 on Query{__typename}"
	for i := 1; i <= 12; i++ {
		expands += fmt.Sprintf(" fragment F%d on Query{...F%d ...F%d}", i, i-1, i-1)
	}
	if r := send(t, h, "", expands); r.status != http.StatusBadRequest || r.code() != codeValidation {
		t.Fatalf("status %d %+v", r.status, r.Errors)
	}
}

// TestHandler_ClientAddressBudget: failed credentials count against the
// address like anonymous requests, and an address over its budget gets no
// credential check at all.
func TestHandler_ClientAddressBudget(t *testing.T) {
	h := testHandler(t, 1, 3)
	for i, authz := range []string{"Bearer not.a.jwt", "Basic abc", ""} {
		r := send(t, h, authz, `{ __typename }`)
		if want := []int{401, 401, 200}[i]; r.status != want {
			t.Fatalf("request %d: status %d, want %d: %+v", i, r.status, want, r.Errors)
		}
	}
	for _, authz := range []string{"Bearer not.a.jwt", "", "Bearer " + strings.Repeat("x", 40)} {
		if r := send(t, h, authz, `{ __typename }`); r.status != http.StatusTooManyRequests || r.code() != "RATE_LIMITED" {
			t.Fatalf("%q over budget: status %d %+v", authz, r.status, r.Errors)
		}
	}
}

func TestWithoutSuggestion(t *testing.T) {
	for in, want := range map[string]string{
		`Cannot query field "nope" on type "Query". Did you mean "me"?`: `Cannot query field "nope" on type "Query".`,
		`Unknown argument "firts".`:                                     `Unknown argument "firts".`,
	} {
		if got := withoutSuggestion(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}
