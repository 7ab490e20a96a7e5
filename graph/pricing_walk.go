package graph

import (
	"fmt"
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// The walk that prices one operation: each selection once, each fragment
// once (memoized, multiplied where it is spread), so its work is linear in
// the document whatever the fragments' nesting.

// price is the cost of a selection set for one object, and the session
// fields it holds.
type price struct{ cost, sessions int }

func (a price) plus(b price) price {
	return price{satAdd(a.cost, b.cost), satAdd(a.sessions, b.sessions)}
}
func (a price) times(n int) price { return price{satMul(a.cost, n), satMul(a.sessions, n)} }

// fragPrice memoizes a fragment: priced once, whatever the number of spreads.
type fragPrice struct {
	done  bool // false while it is being walked: meeting it again is a cycle
	price price
}

// pricer walks one operation. The first error stops the walk.
type pricer struct {
	m          *costModel
	op         *ast.OperationDefinition
	vars       map[string]any
	frags      map[string]*ast.FragmentDefinition
	memo       map[string]*fragPrice
	err        *topError
	steps      int
	introSteps int
}

// set prices a selection set for one object of type parent.
func (p *pricer) set(sels ast.SelectionSet, parent *ast.Definition) price {
	var total price
	for _, sel := range sels {
		if p.err != nil {
			return price{}
		}
		p.steps++
		switch s := sel.(type) {
		case *ast.Field:
			total = total.plus(p.field(s, parent))
		case *ast.FragmentSpread:
			total = total.plus(p.spread(s, parent))
		case *ast.InlineFragment:
			t := parent
			if s.TypeCondition != "" {
				if t = p.condition(s.TypeCondition, parent, s.Position); t == nil {
					return price{}
				}
			}
			total = total.plus(p.set(s.SelectionSet, t))
		}
	}
	return total
}

func (p *pricer) field(f *ast.Field, parent *ast.Definition) price {
	s := p.m.schema
	if f.Name == "__typename" {
		return price{cost: 1}
	}
	if parent == s.Query && (f.Name == "__schema" || f.Name == "__type") {
		t := s.Types["__Schema"]
		if f.Name == "__type" {
			t = s.Types["__Type"]
		}
		p.set(f.SelectionSet, t) // checks it; what it costs depends on the schema
		if p.err != nil {
			return price{}
		}
		return price{cost: satAdd(1, p.introspect(f))}
	}
	fd := parent.Fields.ForName(f.Name)
	if fd == nil || strings.HasPrefix(f.Name, "__") {
		p.fail(invalid(f.Position, "cannot query field %q on type %q", f.Name, parent.Name))
		return price{}
	}
	fp := p.m.fields[fd]
	base := fp.base
	if fp.scope != "" && !p.scoped(f, fp.scope) {
		base = fp.unscopedBase
	}
	own := price{cost: satAdd(1, base)}
	if parent == s.Mutation && sessionFields[f.Name] {
		own.sessions = 1
	}
	child := s.Types[fd.Type.Name()]
	if len(f.SelectionSet) == 0 {
		return own
	}
	if child == nil || !isComposite(child) {
		p.fail(invalid(f.Position, "field %q of type %q has no subfields to select", f.Name, fd.Type.String()))
		return price{}
	}
	return own.plus(p.set(f.SelectionSet, child).times(p.elements(f, fp)))
}

// elements is how many objects the field's selections run for.
func (p *pricer) elements(f *ast.Field, fp fieldPrice) int {
	if fp.paged {
		n, ok := p.intArg(f, "first")
		if !ok {
			return defaultPageSize
		}
		return min(max(n, 1), maxPageSize)
	}
	if fp.sizeArg != "" {
		if n, ok := p.listArgLen(f, fp.sizeArg); ok {
			return min(n, fp.sizeArgMax)
		}
	}
	return fp.size
}

func (p *pricer) spread(s *ast.FragmentSpread, parent *ast.Definition) price {
	f := p.frags[s.Name]
	if f == nil {
		p.fail(invalid(s.Position, "unknown fragment %q", s.Name))
		return price{}
	}
	t := p.condition(f.TypeCondition, parent, s.Position)
	if t == nil {
		return price{}
	}
	if fp := p.memo[f.Name]; fp != nil {
		if !fp.done {
			p.fail(invalid(s.Position, "fragment %q spreads itself", f.Name))
			return price{}
		}
		return fp.price
	}
	fp := &fragPrice{}
	p.memo[f.Name] = fp
	fp.price, fp.done = p.set(f.SelectionSet, t), true
	return fp.price
}

// condition resolves a type condition and checks that an object of type
// parent can be of it.
func (p *pricer) condition(name string, parent *ast.Definition, pos *ast.Position) *ast.Definition {
	t := p.m.schema.Types[name]
	if t == nil || !isComposite(t) {
		p.fail(invalid(pos, "unknown type %q in a fragment's type condition", name))
		return nil
	}
	for _, a := range p.m.schema.GetPossibleTypes(t) {
		for _, b := range p.m.schema.GetPossibleTypes(parent) {
			if a == b {
				return t
			}
		}
	}
	p.fail(invalid(pos, "a fragment on %q cannot apply to an object of type %q", name, parent.Name))
	return nil
}

func (p *pricer) fail(err *topError) {
	if p.err == nil {
		p.err = err
	}
}

// arg returns the value a field's argument will have: the literal, else
// the request's variable, else the variable's default; nil when absent.
func (p *pricer) arg(f *ast.Field, name string) any {
	a := f.Arguments.ForName(name)
	if a == nil {
		return nil
	}
	return p.value(a.Value)
}

func (p *pricer) value(v *ast.Value) any {
	switch v.Kind {
	case ast.Variable:
		if x, ok := p.vars[v.Raw]; ok && x != nil {
			return x
		}
		if d := p.op.VariableDefinitions.ForName(v.Raw); d != nil && d.DefaultValue != nil {
			return p.value(d.DefaultValue)
		}
		return nil
	case ast.IntValue:
		var n int64
		if _, err := fmt.Sscan(v.Raw, &n); err != nil {
			return math.MaxInt64
		}
		return n
	case ast.StringValue, ast.BlockValue:
		return v.Raw
	case ast.ListValue:
		return make([]any, len(v.Children))
	case ast.NullValue:
		return nil
	}
	return v.Raw
}

func (p *pricer) intArg(f *ast.Field, name string) (int, bool) {
	switch n := p.arg(f, name).(type) {
	case int64:
		return int(min(max(n, math.MinInt32), math.MaxInt32)), true
	case float64:
		return int(min(max(n, math.MinInt32), math.MaxInt32)), true
	case int:
		return n, true
	case int32:
		return int(n), true
	}
	return 0, false
}

// listArgLen is the length of a list argument, when it is given.
func (p *pricer) listArgLen(f *ast.Field, name string) (int, bool) {
	switch v := p.arg(f, name).(type) {
	case nil:
		return 0, false
	case []any:
		return len(v), true
	case []string:
		return len(v), true
	}
	return 1, true // a single value is coerced to a list of one
}

func isComposite(d *ast.Definition) bool {
	return d.Kind == ast.Object || d.Kind == ast.Interface || d.Kind == ast.Union
}

// satMax caps every sum and product: costs saturate instead of wrapping.
const satMax = math.MaxInt64 / 4

func satAdd(a, b int) int {
	if a > satMax-b {
		return satMax
	}
	return a + b
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > satMax/b {
		return satMax
	}
	return a * b
}

func costString(c int) string {
	if c >= satMax {
		return "over 10^18"
	}
	return fmt.Sprint(c)
}
