package graph

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/renkei-pos/renkei/graph/schema"
)

func servedModel(tb testing.TB) *costModel {
	tb.Helper()
	m, err := newCostModel(schema.String(), fieldCosts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestFieldCosts_CoverTheSchema keeps a new field from being served
// unpriced: every root field has a base cost, every list a bound.
func TestFieldCosts_CoverTheSchema(t *testing.T) {
	s := servedModel(t).schema
	pagedTypes := map[string]bool{} // types that only paged fields return
	returnedBy := map[string][]string{}
	var problems []string
	for _, def := range s.Types {
		if strings.HasPrefix(def.Name, "__") || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, fd := range def.Fields {
			if strings.HasPrefix(fd.Name, "__") {
				continue
			}
			key := def.Name + "." + fd.Name
			decl, ok := fieldCosts[key]
			paged := fd.Arguments.ForName("first") != nil
			returnedBy[fd.Type.Name()] = append(returnedBy[fd.Type.Name()], key)
			if paged {
				pagedTypes[fd.Type.Name()] = true
			}
			if (def == s.Query || def == s.Mutation) && (!ok || decl.base <= 0) {
				problems = append(problems, key+": a root field needs a base cost")
			}
			if fd.Type.Elem != nil && fd.Type.Elem.Elem != nil {
				problems = append(problems, key+": lists of lists are not priced")
			}
			if fd.Type.Elem != nil && !paged && decl.max <= 0 && decl.perEnum == "" && !decl.perPage {
				problems = append(problems, key+": a list needs a declared maximum or a `first` argument")
			}
			if decl.perEnum != "" && (s.Types[decl.perEnum] == nil || s.Types[decl.perEnum].Kind != ast.Enum) {
				problems = append(problems, key+": perEnum names no enum")
			}
			if decl.sizeArg != "" && (fd.Arguments.ForName(decl.sizeArg) == nil || decl.sizeArgMax <= 0 || decl.sizeArgMax > decl.max) {
				problems = append(problems, key+": sizeArg needs a list argument and a cap at most max")
			}
		}
	}
	for key, decl := range fieldCosts {
		typ, name, _ := strings.Cut(key, ".")
		def := s.Types[typ]
		if def == nil || def.Fields.ForName(name) == nil {
			problems = append(problems, key+": declared but not in the schema")
			continue
		}
		if decl.perPage {
			for _, by := range returnedBy[typ] {
				if fd := s.Types[strings.Split(by, ".")[0]].Fields.ForName(strings.Split(by, ".")[1]); fd.Arguments.ForName("first") == nil {
					problems = append(problems, key+": perPage, but "+by+" returns "+typ+" without `first`")
				}
			}
			if !pagedTypes[typ] {
				problems = append(problems, key+": perPage on a type no paged field returns")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func TestCostModel_Plan(t *testing.T) {
	m := servedModel(t)
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"flat", `{ me { tenant { id } } }`, nil, 1 + 20 + 1 + 1},
		{"connection default page", `{ items { nodes { id } } }`, nil, 1 + 30 + 50*(1+1)},
		{"connection literal page", `{ items(first: 10) { nodes { id name } pageInfo { hasNextPage } } }`, nil, 1 + 30 + 10*(1+2+1+1)},
		{"variable page", `query($n: Int) { items(first: $n) { nodes { id } } }`, map[string]any{"n": float64(5)}, 1 + 30 + 5*2},
		{"variable default", `query($n: Int = 7) { items(first: $n) { nodes { id } } }`, nil, 1 + 30 + 7*2},
		{"variable over its default", `query($n: Int = 7) { items(first: $n) { nodes { id } } }`, map[string]any{"n": float64(3)}, 1 + 30 + 3*2},
		{"explicit null takes the default", `query($n: Int = 7) { items(first: $n) { nodes { id } } }`, map[string]any{"n": nil}, 1 + 30 + 7*2},
		{"page capped at 250", `{ items(first: 100000) { nodes { id } } }`, nil, 1 + 30 + 250*2},
		{"page at least 1", `{ items(first: -4) { nodes { id } } }`, nil, 1 + 30 + 1*2},
		{"fragments count", `{ ...F } fragment F on Query { me { tenant { id } } }`, nil, 23},
		{"fragment spread twice", `{ ...F a: me { __typename } ...F } fragment F on Query { me { tenant { id } } }`, nil, 23 + 22 + 23},
		{"unpaged list", `{ locations { id name } }`, nil, 1 + 10 + 500*2},
		{"nested read", `{ order(id: "x") { lines { variant { id } } } }`, nil, 1 + 10 + 1 + 100*(1+1+1)},
		{"inventory by ids", `{ inventory(locationId: "l", variantIds: ["a", "b"]) { onHand } }`, nil, 1 + 600 + 2},
		{"inventory by variable ids", `query($ids: [ID!]) { inventory(locationId: "l", variantIds: $ids) { onHand } }`, map[string]any{"ids": []any{"a", "b", "c"}}, 1 + 600 + 3},
		{"inventory of a location", `{ inventory(locationId: "l") { onHand } }`, nil, 1 + 600 + 5000},
		{"per enum", `{ order(id: "x") { taxBreakdown { tax { amount } } } }`, nil, 1 + 10 + 1 + 3*(1+1)},
		{"signUp", `mutation { signUp(input: {businessName: "a", email: "b", password: "c", ownerName: "d"}) { accessToken } }`, nil, 1 + 500 + 1},
		{"typename", `{ __typename }`, nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := m.plan(tc.query, "", tc.vars)
			if err != nil {
				t.Fatalf("%s: %s", err.code, err.message)
			}
			if pl.cost != tc.want {
				t.Fatalf("cost = %d, want %d", pl.cost, tc.want)
			}
		})
	}
}

// hostileDocuments are the attacks of issue 6 on the gateway, and the code
// each is refused with.
func hostileDocuments() []struct{ name, query, code string } {
	var doubling, doublingKnown strings.Builder
	doubling.WriteString("query{...F48} fragment F0 on Query{...Missing}")
	doublingKnown.WriteString("query{...F48} fragment F0 on Query{__typename}")
	for k := 1; k <= 48; k++ {
		fmt.Fprintf(&doubling, " fragment F%d on Query{...F%d ...F%d}", k, k-1, k-1)
		fmt.Fprintf(&doublingKnown, " fragment F%d on Query{...F%d ...F%d}", k, k-1, k-1)
	}
	cycle := "items(first:250){nodes{" + strings.Repeat("variants{item{", 5) + "id" + strings.Repeat("}}", 5) + "}}"
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 500 {
		fmt.Fprintf(&aliases, ` i%d:inventory(locationId:"l"){onHand}`, i)
	}
	aliases.WriteString("}")
	var signUps strings.Builder
	signUps.WriteString("mutation {")
	for i := range 20 {
		fmt.Fprintf(&signUps, ` s%d: signUp(input: {businessName: "b", email: "e%d@example.com", password: "0123456789ab", ownerName: "o"}) { accessToken }`, i, i)
	}
	signUps.WriteString("}")
	return []struct{ name, query, code string }{
		{"fragment doubling to an unknown fragment", doubling.String(), codeValidation},
		{"fragment doubling", doublingKnown.String(), codeTooComplex},
		{"unknown fragment", `{ ...Nope }`, codeValidation},
		{"fragment cycle", `{ ...A } fragment A on Query { ...B } fragment B on Query { me { tenant { id } } ...A }`, codeValidation},
		{"variable default", `query($n:Int=250){customers(first:$n){nodes{orders(first:$n){nodes{id}}}}}`, codeTooComplex},
		{"type cycle", "{" + cycle + "}", codeTooComplex},
		{"aliased inventory", aliases.String(), codeTooComplex},
		{"aliased signUp", signUps.String(), codeTooManySessionOp},
		{"signUp and logIn through a fragment", `mutation { ...S logIn(input: {email: "a", password: "b"}) { accessToken } } fragment S on Mutation { signUp(input: {businessName: "b", email: "e", password: "p", ownerName: "o"}) { accessToken } }`, codeTooManySessionOp},
		{"unknown field", `{ nope }`, codeValidation},
		{"two anonymous operations", `{ me { tenant { id } } } { me { tenant { id } } }`, codeValidation},
		{"impossible fragment", `{ ... on Item { id } }`, codeValidation},
		{"subscription", `subscription { me { tenant { id } } }`, codeValidation},
	}
}

// blockStringBypass is the document on whose block strings gqlparser and
// graphql-go's lexer disagree: gqlparser reads `\"""` as an escaped quote,
// so for it the expensive middle is inside a string and the rest a comment;
// graphql-go's lexer ends the string there and runs the middle.
func blockStringBypass(heavy string) string {
	return `{ b: items(query: """x\""") {nodes{id}} ` + heavy + ` c: items(query: """) {nodes{id}} # """) {nodes{id}}` + "\n}"
}

// TestCostModel_PlanRunsWhatItPriced: the document graphql-go gets is the
// one gqlparser read, printed without block strings, so the middle stays a
// string for both.
func TestCostModel_PlanRunsWhatItPriced(t *testing.T) {
	m := servedModel(t)
	heavy := `h: customers(first: 250) { nodes { orders(first: 250) { nodes { id } } } }`
	pl, err := m.plan(blockStringBypass(heavy), "", nil)
	if err != nil {
		t.Fatal(err.message)
	}
	want := `query { b: items(query: "x\"\"\") {nodes{id}} ` + heavy + ` c: items(query: ") { nodes { id } } }`
	if pl.document != want || pl.cost != 1+30+50*2 {
		t.Fatalf("cost %d, document\n %s\nwant\n %s", pl.cost, pl.document, want)
	}
}

func TestCostModel_PlanRefusesAttacks(t *testing.T) {
	m := servedModel(t)
	for _, tc := range hostileDocuments() {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := m.plan(tc.query, "", nil)
			if err == nil {
				t.Fatalf("accepted at cost %d: %s", pl.cost, pl.document)
			}
			if string(err.code) != tc.code {
				t.Fatalf("code %s (%s), want %s", err.code, err.message, tc.code)
			}
			if strings.Contains(err.message, "Did you mean") {
				t.Fatalf("suggestion in %q", err.message)
			}
		})
	}
}

func TestCostModel_PlanSelectsTheOperation(t *testing.T) {
	m := servedModel(t)
	doc := `query A { me { tenant { id } } } query B { items(first: 2) { nodes { id } } } fragment Unused on Query { me { user { id } } }`
	pl, err := m.plan(doc, "B", nil)
	if err != nil {
		t.Fatal(err.message)
	}
	if want := `query B { items(first: 2) { nodes { id } } }`; pl.document != want || pl.operationName != "B" {
		t.Fatalf("document %q, want %q", pl.document, want)
	}
	for _, name := range []string{"", "C"} {
		if _, err := m.plan(doc, name, nil); err == nil || err.code != codeValidation {
			t.Fatalf("operationName %q: %v", name, err)
		}
	}
}

func TestCostModel_PlanPrintsBlockStringsAsStrings(t *testing.T) {
	m := servedModel(t)
	pl, err := m.plan("{ items(query: \"\"\"\n  a \\\"\"\" \"quoted\"\n  \\u0041\"\"\") { nodes { id } } }", "", nil)
	if err != nil {
		t.Fatal(err.message)
	}
	if want := `query { items(query: "a \"\"\" \"quoted\"\n\\u0041") { nodes { id } } }`; pl.document != want {
		t.Fatalf("document\n %s\nwant\n %s", pl.document, want)
	}
}

func TestLong_UnmarshalGraphQL(t *testing.T) {
	var l Long
	for _, ok := range []any{int32(5), float64(9007199254740992), int64(-3)} {
		if err := l.UnmarshalGraphQL(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range []any{1.5, float64(1 << 60), "12", nil} {
		if err := l.UnmarshalGraphQL(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
