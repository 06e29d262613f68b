// Package eval evaluates playbook expressions and renders templates.
//
// Bare expressions (when:, failed_when:, changed_when:, until:) and the
// {{ expr }} parts of strings use the expr language
// (github.com/expr-lang/expr); template files use Go text/template. Both see
// the same variables and the same helper functions (see funcs.go).
//
// Every distinct expression is compiled once and cached together with the
// list of variables it needs, so evaluating it per task, host and loop item
// costs one map lookup per variable plus the VM run.
//
// Undefined variables are an error (*UndefinedError), except where a missing
// value is expected:
//
//	x ?? "fallback"          a.b.c ?? 1
//	x | default("fallback")  default(x, "fallback")   mandatory(x, "msg")
//	x == nil                 x != nil
//	defined("x")             defined("a.b")   (the name, as a string)
//
// and in the parts of an expression guarded by such a test:
//
//	x != nil && x > 1        defined("x") and x > 1
//	x == nil || x > 1        x != nil ? x : 0
//
// In those places a missing variable, a member of a missing or nil map
// (a.b.c with a undefined) or an index out of range (l[9]) evaluates to nil.
//
// Helpers (table in funcs.go; in expressions call them with parentheses,
// directly or after a pipe: upper(s), s | upper(), x | default("d")):
//
//	values      default defined mandatory ternary
//	conversion  int float string bool to_json to_nice_json from_json
//	            to_yaml from_yaml b64encode b64decode
//	strings     lower upper trim replace split join startswith endswith
//	            contains (templates; an operator in expr) regex_replace
//	            regex_search regex_findall quote basename dirname hash sha256
//	collections length len keys values unique flatten union difference
//	            intersect dict2items items2dict combine range (expr) seq
//
// plus everything expr has built in (filter, map, any, all, sum, first,
// hasPrefix, …). Regular expressions are Go's (RE2); write them in
// backquotes (`\d+`) or with doubled backslashes ('\\d+').
//
// An expression expr cannot read (or would misread: Jinja's // is an expr
// comment) is read as Jinja and translated to expr when it is compiled
// (jinja*.go): x is defined, items | length, a if c else b, 'a' ~ b, x.0,
// lookup('env', 'X'). Both readings share Jinja's meaning of not/and/or,
// True/False/None and list + list (compat.go).
package eval

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Eval evaluates one bare expression with vars.
//
// For convenience a bare expression written as one "{{ expr }}" (as
// Ansible users sometimes do in when:) is evaluated as expr.
func Eval(expression string, vars map[string]any) (result any, err error) {
	defer recoverError(&err, expression)
	c, err := compile(expression)
	if err != nil {
		return nil, err
	}
	v, err := c.run(vars)
	if t, ok := v.(pyTuple); ok {
		return []any(t), err
	}
	return v, err
}

// Condition evaluates a list of bare expressions joined by AND (empty list →
// true). Results are judged by Truthy. Evaluation stops at the first false
// expression, so later ones may rely on earlier ones (e.g. ["x != nil",
// "x > 1"]).
func Condition(exprs []string, vars map[string]any) (ok bool, err error) {
	for _, e := range exprs {
		v, err := Eval(e, vars)
		if err != nil {
			return false, err
		}
		if !Truthy(v) {
			return false, nil
		}
	}
	return true, nil
}

// Validate checks the syntax of an expression (for playbook validation
// before running), without evaluating it.
func Validate(expression string) (err error) {
	defer recoverError(&err, expression)
	_, err = compile(expression)
	return err
}

// Error is a syntax or evaluation error in an expression.
type Error struct {
	Expr   string // the expression as written
	Syntax bool   // true for compile (syntax) errors, false for run-time errors
	Line   int    // 1-based line within Expr; 0 if unknown
	Column int    // 1-based column within the line; 0 if unknown
	Msg    string // what went wrong
	Err    error  // underlying cause (e.g. an error returned by a helper), if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Syntax {
		b.WriteString("invalid expression ")
	} else {
		b.WriteString("error evaluating expression ")
	}
	b.WriteString(quoteExpr(e.Expr))
	if e.Column > 0 {
		if strings.Contains(e.Expr, "\n") {
			fmt.Fprintf(&b, " at line %d column %d", e.Line, e.Column)
		} else {
			fmt.Fprintf(&b, " at column %d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// quoteExpr quotes an expression for an error message, shortening very long ones.
func quoteExpr(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// newError turns an error from expr into an *Error naming the expression.
func newError(src string, syntax bool, err error) error {
	var ue *UndefinedError
	if errors.As(err, &ue) {
		return err
	}
	e := &Error{Expr: src, Syntax: syntax, Msg: err.Error()}
	var fe *file.Error
	if errors.As(err, &fe) {
		e.Msg = fe.Message
		e.Err = fe.Prev
		if fe.Snippet != "" || fe.Column > 0 {
			e.Line = fe.Line
			e.Column = fe.Column + 1
		}
		if fe.Prev != nil && fe.Message == "" {
			e.Msg = fe.Prev.Error()
		}
	}
	e.Msg = plainTypeError(e.Msg)
	return e
}

// recoverError turns a panic into an error naming the expression. Nothing
// in this package should panic; this is the last line of defence.
func recoverError(err *error, src string) {
	if r := recover(); r != nil {
		*err = &Error{Expr: src, Msg: fmt.Sprintf("internal error: %v", r)}
	}
}

// compiled is a cached, compiled expression.
type compiled struct {
	src      string      // the expression as written (for errors)
	prog     *vm.Program // compiled program
	required []string    // variables that must be defined before running
	path     []string    // for a plain a.b.c: its parts, looked up without the VM
	refs     []string    // every variable named, required or not (References)
	jinja    bool        // translated from Jinja: expr's columns are not the author's
}

// compileResult is what the program cache holds: a program or the error
// compiling it gave (so a bad expression is not recompiled every time).
type compileResult struct {
	c   *compiled
	err error
}

// programs caches compiled expressions by source.
var programs = newCache[compileResult](20000)

// compile returns the cached compiled form of src, compiling it on first use.
func compile(src string) (*compiled, error) {
	if r, ok := programs.get(src); ok {
		return r.c, r.err
	}
	c, err := compileUncached(src)
	r := programs.put(src, compileResult{c, err})
	return r.c, r.err
}

// compileUncached parses src, works out which variables it needs and
// compiles it for the VM.
func compileUncached(src string) (c *compiled, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, &Error{Expr: src, Syntax: true, Msg: fmt.Sprintf("cannot compile: %v", r)}
		}
	}()
	code := unwrapBraces(src)
	if strings.TrimSpace(code) == "" {
		return nil, &Error{Expr: src, Syntax: true, Msg: "empty expression"}
	}
	// Parse once on our own to find the variables the expression needs; the
	// parse is repeated inside expr.Compile, but only once per distinct
	// expression, and this keeps the analysis on the tree as written (before
	// expr's patching and optimisation).
	tree, err := parser.ParseWithConfig(code, parseConfig())
	var required, unknown []string
	if err == nil {
		ast.Walk(&tree.Node, notPrecedence{})
		required, unknown = requiredVars(tree.Node)
	}
	jinja := false
	if err != nil || len(unknown) > 0 || hasComment(code) || jinjaReading(tree.Node) {
		// Not expr, or expr that would not mean what a Jinja author meant
		// (// read as a comment, lookup() or a Python method): translate
		// it from Jinja to expr.
		translated, jerr := translateJinja(code)
		switch {
		case jerr != nil && err == nil && len(unknown) > 0 && !jerr.refused:
			return nil, &Error{Expr: src, Syntax: true, Msg: unknownFuncMessage(unknown[0])}
		case jerr != nil && err == nil && !jerr.refused && !hasComment(code):
			// Valid expr with a method call Jinja does not know either:
			// keep expr's reading.
		case jerr != nil:
			return nil, pickSyntaxError(src, code, err, jerr)
		default:
			exprErr := err
			if tree, err = parser.ParseWithConfig(translated, parseConfig()); err != nil {
				if exprErr != nil {
					return nil, withHint(newError(src, true, exprErr), code)
				}
				return nil, &Error{Expr: src, Syntax: true, Msg: fmt.Sprintf("cannot compile the Jinja expression (as expr: %s): %v", translated, err)}
			}
			ast.Walk(&tree.Node, notPrecedence{})
			if required, unknown = requiredVars(tree.Node); len(unknown) > 0 {
				return nil, &Error{Expr: src, Syntax: true, Msg: unknownFuncMessage(unknown[0])}
			}
			code, jinja = translated, true
		}
	}
	prog, err := expr.Compile(code, exprOptions...)
	if err != nil {
		return nil, jinjaColumns(newError(src, true, err), jinja)
	}
	return &compiled{src: src, prog: prog, required: required, path: plainPath(tree.Node), refs: identifiers(tree.Node), jinja: jinja}, nil
}

// plainPath returns ["a", "b", "c"] for an expression that is just a.b.c
// (identifier and constant member names), the most common thing inside
// {{ }}; nil otherwise.
func plainPath(n ast.Node) []string {
	var rev []string
	for {
		switch t := n.(type) {
		case *ast.IdentifierNode:
			if _, constant := jinjaConstants[t.Value]; constant || t.Value == "$env" {
				return nil
			}
			rev = append(rev, t.Value)
			path := make([]string, len(rev))
			for i, p := range rev {
				path[len(rev)-1-i] = p
			}
			return path
		case *ast.MemberNode:
			prop, ok := t.Property.(*ast.StringNode)
			if !ok || t.Method {
				return nil
			}
			rev = append(rev, prop.Value)
			n = t.Node
		default:
			return nil
		}
	}
}

// unwrapBraces strips one "{{ … }}" around a whole bare expression.
func unwrapBraces(src string) string {
	t := strings.TrimSpace(src)
	if !strings.HasPrefix(t, "{{") || !strings.HasSuffix(t, "}}") {
		return src
	}
	segs, err := splitTemplate(t)
	if err != nil || len(segs) != 1 || !segs[0].isExpr {
		return src
	}
	return segs[0].text
}

// parseConfig builds an expr config equal to the one expr.Compile uses with
// exprOptions, for our own parse. A fresh one each time: parsing writes to
// the config's type cache.
func parseConfig() *conf.Config {
	cfg := conf.CreateNew()
	for _, op := range exprOptions {
		op(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	return cfg
}

// lookupPath follows path from v through nested map[string]any. ok is false
// when it meets anything else (the VM then gives the usual result or error).
func lookupPath(v any, path []string) (any, bool) {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v = m[p]
	}
	return v, true
}

// noVars stands in for a nil vars map (never written to).
var noVars = map[string]any{}

// vms pools expr virtual machines so that each run does not allocate a new
// stack.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// run checks the required variables and runs the program against vars.
func (c *compiled) run(vars map[string]any) (any, error) {
	if c.path != nil {
		// Plain a.b.c: the root is the only required variable.
		root, ok := vars[c.path[0]]
		if !ok {
			return nil, &UndefinedError{Name: c.path[0], Expr: c.src}
		}
		if v, ok := lookupPath(root, c.path[1:]); ok {
			return normalizeResult(v), nil
		}
	}
	for _, name := range c.required {
		if _, ok := vars[name]; !ok {
			return nil, &UndefinedError{Name: name, Expr: c.src}
		}
	}
	if vars == nil {
		vars = noVars
	}
	m := vms.Get().(*vm.VM)
	out, err := m.Run(c.prog, vars)
	vms.Put(m)
	if err != nil {
		return nil, jinjaColumns(newError(c.src, false, err), c.jinja)
	}
	if f, ok := out.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, newError(c.src, false, errNotFinite)
	}
	return normalizeResult(out), nil
}

// errNotFinite: Ansible fails a division by zero; expr would give +Inf,
// which no output can print and no module can use.
var errNotFinite = errors.New("the result is not a finite number (a division by zero?)")

// syntaxError is a template that does not parse (its text is the whole
// message).
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func syntaxErrorf(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...)}
}

// IsSyntaxError reports whether err says a template or expression does not
// parse, as opposed to one that fails when it is evaluated (an undefined
// variable, a helper's error).
func IsSyntaxError(err error) bool {
	var se *syntaxError
	if errors.As(err, &se) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Syntax
}
