package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/stack"
)

// The gateway's attacks of issue 6, over HTTP: each is refused with a 4xx
// and a clear code before any resolver runs (docs/api.md, Cost model).
// Their server time is a benchmark (BenchmarkHostileGateway), not a timer
// in a test.

// fragmentDoubling is 48 fragments each spreading the one below twice: 2^48
// expansions of an unknown fragment, in about 2 KB.
func fragmentDoubling(leaf string) string {
	var b strings.Builder
	b.WriteString("query{...F48} fragment F0 on Query{" + leaf + "}")
	for k := 1; k <= 48; k++ {
		fmt.Fprintf(&b, " fragment F%d on Query{...F%d ...F%d}", k, k-1, k-1)
	}
	return b.String()
}

// blockStringBypass: gqlparser reads `\"""` as an escaped quote inside a
// block string, graphql-go's lexer as its end. Priced by one and run by the
// other, the heavy middle would be free: a string to the first, selections
// to the second.
const heavySelection = `h: customers(first: 250) { nodes { orders(first: 250) { nodes { id lines { name } } } } }`

var blockStringBypass = `{ b: items(query: """x\""") {nodes{id}} ` + heavySelection + ` c: items(query: """) {nodes{id}} # """) {nodes{id}}` + "\n}"

// typeCycle runs Item.variants -> Variant.item -> ... to depth 12.
const typeCycle = `{ items(first: 250) { nodes { variants { item { variants { item { variants { item { variants { item { variants { id } } } } } } } } } } } }`

func aliased(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

type hostileCase struct {
	name, query string
	status      int
	code        string
}

func hostileGatewayCases() []hostileCase {
	return []hostileCase{
		{"fragment doubling, no credential", fragmentDoubling("...Missing"), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment doubling of a known field", fragmentDoubling("__typename"), 400, "QUERY_TOO_COMPLEX"},
		{"unknown fragment", `{ ...Missing me { tenant { id } } }`, 400, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment cycle", `{ ...A } fragment A on Query { me { tenant { id } } ...B } fragment B on Query { ...A }`, 400, "GRAPHQL_VALIDATION_FAILED"},
		{"variable default", `query($n:Int=250){customers(first:$n){nodes{orders(first:$n){nodes{id}}}}}`, 400, "QUERY_TOO_COMPLEX"},
		{"type cycle at depth 12", typeCycle, 400, "QUERY_TOO_COMPLEX"},
		{"500 aliased inventory reads", "{" + aliased(500, ` i%d:inventory(locationId:"l"){onHand}`) + "}", 400, "QUERY_TOO_COMPLEX"},
		{"20 aliased signUps", "mutation {" + aliased(20, ` s%d: signUp(input: {businessName: "b", email: "hostile-%[1]d@example.com", password: "0123456789ab", ownerName: "o"}) { accessToken }`) + "}", 400, "TOO_MANY_SESSION_OPERATIONS"},
		{"logIn and refreshSession", `mutation { logIn(input: {email: "a@example.com", password: "x"}) { accessToken } ...S } fragment S on Mutation { refreshSession(input: {refreshToken: "x"}) { accessToken } }`, 400, "TOO_MANY_SESSION_OPERATIONS"},
	}
}

func TestHostileGateway_RefusedBeforeAnyWork(t *testing.T) {
	m := signUp(t, "hostile-gateway")
	for _, tc := range hostileGatewayCases() {
		for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"signed in", m.token}} {
			t.Run(tc.name+"/"+who.name, func(t *testing.T) {
				r := gql(t, who.token, tc.query, nil)
				if r.Status != tc.status || r.code() != tc.code {
					t.Fatalf("status %d, code %q, want %d %s: %+v", r.Status, r.code(), tc.status, tc.code, r.Errors)
				}
				if r.Data != nil {
					t.Fatalf("data with a refusal: %v", r.Data)
				}
			})
		}
	}
}

// TestHostileGateway_AliasedSignUpsCreateNothing: the refused request wrote
// nothing, so each of its emails is still free.
func TestHostileGateway_AliasedSignUpsCreateNothing(t *testing.T) {
	m := signUp(t, "hostile-aliases")
	for _, token := range []string{"", m.token} {
		emails := make([]string, 20)
		var b strings.Builder
		b.WriteString("mutation {")
		for i := range emails {
			emails[i] = uniqueEmail("aliased")
			fmt.Fprintf(&b, ` s%d: signUp(input: {businessName: "b", email: %q, password: %q, ownerName: "o"}) { accessToken }`, i, emails[i], testPassword)
		}
		b.WriteString("}")
		if r := gql(t, token, b.String(), nil); r.Status != 400 || r.code() != "TOO_MANY_SESSION_OPERATIONS" {
			t.Fatalf("status %d %+v", r.Status, r.Errors)
		}
		for _, email := range []string{emails[0], emails[19]} {
			r := gql(t, "", signUpMutation, map[string]any{"in": map[string]any{"businessName": "b", "email": email, "password": testPassword, "ownerName": "o"}})
			mustOK(t, r, "signUp") // not TAKEN: the refused request created nothing
		}
	}
}

// TestHostileGateway_BlockStringMismatch: what runs is what was priced. The
// heavy middle stays inside a string, so it never runs.
func TestHostileGateway_BlockStringMismatch(t *testing.T) {
	m := signUp(t, "hostile-block")
	r := gql(t, m.token, blockStringBypass, nil)
	if _, ran := r.Data["h"]; ran {
		t.Fatalf("the selection hidden in a block string ran: status %d", r.Status)
	}
	if _, ok := r.Data["b"]; r.Status != 200 || !ok || len(r.Errors) > 0 { // b: an items search for a strange string
		t.Fatalf("status %d, data %v, errors %+v", r.Status, r.Data, r.Errors)
	}
	// The same selection sent plainly is priced in full.
	if r := gql(t, m.token, "{ "+heavySelection+" }", nil); r.Status != 400 || r.code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("plain heavy selection: status %d %+v", r.Status, r.Errors)
	}
}

func TestHostileGateway_NoSuggestionsWithoutCredential(t *testing.T) {
	m := signUp(t, "hostile-suggest")
	for _, q := range []string{`{ iterms { nodes { id } } }`, `{ items(firs: 5) { nodes { id } } }`, `{ me { tenant { nmae } } }`,
		`{ integrationJobs(integrationId: "x", status: PENDNG) { nodes { id } } }`} {
		r := gql(t, "", q, nil)
		if r.Status != 400 || r.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("%s: status %d %+v", q, r.Status, r.Errors)
		}
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "Did you mean") {
				t.Fatalf("%s: suggestion shown to an anonymous caller: %q", q, e.Message)
			}
		}
	}
	// A signed-in developer, who may introspect anyway, gets graphql-go's hints.
	r := gql(t, m.token, `{ items(firs: 5) { nodes { id } } }`, nil)
	if r.Status != 400 || !strings.Contains(r.Errors[0].Message, `Did you mean "first"`) {
		t.Fatalf("status %d %+v", r.Status, r.Errors)
	}
}

func TestHostileGateway_GraphiQLIntrospection(t *testing.T) {
	m := signUp(t, "hostile-graphiql")
	r := gql(t, m.token, graphiQLIntrospection, nil)
	if r.Status != 200 || len(r.Errors) > 0 || str(t, r.Data, "__schema.queryType.name") != "Query" {
		t.Fatalf("status %d %+v", r.Status, r.Errors)
	}
}

// smallBudgetAPI serves the API with a per-address budget of burst
// requests, on a DynamoDB Local of its own.
func smallBudgetAPI(tb testing.TB, burst int) string {
	tb.Helper()
	db := dynamolocal.MustStart(tb)
	client, err := dynamolocal.NewClient(tb.Context(), db.Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	if err := dynamo.New(client, "renkei").EnsureTable(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	h, err := stack.NewAPI(stack.APIConfig{DynamoDB: client, Table: "renkei", JWTSecret: testJWTSecret,
		Rates:  stack.Rates{Public: 1, PublicBurst: burst, Tenant: 1000, TenantBurst: 1000},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL + "/graphql"
}

// untilRefused sends until the answer is 429 and returns how many were
// answered before; it fails the test if none is within limit.
func untilRefused(tb testing.TB, limit int, send func(i int) gqlResponse, answered int) int {
	tb.Helper()
	for i := range limit {
		r := send(i)
		if r.Status == http.StatusTooManyRequests {
			if r.code() != "RATE_LIMITED" {
				tb.Fatalf("429 with code %q", r.code())
			}
			return i
		}
		if r.Status != answered {
			tb.Fatalf("request %d: status %d, want %d until refused: %+v", i, r.Status, answered, r.Errors)
		}
	}
	tb.Fatalf("no 429 in %d requests", limit)
	return 0
}

func randomKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "rk_" + hex.EncodeToString(b)
}

// TestHostileGateway_CredentialSpraying: failed credential lookups spend
// the address's budget; once it is spent, the address gets 429 and no
// lookup, whatever it sends; other addresses are untouched. Requests with a
// session mutation spend it whatever their credential.
func TestHostileGateway_CredentialSpraying(t *testing.T) {
	const burst = 5
	url := smallBudgetAPI(t, burst)
	attacker, bystander, owner := clientFrom("127.0.0.21"), clientFrom("127.0.0.22"), clientFrom("127.0.0.23")
	me := `{ me { tenant { id } } }`

	n := untilRefused(t, 20, func(int) gqlResponse { return gqlAt(t, attacker, url, randomKey(), me, nil) }, http.StatusUnauthorized)
	if n < burst-1 {
		t.Fatalf("refused after %d bad keys, budget %d", n, burst)
	}
	for _, token := range []string{"not.a.jwt", randomKey(), ""} {
		if r := gqlAt(t, attacker, url, token, me, nil); r.Status != http.StatusTooManyRequests {
			t.Fatalf("%q from a spent address: status %d %+v", token, r.Status, r.Errors)
		}
	}
	if r := gqlAt(t, bystander, url, randomKey(), me, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("another address: status %d %+v", r.Status, r.Errors)
	}

	// A signed-in owner's ordinary requests spend nothing of the address...
	r := gqlAt(t, owner, url, "", signUpMutation, map[string]any{"in": map[string]any{"businessName": "Spray", "email": uniqueEmail("spray"), "password": testPassword, "ownerName": "O"}})
	mustOK(t, r, "signUp")
	token := str(t, r.Data, "signUp.accessToken")
	for range 3 * burst {
		if r := gqlAt(t, owner, url, token, me, nil); r.Status != 200 {
			t.Fatalf("signed-in request: status %d %+v", r.Status, r.Errors)
		}
	}
	// ...but log-ins do, credential or not.
	logIn := `mutation { logIn(input: {email: "nobody@example.com", password: "guess-guess"}) { accessToken userErrors { code } } }`
	untilRefused(t, 20, func(int) gqlResponse { return gqlAt(t, owner, url, token, logIn, nil) }, http.StatusOK)
}

// BenchmarkHostileGateway reports the server time of each refusal (run
// with -bench HostileGateway ./tests/).
func BenchmarkHostileGateway(b *testing.B) {
	for _, tc := range hostileGatewayCases() {
		b.Run(strings.ReplaceAll(tc.name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				if r := gql(b, "", tc.query, nil); r.Status != tc.status {
					b.Fatalf("status %d", r.Status)
				}
			}
		})
	}
}

// graphiQLIntrospection is the query GraphiQL 3 sends to draw its docs.
const graphiQLIntrospection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
`
