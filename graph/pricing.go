package graph

import (
	"fmt"
	"math"
	"strings"

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
				sizeArg: decl.sizeArg, sizeArgMax: decl.sizeArgMax}
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
	own := price{cost: satAdd(1, fp.base)}
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

func invalid(pos *ast.Position, format string, args ...any) *topError {
	msg := fmt.Sprintf(format, args...)
	if pos != nil {
		msg += fmt.Sprintf(" (line %d, column %d)", pos.Line, pos.Column)
	}
	return &topError{code: codeValidation, message: msg}
}

func tooComplex(msg string) *topError { return &topError{code: codeTooComplex, message: msg} }

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
