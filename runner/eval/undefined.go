package eval

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// UndefinedError: an undefined variable was used.
//
// Functions of this package return it as *UndefinedError; errors.As works
// with either a *UndefinedError or an UndefinedError target.
type UndefinedError struct {
	Name string // the variable
	Expr string // the expression that used it
}

func (e UndefinedError) Error() string {
	set := fmt.Sprintf("set it (play vars, the inventory, or -e %s=VALUE)", e.Name)
	if strings.HasPrefix(e.Name, "ansible_") {
		set += "; a fact needs gather_facts (on unless false) or the setup module"
	}
	return fmt.Sprintf("undefined variable %q in expression %s: %s, or if it may be unset use `%s ?? default` or `default(%s, x)`",
		e.Name, quoteExpr(e.Expr), set, e.Name, e.Name)
}

// As lets errors.As fill an UndefinedError (value) target too.
func (e *UndefinedError) As(target any) bool {
	if t, ok := target.(*UndefinedError); ok {
		*t = *e
		return true
	}
	return false
}

// tolerantFuncs are the functions whose first argument may be missing.
var tolerantFuncs = map[string]bool{"default": true, "mandatory": true}

// requiredVars walks an expression's syntax tree and returns the top-level
// variables that must be defined for it to run, in order of first use.
//
// Skipped: function callees, builtins, predicate pointers (#, #index, .field),
// let variables, $env, and the nil-tolerant positions listed in the package
// documentation. A hand-written walk rather than ast.Walk with a Visitor,
// because whether an identifier is required depends on its ancestors (left of
// ??, argument of default(), guarded by x != nil && …).
//
// It also returns the names of called functions that do not exist, so that
// a typo is a compile error rather than "cannot call nil" at run time.
func requiredVars(root ast.Node) (names, unknownFuncs []string) {
	w := &varWalker{}
	w.walk(root, nil)
	return w.names, w.unknown
}

type varWalker struct {
	names   []string // required, in order of first use
	lets    []string // let variables in scope
	unknown []string // called functions that do not exist
}

// walk visits n; names in exempt are known to be defined or allowed missing.
func (w *varWalker) walk(n ast.Node, exempt []string) {
	switch n := n.(type) {
	case nil:
	case *ast.IdentifierNode:
		w.use(n.Value, exempt)
	case *ast.MemberNode:
		w.walk(n.Node, exempt)
		w.walk(n.Property, exempt)
	case *ast.ChainNode:
		w.walk(n.Node, exempt)
	case *ast.UnaryNode:
		w.walk(n.Node, exempt)
	case *ast.BinaryNode:
		switch n.Operator {
		case "??":
			w.tolerant(n.Left, exempt)
			w.walk(n.Right, exempt)
		case "==", "!=":
			switch {
			case isNilNode(n.Right):
				w.tolerant(n.Left, exempt)
			case isNilNode(n.Left):
				w.tolerant(n.Right, exempt)
			default:
				w.walk(n.Left, exempt)
				w.walk(n.Right, exempt)
			}
		case "&&", "and":
			w.walk(n.Left, exempt)
			w.walk(n.Right, appendNames(exempt, guardedIfTrue(n.Left)))
		case "||", "or":
			w.walk(n.Left, exempt)
			w.walk(n.Right, appendNames(exempt, guardedIfFalse(n.Left)))
		default:
			w.walk(n.Left, exempt)
			w.walk(n.Right, exempt)
		}
	case *ast.ConditionalNode:
		w.walk(n.Cond, exempt)
		w.walk(n.Exp1, appendNames(exempt, guardedIfTrue(n.Cond)))
		w.walk(n.Exp2, appendNames(exempt, guardedIfFalse(n.Cond)))
	case *ast.CallNode:
		name, isName := calleeName(n)
		if !isName {
			w.walk(n.Callee, exempt)
		} else if !exprFuncNames[name] && !contains(w.unknown, name) {
			w.unknown = append(w.unknown, name)
		}
		for i, arg := range n.Arguments {
			switch {
			case i == 0 && tolerantFuncs[name]:
				w.tolerant(arg, exempt)
			case name == "defined" && len(n.Arguments) == 1:
				if _, ok := dottedName(arg); !ok {
					w.walk(arg, exempt)
				}
			default:
				w.walk(arg, exempt)
			}
		}
	case *ast.BuiltinNode:
		for _, arg := range n.Arguments {
			w.walk(arg, exempt)
		}
	case *ast.PredicateNode:
		w.walk(n.Node, exempt)
	case *ast.SliceNode:
		w.walk(n.Node, exempt)
		w.walk(n.From, exempt)
		w.walk(n.To, exempt)
	case *ast.VariableDeclaratorNode:
		w.walk(n.Value, exempt)
		w.lets = append(w.lets, n.Name)
		w.walk(n.Expr, exempt)
		w.lets = w.lets[:len(w.lets)-1]
	case *ast.SequenceNode:
		for _, x := range n.Nodes {
			w.walk(x, exempt)
		}
	case *ast.ArrayNode:
		for _, x := range n.Nodes {
			w.walk(x, exempt)
		}
	case *ast.MapNode:
		for _, x := range n.Pairs {
			w.walk(x, exempt)
		}
	case *ast.PairNode:
		w.walk(n.Key, exempt)
		w.walk(n.Value, exempt)
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode,
		*ast.StringNode, *ast.BytesNode, *ast.ConstantNode, *ast.PointerNode:
	default:
		// A node type this walker does not know (a newer expr): be
		// conservative and require every identifier under it.
		node := n
		ast.Walk(&node, identVisitor{w: w, exempt: exempt})
	}
}

// tolerant visits n in a position where a missing value is fine: a bare
// identifier or the root of a member chain (a.b.c) is not required.
func (w *varWalker) tolerant(n ast.Node, exempt []string) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
	case *ast.MemberNode:
		w.tolerant(n.Node, exempt)
		w.walk(n.Property, exempt)
	case *ast.ChainNode:
		w.tolerant(n.Node, exempt)
	case *ast.BinaryNode:
		if n.Operator == "??" { // a ?? b ?? c: the whole chain may be missing but c
			w.tolerant(n.Left, exempt)
			w.tolerant(n.Right, exempt)
			return
		}
		w.walk(n, exempt)
	default:
		w.walk(n, exempt)
	}
}

// use records name as required unless it is exempt, a let variable or $env.
func (w *varWalker) use(name string, exempt []string) {
	if _, constant := jinjaConstants[name]; constant {
		return
	}
	if name == "$env" || contains(w.lets, name) || contains(exempt, name) || contains(w.names, name) {
		return
	}
	w.names = append(w.names, name)
}

// identVisitor is the fallback for unknown node types.
type identVisitor struct {
	w      *varWalker
	exempt []string
}

func (v identVisitor) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		v.w.use(id.Value, v.exempt)
	}
}

// guardedIfTrue returns the variables known to be defined when n is true:
// x != nil, nil != x, defined("x"), and conjunctions and negations of them.
func guardedIfTrue(n ast.Node) []string {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "!=":
			return nilTested(n)
		case "&&", "and":
			return appendNames(guardedIfTrue(n.Left), guardedIfTrue(n.Right))
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			return guardedIfFalse(n.Node)
		}
	case *ast.CallNode:
		if name, _ := calleeName(n); name == "defined" && len(n.Arguments) == 1 {
			if s, ok := n.Arguments[0].(*ast.StringNode); ok {
				return []string{rootName(s.Value)}
			}
			if s, ok := dottedName(n.Arguments[0]); ok {
				return []string{rootName(s)}
			}
		}
	}
	return nil
}

// guardedIfFalse returns the variables known to be defined when n is false:
// x == nil, !defined("x"), and disjunctions and negations of them.
func guardedIfFalse(n ast.Node) []string {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "==":
			return nilTested(n)
		case "||", "or":
			return appendNames(guardedIfFalse(n.Left), guardedIfFalse(n.Right))
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			return guardedIfTrue(n.Node)
		}
	}
	return nil
}

// nilTested returns the root variable of a comparison with nil
// (a.b != nil → a).
func nilTested(n *ast.BinaryNode) []string {
	other := n.Left
	if isNilNode(n.Left) {
		other = n.Right
	} else if !isNilNode(n.Right) {
		return nil
	}
	if s, ok := dottedName(other); ok {
		return []string{rootName(s)}
	}
	return nil
}

// calleeName returns the name of a called function, if the callee is a name.
func calleeName(n *ast.CallNode) (string, bool) {
	if id, ok := n.Callee.(*ast.IdentifierNode); ok {
		return id.Value, true
	}
	return "", false
}

// dottedName returns "a.b.c" for the expression a.b.c (or a?.b, a["b"]).
func dottedName(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" {
			return "", false
		}
		return n.Value, true
	case *ast.ChainNode:
		return dottedName(n.Node)
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		base, ok := dottedName(n.Node)
		if !ok {
			return "", false
		}
		return base + "." + prop.Value, true
	}
	return "", false
}

func rootName(dotted string) string {
	if i := strings.IndexByte(dotted, '.'); i >= 0 {
		return dotted[:i]
	}
	return dotted
}

func isNilNode(n ast.Node) bool {
	_, ok := n.(*ast.NilNode)
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// appendNames returns a ∪ b without modifying a's backing array.
func appendNames(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := make([]string, 0, len(a)+len(b))
	out = append(out, a...)
	return append(out, b...)
}

// nilTolerance is the expr patch that makes the nil-tolerant positions
// safe at run time: member chains there become optional chains (so a.b.c
// with a missing gives nil instead of "cannot fetch b from nil"), index
// steps become safe lookups (l[99] gives nil instead of "index out of
// range"), and defined(name) becomes defined($env, "name") so the helper
// can see the variables.
type nilTolerance struct{}

func (nilTolerance) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "??":
			tolerate(&n.Left)
			if left, ok := n.Left.(*ast.BinaryNode); ok && left.Operator == "??" {
				tolerate(&left.Right) // a ?? b.c ?? d
			}
		case "==", "!=":
			if isNilNode(n.Right) {
				tolerate(&n.Left)
			} else if isNilNode(n.Left) {
				tolerate(&n.Right)
			}
		case "in":
			callee := &ast.IdentifierNode{Value: inFunc}
			callee.SetLocation(n.Location())
			ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: []ast.Node{n.Left, n.Right}})
		}
	case *ast.CallNode:
		name, _ := calleeName(n)
		switch name {
		case "default", "mandatory":
			if len(n.Arguments) > 0 {
				tolerate(&n.Arguments[0])
			}
		case "defined":
			if len(n.Arguments) == 1 {
				arg := n.Arguments[0]
				if s, ok := dottedName(arg); ok {
					arg = &ast.StringNode{Value: s}
					arg.SetLocation(n.Arguments[0].Location())
				}
				env := &ast.IdentifierNode{Value: "$env"}
				env.SetLocation(n.Location())
				n.Arguments = []ast.Node{env, arg}
			}
		}
	}
}

// safeIndexFunc is the function index steps in nil-tolerant positions are
// turned into (registered in expr only, not callable by name from playbooks
// as the unknown-function check runs on the tree as written).
const safeIndexFunc = "$safe_index"

// tolerate makes the access chain a.b[i].c at node give nil rather than
// fail when a part of it is missing.
func tolerate(node *ast.Node) {
	if c, ok := (*node).(*ast.ChainNode); ok {
		tolerateSpine(&c.Node)
		return
	}
	if tolerateSpine(node) {
		ast.Patch(node, &ast.ChainNode{Node: *node})
	}
}

// tolerateSpine marks the named member accesses along a chain optional
// (a?.b) and replaces index accesses with safe index calls. It reports
// whether the node is now an optional member access that needs a chain node
// around it.
func tolerateSpine(node *ast.Node) bool {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Method {
		return false
	}
	if _, named := m.Property.(*ast.StringNode); named {
		tolerateSpine(&m.Node)
		m.Optional = true
		return true
	}
	obj := m.Node
	tolerate(&obj)
	callee := &ast.IdentifierNode{Value: safeIndexFunc}
	callee.SetLocation(m.Location())
	ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: []ast.Node{obj, m.Property}})
	return false
}

// safeIndex is list[i] or map[key] that gives nil for a nil container, an
// index out of range or a missing key. Negative indexes count from the end.
func safeIndex(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("index: takes 2 arguments, got %d", len(args))
	}
	obj, key := args[0], args[1]
	if obj == nil {
		return nil, nil
	}
	if m, ok := obj.(map[string]any); ok {
		k, ok := key.(string)
		if !ok {
			return nil, fmt.Errorf("cannot index a map with %s", typeName(key))
		}
		return m[k], nil
	}
	rv := reflect.ValueOf(obj)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.String:
		if !isNumber(key) {
			return nil, fmt.Errorf("cannot index a %s with %s", typeName(obj), typeName(key))
		}
		i, err := toInt(key)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			i += rv.Len()
		}
		if i < 0 || i >= rv.Len() {
			return nil, nil
		}
		if rv.Kind() == reflect.String {
			r, _ := runeAt(rv.String(), i)
			return r, nil
		}
		return rv.Index(i).Interface(), nil
	case reflect.Map:
		kv := reflect.ValueOf(key)
		if key == nil || !kv.Type().AssignableTo(rv.Type().Key()) {
			return nil, fmt.Errorf("cannot index a map with %s", typeName(key))
		}
		v := rv.MapIndex(kv)
		if !v.IsValid() {
			return nil, nil
		}
		return v.Interface(), nil
	}
	return nil, fmt.Errorf("cannot index %s", typeName(obj))
}
