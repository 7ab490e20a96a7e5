package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection is priced by walking the served schema itself: the answer
// to __schema { types { fields { type { ofType ... } } } } is static, so
// the walk visits what execution will visit and counts it (a little over,
// where gqlparser's view of the schema lists more than graphql-go's, e.g.
// the @defer directive). Its cycles (types -> fields -> type -> fields) end
// where the schema's do. The walk of one request stops after
// introspectionBudget visits, so its work is bounded whatever the document:
// each visit of a field costs at least 1, so a walk that long is over
// MaxCost anyway, unless it is fragments spreading fragments. GraphiQL's
// full introspection query takes about 7,000.
const introspectionBudget = MaxCost

// introNode is one introspection object (a __Type, named or a wrapper, a
// __Field, an __InputValue, an __EnumValue, a __Directive, the __Schema)
// with, per field, the objects that field resolves to. The graph is built
// once per schema, so the walk allocates nothing.
type introNode struct {
	kind     string // the introspection type's name, e.g. "__Type"
	children map[string][]*introNode
}

// introModel builds the served schema's introspection graph.
type introModel struct {
	schema *ast.Schema
	refs   map[string]*introNode // __Type per type reference, e.g. "[Item!]!"
	root   *introNode            // the __Schema
}

func newIntroModel(s *ast.Schema) *introModel {
	m := &introModel{schema: s, refs: map[string]*introNode{}}
	m.root = &introNode{kind: "__Schema", children: map[string][]*introNode{}}
	for name := range s.Types {
		m.root.children["types"] = append(m.root.children["types"], m.ref(&ast.Type{NamedType: name}))
	}
	for _, d := range s.Directives {
		dir := &introNode{kind: "__Directive", children: map[string][]*introNode{"args": m.args(d.Arguments)}}
		m.root.children["directives"] = append(m.root.children["directives"], dir)
	}
	for field, def := range map[string]*ast.Definition{"queryType": s.Query, "mutationType": s.Mutation, "subscriptionType": s.Subscription} {
		if def != nil {
			m.root.children[field] = []*introNode{m.ref(&ast.Type{NamedType: def.Name})}
		}
	}
	return m
}

// named returns the __Type of a named type, nil for an unknown name. It
// only reads: every named type was built with the graph, and requests share
// the model.
func (m *introModel) named(name string) *introNode {
	if m.schema.Types[name] == nil {
		return nil
	}
	return m.refs[name]
}

// ref returns the __Type of a type reference, building it on first use;
// the node is registered before its children, so cycles close.
func (m *introModel) ref(t *ast.Type) *introNode {
	key := t.String()
	if n := m.refs[key]; n != nil {
		return n
	}
	n := &introNode{kind: "__Type", children: map[string][]*introNode{}}
	m.refs[key] = n
	switch {
	case t.NonNull:
		inner := *t
		inner.NonNull = false
		n.children["ofType"] = []*introNode{m.ref(&inner)}
	case t.Elem != nil:
		n.children["ofType"] = []*introNode{m.ref(t.Elem)}
	default:
		m.fill(n, m.schema.Types[t.NamedType])
	}
	return n
}

func (m *introModel) fill(n *introNode, def *ast.Definition) {
	if def == nil {
		return
	}
	switch def.Kind {
	case ast.Object, ast.Interface:
		for _, fd := range def.Fields {
			if strings.HasPrefix(fd.Name, "__") {
				continue
			}
			f := &introNode{kind: "__Field", children: map[string][]*introNode{"args": m.args(fd.Arguments), "type": {m.ref(fd.Type)}}}
			n.children["fields"] = append(n.children["fields"], f)
		}
		for _, name := range def.Interfaces {
			n.children["interfaces"] = append(n.children["interfaces"], m.ref(&ast.Type{NamedType: name}))
		}
		if def.Kind == ast.Interface {
			n.children["possibleTypes"] = m.possible(def)
		}
	case ast.Union:
		n.children["possibleTypes"] = m.possible(def)
	case ast.Enum:
		for range def.EnumValues {
			n.children["enumValues"] = append(n.children["enumValues"], &introNode{kind: "__EnumValue"})
		}
	case ast.InputObject:
		for _, fd := range def.Fields {
			iv := &introNode{kind: "__InputValue", children: map[string][]*introNode{"type": {m.ref(fd.Type)}}}
			n.children["inputFields"] = append(n.children["inputFields"], iv)
		}
	}
}

func (m *introModel) possible(def *ast.Definition) []*introNode {
	var out []*introNode
	for _, d := range m.schema.GetPossibleTypes(def) {
		out = append(out, m.ref(&ast.Type{NamedType: d.Name}))
	}
	return out
}

func (m *introModel) args(args ast.ArgumentDefinitionList) []*introNode {
	out := make([]*introNode, len(args))
	for i, a := range args {
		out[i] = &introNode{kind: "__InputValue", children: map[string][]*introNode{"type": {m.ref(a.Type)}}}
	}
	return out
}

// introspect prices the selections of a __schema or __type field.
func (p *pricer) introspect(f *ast.Field) int {
	root := p.m.intro.root
	if f.Name == "__type" {
		name, _ := p.arg(f, "name").(string)
		if root = p.m.intro.named(name); root == nil {
			return 0 // null
		}
	}
	return p.walkIntro(f.SelectionSet, root)
}

func (p *pricer) walkIntro(sels ast.SelectionSet, n *introNode) int {
	total := 0
	for _, sel := range sels {
		if p.introSteps++; p.introSteps > introspectionBudget {
			p.fail(tooComplex("introspection query too large: ask for fewer nested types"))
		}
		if p.err != nil {
			return 0
		}
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, 1)
			if len(s.SelectionSet) == 0 {
				continue
			}
			for _, c := range n.children[s.Name] {
				total = satAdd(total, p.walkIntro(s.SelectionSet, c))
			}
		case *ast.FragmentSpread:
			total = satAdd(total, p.walkIntro(p.frags[s.Name].SelectionSet, n)) // the walk of types checked it
		case *ast.InlineFragment:
			if s.TypeCondition == "" || s.TypeCondition == n.kind {
				total = satAdd(total, p.walkIntro(s.SelectionSet, n))
			}
		}
	}
	return total
}
