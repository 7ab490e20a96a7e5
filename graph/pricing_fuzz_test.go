package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/renkei-pos/renkei/graph/schema"
)

// fuzzTarget is a schema to price against and to execute on.
type fuzzTarget struct {
	model   *costModel
	exec    *graphql.Schema
	counter *fieldCounter
}

func newFuzzTarget(tb testing.TB, sdl string, costs map[string]fieldCost, resolver any) *fuzzTarget {
	tb.Helper()
	m, err := newCostModel(sdl, costs)
	if err != nil {
		tb.Fatal(err)
	}
	c := &fieldCounter{}
	quiet := quietLogger{slog.New(slog.NewTextHandler(io.Discard, nil))}
	s, err := graphql.ParseSchema(sdl, resolver, graphql.UseFieldResolvers(), graphql.MaxDepth(MaxDepth),
		graphql.MaxQueryLength(MaxQueryLength), graphql.MaxSelections(MaxSelections),
		graphql.OverlapValidationLimit(MaxOverlapPairs), graphql.Tracer(c), graphql.Logger(quiet),
		graphql.PanicHandler(panicHandler(quiet)))
	if err != nil {
		tb.Fatal(err)
	}
	return &fuzzTarget{model: m, exec: s, counter: c}
}

// check prices doc, and when it is accepted runs it, asserting the
// properties of the cost model.
func (ft *fuzzTarget) check(t *testing.T, doc string, vars map[string]any) *graphql.Response {
	pl, perr := ft.model.plan(doc, "", vars)
	if perr != nil {
		if strings.Contains(perr.message, "Did you mean") {
			t.Fatalf("suggestion in %q", perr.message)
		}
		return nil
	}
	// Linear: the walk visits each selection and fragment of the document
	// once; introspection has its own fixed budget.
	if pl.steps > len(doc) {
		t.Fatalf("%d steps for a document of %d bytes", pl.steps, len(doc))
	}
	if pl.introSteps > introspectionBudget {
		t.Fatalf("%d introspection steps", pl.introSteps)
	}
	ft.counter.n.Store(0)
	resp := ft.exec.Exec(t.Context(), pl.document, pl.operationName, copyVars(vars))
	for _, e := range resp.Errors {
		if strings.Contains(e.Message, "syntax error") {
			t.Fatalf("printed document does not parse: %s\n%s", e.Message, pl.document)
		}
	}
	if n := ft.counter.n.Load(); n > int64(pl.cost) {
		t.Fatalf("executed %d fields, priced %d:\n%s\n%s", n, pl.cost, doc, pl.document)
	}
	checkEchoes(t, doc, resp.Data)
	return resp
}

// checkEchoes compares the strings graphql-go read from the printed
// document with the ones gqlparser read from the client's.
func checkEchoes(t *testing.T, doc string, data json.RawMessage) {
	if len(data) == 0 {
		return
	}
	parsed, err := parser.ParseQuery(&ast.Source{Input: doc})
	if err != nil || len(parsed.Operations) != 1 {
		return
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, sel := range parsed.Operations[0].SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name != "echo" || !strings.HasPrefix(f.Alias, "echo") {
			continue
		}
		a := f.Arguments.ForName("s")
		if a == nil || (a.Value.Kind != ast.StringValue && a.Value.Kind != ast.BlockValue) {
			continue
		}
		if got[f.Alias] != a.Value.Raw {
			t.Fatalf("%s: graphql-go read %q, gqlparser %q\n%s", f.Alias, got[f.Alias], a.Value.Raw, doc)
		}
	}
}

func copyVars(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// FuzzPricing: pricing never panics, stays linear, and never prices below
// what executing the printed document resolves. `go test` runs the attacks
// and a few hundred generated documents; `go test -fuzz FuzzPricing` more.
func FuzzPricing(f *testing.F) {
	for _, h := range hostileDocuments() {
		f.Add(h.query, int64(250))
	}
	f.Add(blockStringBypass(`h: items(first: 250) { nodes { variants { item { variants { id } } } } }`), int64(250))
	f.Add(graphiQLIntrospection, int64(0))
	rng := rand.New(rand.NewPCG(6, 1))
	for range 300 {
		g := &docGen{rng: rng}
		f.Add(g.document(), int64(rng.IntN(300)-20))
	}
	for range 40 {
		g := &docGen{rng: rng, intro: true}
		f.Add(g.document(), int64(0))
	}
	fuzz := newFuzzTarget(f, fuzzSDL, fuzzCosts, &fzRoot{})
	served := newFuzzTarget(f, schema.String(), fieldCosts, &Resolver{})
	f.Fuzz(func(t *testing.T, doc string, n int64) {
		vars := map[string]any{"n": float64(n), "s": "x\"\"\"y"}
		fuzz.check(t, doc, vars)
		if strings.Contains(doc, "__") {
			served.check(t, doc, vars) // the served schema's introspection
		}
	})
}

// docGen writes random documents for fuzzSDL: nested fragments, aliases,
// spreads, variables with defaults, block strings, introspection; now and
// then a mistake (an unknown field or fragment, a cycle).
type docGen struct {
	rng          *rand.Rand
	intro        bool
	frags        []genFrag
	usesN, usesS bool
}

type genFrag struct{ name, on string }

var genFields = map[string][]string{
	"Query":          {"item", "items", "tags", "node", "search", "echo", "__typename"},
	"Mutation":       {"signUp", "logIn", "touch"},
	"Session":        {"token", "item"},
	"Item":           {"id", "name", "variants", "tags", "__typename"},
	"Variant":        {"id", "sku", "item"},
	"Tag":            {"name", "items"},
	"ItemConnection": {"nodes", "total"},
	"Node":           {"id", "__typename"},
	"SearchResult":   {"__typename"},
	"__Schema":       {"types", "queryType", "directives", "mutationType"},
	"__Type":         {"kind", "name", "fields", "ofType", "interfaces", "possibleTypes", "enumValues", "inputFields"},
	"__Field":        {"name", "type", "args"},
	"__InputValue":   {"name", "type", "defaultValue"},
	"__Directive":    {"name", "args", "locations"},
	"__EnumValue":    {"name"},
}

var genTypeOf = map[string]string{
	"Query.item": "Item", "Query.items": "ItemConnection", "Query.tags": "Tag", "Query.node": "Node",
	"Query.search": "SearchResult", "Mutation.signUp": "Session", "Mutation.logIn": "Session",
	"Session.item": "Item", "Item.variants": "Variant", "Item.tags": "Tag", "Variant.item": "Item",
	"Tag.items": "ItemConnection", "ItemConnection.nodes": "Item",
	"Query.__schema": "__Schema", "Query.__type": "__Type",
	"__Schema.types": "__Type", "__Schema.queryType": "__Type", "__Schema.mutationType": "__Type",
	"__Schema.directives": "__Directive", "__Type.fields": "__Field", "__Type.ofType": "__Type",
	"__Type.interfaces": "__Type", "__Type.possibleTypes": "__Type", "__Type.enumValues": "__EnumValue",
	"__Type.inputFields": "__InputValue", "__Field.type": "__Type", "__Field.args": "__InputValue",
	"__InputValue.type": "__Type", "__Directive.args": "__InputValue",
}

var genStrings = []string{`"plain"`, `"q\"uote\\back"`, `"uni\u00e9\u{1F600}"`, `"""block"""`,
	`"""x\"""y"""`, "\"\"\"\n  multi\n   line\n\"\"\"", `"""a""b"""`, `"tab\tnl\n"`, `"\u0001ctl\u007F"`, `"\/"`}

func (g *docGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *docGen) document() string {
	nFrags := g.rng.IntN(5)
	var fragDefs []string
	for i := range nFrags {
		on := g.pick([]string{"Query", "Item", "Tag", "Node", "ItemConnection", "Variant"})
		if g.intro {
			on = g.pick([]string{"Query", "__Type", "__Field", "__Type"})
		}
		name := fmt.Sprintf("F%d", i)
		body := g.set(on, 0)
		g.frags = append(g.frags, genFrag{name, on})
		fragDefs = append(fragDefs, fmt.Sprintf("fragment %s on %s %s", name, on, body))
	}
	op := "query"
	root := "Query"
	if !g.intro && g.rng.IntN(6) == 0 {
		op, root = "mutation", "Mutation"
	}
	body := g.set(root, 0)
	var vars []string
	if g.usesN {
		vars = append(vars, g.pick([]string{"$n: Int", fmt.Sprintf("$n: Int = %d", g.rng.IntN(300))}))
	}
	if g.usesS {
		vars = append(vars, g.pick([]string{"$s: String", `$s: String = "d"`}))
	}
	if len(vars) > 0 {
		op += "(" + strings.Join(vars, ", ") + ")"
	}
	doc := op + " " + body + " " + strings.Join(fragDefs, " ")
	if g.rng.IntN(25) == 0 { // a mistake
		doc += g.pick([]string{" fragment F9 on Query { ...F9 }", " fragment X on Query { ...Missing }", " { nope }"})
	}
	return doc
}

func (g *docGen) set(typ string, depth int) string {
	var sels []string
	for i := range 1 + g.rng.IntN(3) {
		sels = append(sels, g.selection(typ, depth, i))
	}
	return "{ " + strings.Join(sels, " ") + " }"
}

func (g *docGen) selection(typ string, depth, i int) string {
	if r := g.rng.IntN(10); r < 2 && len(g.frags) > 0 {
		var fits []string
		for _, f := range g.frags {
			if f.on == typ || (typ == "Node" && (f.on == "Item" || f.on == "Variant")) || (f.on == "Node" && (typ == "Item" || typ == "Variant")) {
				fits = append(fits, f.name)
			}
		}
		if len(fits) > 0 {
			return "..." + g.pick(fits)
		}
	} else if r == 2 && (typ == "Node" || typ == "SearchResult") {
		on := map[string][]string{"Node": {"Item", "Variant"}, "SearchResult": {"Item", "Tag"}}[typ]
		t := g.pick(on)
		return "... on " + t + " " + g.set(t, depth+1)
	}
	fields := genFields[typ]
	if typ == "Query" && g.intro {
		fields = []string{"__schema", "__type", "__typename", "item"}
	}
	name := g.pick(fields)
	out := name
	if g.rng.IntN(3) == 0 || name == "echo" {
		out = fmt.Sprintf("%s%d_%d: %s", strings.TrimPrefix(name, "__"), depth, i, name)
	}
	switch typ + "." + name {
	case "Query.items", "Tag.items":
		arg := g.pick([]string{"", "(first: $n)", "(first: $n)", "(first: 3)", "(first: 251)", "(first: -1)", "(first: null)"})
		g.usesN = g.usesN || arg == "(first: $n)"
		out += arg
	case "Query.item", "Query.node":
		out += `(id: "x")`
	case "Mutation.signUp", "Mutation.logIn":
		out += `(name: "a")`
	case "Query.echo":
		arg := g.pick(append(genStrings, "$s"))
		g.usesS = g.usesS || arg == "$s"
		out += "(s: " + arg + ")"
	case "Query.__type":
		out += `(name: "` + g.pick([]string{"Item", "Query", "Nope", "__Type"}) + `")`
	case "__Type.fields":
		out += g.pick([]string{"", "(includeDeprecated: true)"})
	}
	child, ok := genTypeOf[typ+"."+name]
	if !ok {
		return out
	}
	if depth > 4 {
		return out + " { __typename }"
	}
	return out + " " + g.set(child, depth+1)
}

// graphiQLIntrospection is the query GraphiQL sends to draw its docs.
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

// TestCostModel_PricesGraphiQLIntrospection: GraphiQL works for a signed-in
// developer, and the price covers what graphql-go resolves for it.
func TestCostModel_PricesGraphiQLIntrospection(t *testing.T) {
	served := newFuzzTarget(t, schema.String(), fieldCosts, &Resolver{})
	pl, err := served.model.plan(graphiQLIntrospection, "", nil)
	if err != nil {
		t.Fatal(err.message)
	}
	if resp := served.check(t, graphiQLIntrospection, nil); resp == nil || len(resp.Errors) > 0 {
		t.Fatalf("GraphiQL's introspection failed: %+v", resp)
	}
	t.Logf("GraphiQL introspection: cost %d, resolved %d fields, %d introspection steps", pl.cost, served.counter.n.Load(), pl.introSteps)
	if pl.introSteps > introspectionBudget/4 {
		t.Errorf("GraphiQL's introspection uses %d of the %d steps", pl.introSteps, introspectionBudget)
	}
}

// BenchmarkPricing prices the worst document of the largest allowed size:
// 20,000 characters of fragments spreading each other in a doubling chain,
// each with aliased connections and introspection, every one walked.
func BenchmarkPricing(b *testing.B) {
	m := servedModel(b)
	doc := worstDocument(MaxQueryLength)
	if len(doc) > MaxQueryLength {
		b.Fatalf("document of %d bytes", len(doc))
	}
	b.ReportMetric(float64(len(doc)), "bytes/doc")
	b.ResetTimer()
	for b.Loop() {
		if pl, err := m.plan(doc, "", nil); err == nil {
			b.Fatalf("accepted at cost %d", pl.cost)
		}
	}
}

// worstDocument fills size bytes with fragments that each spread the
// previous one twice and select a little of everything, including
// introspection of every type: pricing must walk all of it.
func worstDocument(size int) string {
	var b strings.Builder
	b.WriteString("query{...F0}")
	frag := func(i int) string {
		return fmt.Sprintf(" fragment F%d on Query{...F%d ...F%d a:items(first:$n){nodes{variants{item{id}}}} __schema{types{fields{type{ofType{name}}}}}}", i, i+1, i+1)
	}
	for i := 0; ; i++ {
		next := frag(i)
		last := fmt.Sprintf(" fragment F%d on Query{__typename}", i+1)
		if b.Len()+len(next)+len(last) > size {
			b.WriteString(fmt.Sprintf(" fragment F%d on Query{__typename}", i))
			return b.String()
		}
		b.WriteString(next)
	}
}
