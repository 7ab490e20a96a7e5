package graph

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Codes of the refusals made before anything runs.
const (
	codeValidation       = "GRAPHQL_VALIDATION_FAILED"
	codeTooComplex       = "QUERY_TOO_COMPLEX"
	codeTooManySessionOp = "TOO_MANY_SESSION_OPERATIONS"
)

// costModel prices documents against one schema: it knows every field's
// declared cost and list bound.
type costModel struct {
	schema *ast.Schema
	fields map[*ast.FieldDefinition]fieldPrice
	intro  *introModel
}

// fieldPrice is a field's declaration resolved against the schema.
type fieldPrice struct {
	base       int
	paged      bool // takes `first`: its selections are paid per page element
	list       bool
	size       int // elements of an unpaged list
	sizeArg    string
	sizeArgMax int
	// scope and unscopedBase: see fieldCost.
	scope        string
	unscopedBase int
}

// newCostModel loads the served SDL and resolves the declarations of costs.
func newCostModel(sdl string, costs map[string]fieldCost) (*costModel, error) {
	s, err := validator.LoadSchema(validator.Prelude, &ast.Source{Name: "schema", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("load schema for the cost model: %w", err)
	}
	m := &costModel{schema: s, fields: map[*ast.FieldDefinition]fieldPrice{}}
	for _, def := range s.Types {
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			continue
		}
		root := def == s.Query || def == s.Mutation || def == s.Subscription
		for _, fd := range def.Fields {
			decl, declared := costs[def.Name+"."+fd.Name]
			fp := fieldPrice{base: decl.base, paged: fd.Arguments.ForName("first") != nil, list: fd.Type.Elem != nil,
				sizeArg: decl.sizeArg, sizeArgMax: decl.sizeArgMax, scope: decl.scope, unscopedBase: decl.unscopedBase}
			if !declared && root {
				fp.base = undeclaredRootBase
			}
			switch {
			case !fp.list || fp.paged || decl.perPage:
				fp.size = 1
			case decl.perEnum != "":
				if e := s.Types[decl.perEnum]; e != nil {
					fp.size = len(e.EnumValues)
				}
			case decl.max > 0:
				fp.size = decl.max
			}
			if fp.size == 0 {
				fp.size = undeclaredListMax
			}
			m.fields[fd] = fp
		}
	}
	m.intro = newIntroModel(s)
	return m, nil
}

// plan is a priced request: the canonical document that will run, the
// operation in it, and what it costs.
type plan struct {
	document      string // printed from the priced AST: what graphql-go executes
	operationName string
	cost          int
	sessionOps    int // signUp, logIn and refreshSession fields
	marks         []mark
	steps         int // selections and fragments walked (linear in the document)
	introSteps    int // introspection objects visited (bounded by introspectionBudget)
}

// plan parses the document once, checks that the operation to run only
// names fields, fragments and types that exist, prices it, and prints it
// back as the canonical document to execute.
func (m *costModel) plan(query, operationName string, vars map[string]any) (*plan, *topError) {
	if !utf8.ValidString(query) { // JSON cannot carry it; the printer would write U+FFFD
		return nil, badRequest("query is not valid UTF-8")
	}
	doc, err := parser.ParseQuery(&ast.Source{Name: "query", Input: query})
	if err != nil {
		return nil, badRequest("query syntax error: " + strings.TrimPrefix(err.Error(), "query:"))
	}
	op, terr := selectOperation(doc, operationName)
	if terr != nil {
		return nil, terr
	}
	p := &pricer{m: m, op: op, vars: vars, frags: map[string]*ast.FragmentDefinition{}, memo: map[string]*fragPrice{}}
	for _, f := range doc.Fragments {
		if p.frags[f.Name] != nil {
			return nil, invalid(f.Position, "there can be only one fragment named %q", f.Name)
		}
		p.frags[f.Name] = f
	}
	root := m.rootType(op.Operation)
	if root == nil {
		return nil, invalid(op.Position, "the schema offers no %s operations", op.Operation)
	}
	c := p.set(op.SelectionSet, root)
	if p.err != nil {
		return nil, p.err
	}
	pl := &plan{operationName: op.Name, cost: c.cost, sessionOps: c.sessions, steps: p.steps, introSteps: p.introSteps}
	if pl.sessionOps > 1 {
		return nil, &topError{code: codeTooManySessionOp, message: "a request may hold at most one signUp, logIn or refreshSession"}
	}
	if pl.cost > MaxCost {
		return nil, tooComplex(fmt.Sprintf("query cost %s exceeds the limit of %d; ask for smaller pages or fewer fields", costString(pl.cost), MaxCost))
	}
	pr := &printer{}
	pr.operation(op)
	for _, f := range doc.Fragments {
		if p.memo[f.Name] != nil {
			pr.fragment(f)
		}
	}
	pl.document, pl.marks = pr.b.String(), pr.marks
	if len(pl.document) > MaxQueryLength {
		return nil, badRequest(fmt.Sprintf("query is longer than %d characters once its strings are written with escapes", MaxQueryLength))
	}
	return pl, nil
}

func (m *costModel) rootType(op ast.Operation) *ast.Definition {
	switch op {
	case ast.Query:
		return m.schema.Query
	case ast.Mutation:
		return m.schema.Mutation
	}
	return m.schema.Subscription
}

// selectOperation picks the operation that will run, as graphql-go would,
// and refuses documents the specification calls ambiguous.
func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *topError) {
	seen := map[string]bool{}
	for _, op := range doc.Operations {
		if op.Name == "" && len(doc.Operations) > 1 {
			return nil, invalid(op.Position, "an anonymous operation must be the only operation in the document")
		}
		if seen[op.Name] {
			return nil, invalid(op.Position, "there can be only one operation named %q", op.Name)
		}
		seen[op.Name] = true
	}
	switch {
	case len(doc.Operations) == 0:
		return nil, badRequest("the document holds no operation")
	case name != "":
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, invalid(nil, "no operation named %q in the document", name)
	case len(doc.Operations) > 1:
		return nil, invalid(nil, "the document holds several operations: name the one to run with operationName")
	}
	return doc.Operations[0], nil
}

func invalid(pos *ast.Position, format string, args ...any) *topError {
	msg := fmt.Sprintf(format, args...)
	if pos != nil {
		msg += fmt.Sprintf(" (line %d, column %d)", pos.Line, pos.Column)
	}
	return &topError{code: codeValidation, message: msg}
}

func tooComplex(msg string) *topError { return &topError{code: codeTooComplex, message: msg} }
