package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// scoped reports whether the input field path ("input.locationId": an
// argument, then fields of input objects) holds a non-null value in the
// request as it will run: the literal, else the request's variable, else
// the variable's default. Anything it cannot tell is not scoped, so the
// field is priced at its wider form.
func (p *pricer) scoped(f *ast.Field, path string) bool {
	names := strings.Split(path, ".")
	a := f.Arguments.ForName(names[0])
	if a == nil {
		return false
	}
	return p.present(a.Value, names[1:])
}

func (p *pricer) present(v *ast.Value, path []string) bool {
	if v == nil {
		return false
	}
	switch v.Kind {
	case ast.Variable:
		if x, ok := p.vars[v.Raw]; ok && x != nil {
			return presentJSON(x, path)
		}
		if d := p.op.VariableDefinitions.ForName(v.Raw); d != nil && d.DefaultValue != nil {
			return p.present(d.DefaultValue, path)
		}
		return false
	case ast.NullValue:
		return false
	case ast.ObjectValue:
		if len(path) == 0 {
			return true
		}
		for _, c := range v.Children {
			if c.Name == path[0] {
				return p.present(c.Value, path[1:])
			}
		}
		return false
	}
	return len(path) == 0
}

// presentJSON is present for a variable's value as the request sent it.
func presentJSON(x any, path []string) bool {
	for _, name := range path {
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		if x = m[name]; x == nil {
			return false
		}
	}
	return x != nil
}
