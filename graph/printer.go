package graph

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/vektah/gqlparser/v2/ast"
)

// printer writes a priced document back as GraphQL for graphql-go to run.
// It uses a small part of the grammar on which every parser agrees: names,
// punctuation, numbers as the lexer checked them, and ordinary
// double-quoted strings whose only escapes are \" \\ \n \r \t and \uXXXX.
// No block strings, no comments, no descriptions, one line. So what runs is
// exactly what was priced, whatever trick the original text played on the
// difference between two lexers.
type printer struct {
	b     strings.Builder
	col   int // characters written so far: graphql-go counts columns in characters
	marks []mark
}

// mark ties a column of the printed document to the position in the
// client's document it was printed from, so error locations point at the
// client's text.
type mark struct {
	col  int
	line int
	orig int
}

func (p *printer) raw(s string) {
	p.b.WriteString(s)
	p.col += utf8.RuneCountInString(s)
}

func (p *printer) at(pos *ast.Position) {
	if pos != nil {
		p.marks = append(p.marks, mark{col: p.col + 1, line: pos.Line, orig: pos.Column})
	}
}

func (p *printer) operation(op *ast.OperationDefinition) {
	p.at(op.Position)
	p.raw(string(op.Operation))
	if op.Name != "" {
		p.raw(" " + op.Name)
	}
	if len(op.VariableDefinitions) > 0 {
		p.raw("(")
		for i, v := range op.VariableDefinitions {
			if i > 0 {
				p.raw(", ")
			}
			p.at(v.Position)
			p.raw("$" + v.Variable + ": " + v.Type.String())
			if v.DefaultValue != nil {
				p.raw(" = ")
				p.value(v.DefaultValue)
			}
			p.directives(v.Directives)
		}
		p.raw(")")
	}
	p.directives(op.Directives)
	p.selections(op.SelectionSet)
}

func (p *printer) fragment(f *ast.FragmentDefinition) {
	p.raw(" ")
	p.at(f.Position)
	p.raw("fragment " + f.Name + " on " + f.TypeCondition)
	p.directives(f.Directives)
	p.selections(f.SelectionSet)
}

func (p *printer) selections(sels ast.SelectionSet) {
	p.raw(" {")
	for _, sel := range sels {
		p.raw(" ")
		p.at(sel.GetPosition())
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				p.raw(s.Alias + ": ")
			}
			p.raw(s.Name)
			p.arguments(s.Arguments)
			p.directives(s.Directives)
			if len(s.SelectionSet) > 0 {
				p.selections(s.SelectionSet)
			}
		case *ast.FragmentSpread:
			p.raw("..." + s.Name)
			p.directives(s.Directives)
		case *ast.InlineFragment:
			p.raw("...")
			if s.TypeCondition != "" {
				p.raw(" on " + s.TypeCondition)
			}
			p.directives(s.Directives)
			p.selections(s.SelectionSet)
		}
	}
	p.raw(" }")
}

func (p *printer) arguments(args ast.ArgumentList) {
	if len(args) == 0 {
		return
	}
	p.raw("(")
	for i, a := range args {
		if i > 0 {
			p.raw(", ")
		}
		p.at(a.Position)
		p.raw(a.Name + ": ")
		p.value(a.Value)
	}
	p.raw(")")
}

func (p *printer) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		p.raw(" ")
		p.at(d.Position)
		p.raw("@" + d.Name)
		p.arguments(d.Arguments)
	}
}

func (p *printer) value(v *ast.Value) {
	p.at(v.Position)
	switch v.Kind {
	case ast.Variable:
		p.raw("$" + v.Raw)
	case ast.StringValue, ast.BlockValue:
		p.str(v.Raw)
	case ast.ListValue:
		p.raw("[")
		for i, c := range v.Children {
			if i > 0 {
				p.raw(", ")
			}
			p.value(c.Value)
		}
		p.raw("]")
	case ast.ObjectValue:
		p.raw("{")
		for i, c := range v.Children {
			if i > 0 {
				p.raw(", ")
			}
			p.raw(c.Name + ": ")
			p.value(c.Value)
		}
		p.raw("}")
	case ast.NullValue:
		p.raw("null")
	default: // Int, Float, Boolean, Enum: as the lexer read them
		p.raw(v.Raw)
	}
}

// str writes s as an ordinary GraphQL string that Go's strconv.Unquote
// (graphql-go's reading) decodes to the same s.
func (p *printer) str(s string) {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == '\uFEFF' || (r < 0x10000 && !unicode.IsPrint(r) && !unicode.IsSpace(r)):
			const hex = "0123456789ABCDEF"
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xF])
			}
		default:
			b.WriteRune(r) // invalid UTF-8 was read as U+FFFD: printed as such
		}
	}
	b.WriteByte('"')
	p.raw(b.String())
}

// remap points the locations of graphql-go's errors, which are columns of
// the printed document, at the client's document.
func remap(errs []*gqlerrors.QueryError, marks []mark) {
	for _, e := range errs {
		for i, l := range e.Locations {
			if l.Line != 1 {
				continue
			}
			j := sort.Search(len(marks), func(j int) bool { return marks[j].col > l.Column }) - 1
			if j >= 0 {
				e.Locations[i] = gqlerrors.Location{Line: marks[j].line, Column: marks[j].orig}
			}
		}
	}
}
