package graph

import (
	"context"
	"sync/atomic"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/graph-gophers/graphql-go/introspection"
	"github.com/graph-gophers/graphql-go/trace/tracer"
)

// The pricing fuzz test executes what it priced and checks that execution
// never resolves more fields than the price. The served schema's resolvers
// need the application behind them, so ordinary fields are executed
// against fuzzSDL, a small schema with the served schema's hard shapes
// (connections, bounded lists, a type cycle, an interface, a union, session
// mutations), whose resolvers always return the longest lists the
// declarations allow. Introspection is executed against the served schema
// itself.
const fuzzSDL = `
schema { query: Query mutation: Mutation }
type Query {
  item(id: ID!): Item
  items(first: Int, query: String): ItemConnection!
  tags: [Tag!]!
  node(id: ID!): Node
  search(text: String): [SearchResult!]!
  echo(s: String, n: Int, f: Float, b: Boolean, e: Color, l: [Int!], o: EchoInput): String
}
type Mutation {
  signUp(name: String!): Session!
  logIn(name: String!): Session!
  touch: Int!
}
type Session { token: String item: Item }
interface Node { id: ID! }
type Item implements Node { id: ID! name: String! variants: [Variant!]! tags: [Tag!]! }
type Variant implements Node { id: ID! sku: String! item: Item! }
type Tag { name: String! items(first: Int): ItemConnection! }
type ItemConnection { nodes: [Item!]! total: Int! }
union SearchResult = Item | Tag
enum Color { RED GREEN }
input EchoInput { a: Int b: String }
`

var fuzzCosts = map[string]fieldCost{
	"Query.item":           {base: readCost},
	"Query.items":          {base: readCost},
	"Query.tags":           {base: readCost, max: 4},
	"Query.node":           {base: readCost},
	"Query.search":         {base: readCost, max: 3},
	"Query.echo":           {base: 1},
	"Mutation.signUp":      {base: hashCost},
	"Mutation.logIn":       {base: hashCost},
	"Mutation.touch":       {base: writeCost},
	"Item.variants":        {base: batchedReadCost, max: 3},
	"Item.tags":            {max: 4},
	"Variant.item":         {base: batchedReadCost},
	"Tag.items":            {base: readCost},
	"ItemConnection.nodes": {perPage: true},
}

// Resolvers of fuzzSDL: every list as long as its declaration allows.
type fzRoot struct{}

func page(first *int32) int {
	if first == nil {
		return defaultPageSize
	}
	return min(max(int(*first), 1), maxPageSize)
}

func (fzRoot) Item(struct{ ID graphql.ID }) *fzItem { return &fzItem{} }
func (fzRoot) Items(a struct {
	First *int32
	Query *string
}) *fzConn {
	return &fzConn{n: page(a.First)}
}
func (fzRoot) Tags() []*fzTag                       { return []*fzTag{{}, {}, {}, {}} }
func (fzRoot) Node(struct{ ID graphql.ID }) *fzNode { return &fzNode{} }
func (fzRoot) Search(struct{ Text *string }) []*fzHit {
	return []*fzHit{{item: true}, {}, {item: true}}
}
func (fzRoot) Echo(a struct {
	S *string
	N *int32
	F *float64
	B *bool
	E *string
	L *[]int32
	O *struct {
		A *int32
		B *string
	}
}) *string {
	return a.S
}
func (fzRoot) SignUp(struct{ Name string }) *fzSession { return &fzSession{} }
func (fzRoot) LogIn(struct{ Name string }) *fzSession  { return &fzSession{} }
func (fzRoot) Touch() int32                            { return 1 }

type fzSession struct{}

func (fzSession) Token() *string { return nil }
func (fzSession) Item() *fzItem  { return &fzItem{} }

type fzItem struct{}

func (fzItem) ID() graphql.ID         { return "i" }
func (fzItem) Name() string           { return "n" }
func (fzItem) Variants() []*fzVariant { return []*fzVariant{{}, {}, {}} }
func (fzItem) Tags() []*fzTag         { return []*fzTag{{}, {}, {}, {}} }

type fzVariant struct{}

func (fzVariant) ID() graphql.ID { return "v" }
func (fzVariant) Sku() string    { return "s" }
func (fzVariant) Item() *fzItem  { return &fzItem{} }

type fzTag struct{}

func (*fzTag) Name() string { return "t" }
func (*fzTag) Items(a struct{ First *int32 }) *fzConn {
	return &fzConn{n: page(a.First)}
}

type fzConn struct{ n int }

func (c *fzConn) Nodes() []*fzItem {
	out := make([]*fzItem, c.n)
	for i := range out {
		out[i] = &fzItem{}
	}
	return out
}
func (c *fzConn) Total() int32 { return int32(c.n) }

type fzNode struct{}

func (fzNode) ID() graphql.ID                { return "i" }
func (fzNode) ToItem() (*fzItem, bool)       { return &fzItem{}, true }
func (fzNode) ToVariant() (*fzVariant, bool) { return nil, false }

type fzHit struct{ item bool }

func (h *fzHit) ToItem() (*fzItem, bool) { return &fzItem{}, h.item }
func (h *fzHit) ToTag() (*fzTag, bool)   { return &fzTag{}, !h.item }

// fieldCounter counts resolved fields: graphql-go traces every one.
type fieldCounter struct{ n atomic.Int64 }

func (c *fieldCounter) TraceQuery(ctx context.Context, _ string, _ string, _ map[string]any, _ map[string]*introspection.Type) (context.Context, tracer.QueryFinishFunc) {
	return ctx, func([]*gqlerrors.QueryError) {}
}

func (c *fieldCounter) TraceField(ctx context.Context, _, _, _ string, _ bool, _ map[string]any) (context.Context, tracer.FieldFinishFunc) {
	c.n.Add(1)
	return ctx, func(*gqlerrors.QueryError) {}
}
