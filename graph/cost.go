package graph

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Cost model: every field costs 1, times the product of the page sizes
// ("first", default 50, max 250) of the connections above it. A query whose
// cost passes the limit is refused before it runs.
const (
	defaultPageSize = 50
	maxPageSize     = 250
)

// pagedFields returns the names of the schema's fields that take "first":
// their children are paid for once per page element.
func pagedFields(schemaSDL string) (map[string]bool, error) {
	doc, err := parser.ParseSchema(&ast.Source{Input: schemaSDL})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, def := range append(doc.Definitions, doc.Extensions...) {
		for _, f := range def.Fields {
			if f.Arguments.ForName("first") != nil {
				out[f.Name] = true
			}
		}
	}
	return out, nil
}

// costModel prices queries against one schema.
type costModel struct{ paged map[string]bool }

// queryCost parses a query and returns the cost of its most expensive operation.
func (m costModel) queryCost(query string, variables map[string]any) (int, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return 0, err
	}
	frags := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		frags[f.Name] = f
	}
	worst := 0
	for _, op := range doc.Operations {
		c := m.setCost(op.SelectionSet, 1, frags, variables, 0)
		if c > worst {
			worst = c
		}
	}
	return worst, nil
}

// setCost walks a selection set; depth guards against fragment cycles
// (which validation rejects later anyway).
func (m costModel) setCost(set ast.SelectionSet, mult int, frags map[string]*ast.FragmentDefinition, vars map[string]any, depth int) int {
	if depth > 50 {
		return 1 << 30
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total += mult
			if len(s.SelectionSet) > 0 {
				total += m.setCost(s.SelectionSet, mult*m.pageSize(s, vars), frags, vars, depth+1)
			}
		case *ast.InlineFragment:
			total += m.setCost(s.SelectionSet, mult, frags, vars, depth+1)
		case *ast.FragmentSpread:
			if f, ok := frags[s.Name]; ok {
				total += m.setCost(f.SelectionSet, mult, frags, vars, depth+1)
			}
		}
		if total > 1<<30 {
			return total
		}
	}
	return total
}

func (m costModel) pageSize(f *ast.Field, vars map[string]any) int {
	if !m.paged[f.Name] {
		return 1
	}
	arg := f.Arguments.ForName("first")
	if arg == nil {
		return defaultPageSize
	}
	n := defaultPageSize
	switch arg.Value.Kind {
	case ast.IntValue:
		fmt.Sscan(arg.Value.Raw, &n)
	case ast.Variable:
		if v, ok := vars[arg.Value.Raw].(float64); ok {
			n = int(v)
		}
	}
	if n < 1 {
		n = 1
	}
	if n > maxPageSize {
		n = maxPageSize
	}
	return n
}
