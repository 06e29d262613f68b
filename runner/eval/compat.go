package eval

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
)

// Patches that give expressions Jinja's meaning where expr's differs, for
// expressions written in either syntax:
//
//   - True, False, None and none are literals (Jinja's constants), not
//     variables;
//   - not, and, or and the condition of a ternary judge any value by Truthy
//     ("yes" is true, "" and [] are false) instead of failing on a non-bool;
//     and/or give an operand as in Python (x or "d" is x when x is truthy);
//   - a + b joins lists as well as adding numbers and strings;
//   - not a == b is not (a == b), as in Jinja, not (not a) == b.

// Internal functions the patches and the Jinja translation call. Their
// names start with "$" so that no playbook variable or helper can clash.
const (
	truthFunc = "$truth"
	addFunc   = "$add"
)

// jinjaConstants are the names Jinja reads as literals.
var jinjaConstants = map[string]ast.Node{
	"True": nil, "False": nil, "None": nil, "none": nil,
}

// constantNode returns the literal a Jinja constant name stands for.
func constantNode(name string) (ast.Node, bool) {
	if _, ok := jinjaConstants[name]; !ok {
		return nil, false
	}
	switch name {
	case "True":
		return &ast.BoolNode{Value: true}, true
	case "False":
		return &ast.BoolNode{Value: false}, true
	}
	return &ast.NilNode{}, true
}

// notPrecedence rewrites (not a) OP b into not (a OP b) for comparisons:
// expr's "not" binds tighter than ==, Jinja's looser, and Jinja's is what
// playbook authors mean by not x == y or not "a" in s. It runs before the
// other patches and on the tree requiredVars reads.
type notPrecedence struct{}

func (notPrecedence) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || !isComparison(b.Operator) {
		return
	}
	u, ok := b.Left.(*ast.UnaryNode)
	if !ok || u.Operator != "not" {
		return
	}
	inner := &ast.BinaryNode{Operator: b.Operator, Left: u.Node, Right: b.Right}
	inner.SetLocation(b.Location())
	ast.Patch(node, &ast.UnaryNode{Operator: "not", Node: inner})
}

func isComparison(op string) bool {
	switch op {
	case "==", "!=", "<", ">", "<=", ">=", "in", "matches", "contains", "startsWith", "endsWith":
		return true
	}
	return false
}

// jinjaCompat is the expr patch for the other rules above. It runs after
// nilTolerance, so guarded accesses are already nil-safe.
type jinjaCompat struct{}

func (jinjaCompat) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if c, ok := constantNode(n.Value); ok {
			ast.Patch(node, c)
		}
	case *ast.UnaryNode:
		if n.Operator == "not" || n.Operator == "!" {
			n.Node = truth(n.Node)
		}
	case *ast.ConditionalNode:
		n.Cond = truth(n.Cond)
	case *ast.BinaryNode:
		switch n.Operator {
		case "and", "&&", "or", "||":
			if isBoolNode(n.Left) && isBoolNode(n.Right) {
				return
			}
			// Python's and/or: a or b is a if a is true else b; a and b
			// is b if a is true else a. The left side is evaluated twice,
			// which is harmless as expressions have no side effects.
			c := &ast.ConditionalNode{Ternary: true, Cond: truth(n.Left), Exp1: n.Left, Exp2: n.Right}
			if n.Operator == "and" || n.Operator == "&&" {
				c.Exp1, c.Exp2 = n.Right, n.Left
			}
			ast.Patch(node, c)
		case "+":
			if isScalarLiteral(n.Left) || isScalarLiteral(n.Right) {
				return // numbers or strings: expr's own + is right and faster
			}
			ast.Patch(node, callNode(addFunc, n.Left, n.Right))
		case "-":
			if isScalarLiteral(n.Left) || isScalarLiteral(n.Right) {
				return
			}
			ast.Patch(node, callNode(subFunc, n.Left, n.Right)) // dates (jinja_filters_txt.go)
		case "<", ">", "<=", ">=":
			if isScalarLiteral(n.Left) || isScalarLiteral(n.Right) {
				return
			}
			op := &ast.StringNode{Value: n.Operator}
			op.SetLocation(n.Location())
			ast.Patch(node, callNode(compareFunc, op, n.Left, n.Right)) // dates too
		}
	}
}

// truth wraps n in $truth() unless it is already a bool.
func truth(n ast.Node) ast.Node {
	if isBoolNode(n) {
		return n
	}
	return callNode(truthFunc, n)
}

// callNode builds a call of the function name, placed at its first argument.
func callNode(name string, args ...ast.Node) ast.Node {
	callee := &ast.IdentifierNode{Value: name}
	c := &ast.CallNode{Callee: callee, Arguments: args}
	if len(args) > 0 {
		callee.SetLocation(args[0].Location())
		c.SetLocation(args[0].Location())
	}
	return c
}

// boolFuncs are functions that always return a bool.
var boolFuncs = map[string]bool{truthFunc: true, inFunc: true, "defined": true, "startswith": true, "endswith": true}

// isBoolNode reports whether n always gives a bool.
func isBoolNode(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BoolNode:
		return true
	case *ast.UnaryNode:
		return n.Operator == "not" || n.Operator == "!"
	case *ast.BinaryNode:
		switch n.Operator {
		case "and", "&&", "or", "||":
			return isBoolNode(n.Left) && isBoolNode(n.Right)
		}
		return isComparison(n.Operator) || n.Operator == "not in"
	case *ast.ConditionalNode:
		return isBoolNode(n.Exp1) && isBoolNode(n.Exp2)
	case *ast.CallNode:
		name, _ := calleeName(n)
		return boolFuncs[name]
	case *ast.BuiltinNode:
		switch n.Name {
		case "all", "any", "none", "one", "hasPrefix", "hasSuffix":
			return true
		}
	}
	return false
}

func isScalarLiteral(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		return true
	}
	return false
}

// fnTruth is $truth: Truthy as a function.
func fnTruth(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("takes 1 argument, got %d", len(args))
	}
	return Truthy(args[0]), nil
}

// fnAdd is $add, a + b: numbers add, strings and lists join.
func fnAdd(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("takes 2 arguments, got %d", len(args))
	}
	a, b := args[0], args[1]
	switch {
	case isNumber(a) && isNumber(b):
		ia, aInt := a.(int)
		ib, bInt := b.(int)
		if aInt && bInt {
			return ia + ib, nil
		}
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		return fa + fb, nil
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return sa + sb, nil
		}
	}
	if la, ok := asList(a); ok && a != nil {
		if lb, ok := asList(b); ok && b != nil {
			out := make([]any, 0, len(la)+len(lb))
			return append(append(out, la...), lb...), nil
		}
	}
	return nil, fmt.Errorf("cannot add %s and %s", typeName(a), typeName(b))
}
