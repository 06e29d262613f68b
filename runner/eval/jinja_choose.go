package eval

import (
	"errors"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// Choosing between expr's reading of an expression and the Jinja
// translation, and reporting where the text is wrong.

// jinjaReading reports whether expr's reading of a tree cannot be what
// its author meant, so it is read as Jinja instead: a method call
// (x.split(",")) — expr values have none, the translation maps Python's —
// or a builtin such as map given a literal where expr wants a predicate
// (users | map('upper') is Jinja's map filter).
func jinjaReading(root ast.Node) bool {
	found := false
	ast.Walk(&root, visitFunc(func(n *ast.Node) {
		switch c := (*n).(type) {
		case *ast.CallNode:
			if m, ok := c.Callee.(*ast.MemberNode); ok && m.Method {
				found = true
			}
			if overArity(c) {
				found = true
			}
		case *ast.UnaryNode:
			if (c.Operator == "-" || c.Operator == "+") && isPipe(c.Node) {
				found = true // -3 | abs: Jinja filters -3, expr 3
			}
		case *ast.BuiltinNode:
			if jinjaShadowsBuiltin[c.Name] {
				found = true
			}
			if len(c.Arguments) == 2 && isPredicateBuiltin(c.Name) {
				pred := c.Arguments[1]
				if p, ok := pred.(*ast.PredicateNode); ok {
					pred = p.Node
				}
				if _, ok := pred.(*ast.StringNode); ok {
					found = true
				}
			}
		}
	}))
	return found
}

// isPredicateBuiltin reports whether expr's builtin takes a predicate
// second (map(list, .name)), where Jinja's filter of that name takes
// a filter or test name.
func isPredicateBuiltin(name string) bool {
	switch name {
	case "map", "filter", "sum", "count", "all", "any", "none", "one":
		return true
	}
	return false
}

// visitFunc adapts a function to ast.Visitor.
type visitFunc func(*ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(n) }

// hasComment reports whether code holds "//" or "/*" outside string
// literals: expr reads them as comments, Jinja's // is floor division.
func hasComment(code string) bool {
	if !strings.Contains(code, "//") && !strings.Contains(code, "/*") {
		return false
	}
	var quote byte
	for i := 0; i+1 < len(code); i++ {
		c := code[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '/' && (code[i+1] == '/' || code[i+1] == '*'):
			return true
		}
	}
	return false
}

// pickSyntaxError chooses between expr's error and the Jinja translation's
// for an expression neither accepts: a Jinja form that is recognised but
// refused, or a Jinja error further into the text, says more.
func pickSyntaxError(src, code string, exprErr error, jerr *jinjaError) error {
	exprPos := -1
	var fe *file.Error
	if exprErr != nil && errors.As(exprErr, &fe) {
		exprPos = offsetOf(code, fe.Line, fe.Column)
	}
	if exprErr == nil || jerr.refused || jerr.pos > exprPos {
		line, col := lineCol(code, jerr.pos)
		return &Error{Expr: src, Syntax: true, Line: line, Column: col, Msg: jerr.msg}
	}
	return withHint(newError(src, true, exprErr), code)
}

// offsetOf turns expr's 1-based line and 0-based column into a byte offset.
func offsetOf(code string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(code[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return off + col
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(code string, off int) (int, int) {
	off = min(off, len(code))
	line := 1 + strings.Count(code[:off], "\n")
	return line, off - strings.LastIndexByte(code[:off], '\n')
}

// jinjaColumns drops the position from an error of a translated
// expression: expr's column counts in the translation, not in the text
// the author wrote, which the error quotes.
func jinjaColumns(err error, translated bool) error {
	if e, ok := err.(*Error); ok && translated {
		e.Line, e.Column = 0, 0
	}
	return err
}
