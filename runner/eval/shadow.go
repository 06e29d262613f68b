package eval

import (
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// funcShadow lets a variable have the name of a function. Ansible playbooks
// name variables count, seq, join or items freely, and Jinja has no
// function values, so a bare name is always the variable; expr would take
// it for its builtin or one of our helpers and fail ("mismatched types
// func(...)"). This patch turns every such name that is not called into a
// lookup in the variables ($env.NAME), and leaves calls alone: it runs
// after the children of a call, so a callee it rewrote is put back there.
type funcShadow struct{}

// funcNames are the names expr would resolve to a function.
var funcNames = func() map[string]bool {
	names := map[string]bool{safeIndexFunc: true, inFunc: true, truthFunc: true, addFunc: true}
	for n := range exprFuncNames {
		names[n] = true
	}
	for _, n := range builtin.Names {
		names[n] = true
	}
	return names
}()

func (funcShadow) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if funcNames[n.Value] {
			ast.Patch(node, &ast.MemberNode{Node: &ast.IdentifierNode{Value: "$env"}, Property: &ast.StringNode{Value: n.Value}})
		}
	case *ast.CallNode:
		if name, ok := envLookup(n.Callee); ok && funcNames[name] {
			n.Callee = &ast.IdentifierNode{Value: name}
		}
	}
}

// envLookup returns NAME for the node $env.NAME.
func envLookup(n ast.Node) (string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return "", false
	}
	env, ok := m.Node.(*ast.IdentifierNode)
	prop, pok := m.Property.(*ast.StringNode)
	if !ok || !pok || env.Value != "$env" {
		return "", false
	}
	return prop.Value, true
}
