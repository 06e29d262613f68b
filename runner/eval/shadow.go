package eval

import (
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// Variables named like a function. Ansible variables can be called
// anything — a task registers `first`, a play sets `max` or `len` — but expr
// resolves a bare name that is also a builtin or one of runbook's helpers to
// the function, so `first.status_code` failed to compile ("type func(...)
// has no field status_code"). A name that is not being called is a
// variable: it is rewritten to $env["name"], which reads the variable map.

// shadowable holds every name expr would resolve to a function.
var shadowable = func() map[string]bool {
	names := map[string]bool{}
	for _, f := range builtin.Builtins {
		names[f.Name] = true
	}
	for name := range exprFuncNames {
		names[name] = true
	}
	for _, name := range []string{safeIndexFunc, inFunc, truthFunc, addFunc} {
		names[name] = true
	}
	return names
}()

// variableReads returns the two patches that rewrite, in one expression,
// the function-named identifiers that are not callees: the first walk
// finds the callees, the second (run after the first is done) rewrites the
// rest. They share state, so each compile gets its own pair. (A let cannot
// take a function's name: expr refuses it.)
func variableReads() []expr.Option {
	callees := calleeFinder{}
	return []expr.Option{expr.Patch(callees), expr.Patch(shadowRewriter{callees})}
}

// calleeFinder records the identifiers called as functions.
type calleeFinder map[*ast.IdentifierNode]bool

// Visit implements ast.Visitor.
func (c calleeFinder) Visit(node *ast.Node) {
	if call, ok := (*node).(*ast.CallNode); ok {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok {
			c[id] = true
		}
	}
}

// shadowRewriter turns a function-named identifier that is read, not
// called, into a read of the variable map.
type shadowRewriter struct{ callees calleeFinder }

// Visit implements ast.Visitor.
func (s shadowRewriter) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || !shadowable[id.Value] || s.callees[id] {
		return
	}
	env := &ast.IdentifierNode{Value: "$env"}
	env.SetLocation(id.Location())
	read := &ast.MemberNode{Node: env, Property: &ast.StringNode{Value: id.Value}}
	ast.Patch(node, read)
}
