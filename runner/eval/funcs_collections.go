package eval

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Jinja's collection filters that expr lacks (dictsort, items, batch,
// slice, groupby, attr, unique with its parameters) and the tests select
// and selectattr take without arguments. Each behaves as Jinja 3.1 under
// ansible-core 2.14 does; the filter table is collectionFilters.

// collectionHelpers are the helpers of this file and funcs_sets.go,
// funcs_random.go and funcs_crypt.go.
var collectionHelpers = []helper{
	{name: "$dictsort", fn: fnDictsort, min: 4, max: 4, side: exprOnly},
	{name: "$batch", fn: fnBatch, min: 3, max: 3, side: exprOnly},
	{name: "$slice", fn: fnSlice, min: 3, max: 3, side: exprOnly},
	{name: "$groupby", fn: fnGroupby, min: 4, max: 4, side: exprOnly},
	{name: "$attr", fn: fnAttr, min: 2, max: 2, side: exprOnly},
	{name: "$member", fn: fnMember, min: 2, max: 2, side: exprOnly},
	{name: "$unique", fn: fnUniqueJinja, min: 3, max: 3, side: exprOnly},
	{name: "symmetric_difference", fn: fnSymmetricDifference, min: 2, max: 2, pipeLast: true},
	{name: "extract", fn: fnExtract, min: 2, max: 3},
	{name: "subelements", fn: fnSubelements, min: 2, max: 3},
	{name: "$zip_longest", fn: fnZipLongest, min: 2, max: -1, side: exprOnly},
	{name: "$permutations", fn: fnPermutations, min: 2, max: 2, side: exprOnly},
	{name: "$combinations", fn: fnCombinations, min: 2, max: 2, side: exprOnly},
	{name: "$product", fn: fnProductRepeat, min: 2, max: -1, side: exprOnly},
	{name: "$combine", fn: fnCombineMerge, min: 3, max: -1, side: exprOnly},
	{name: "from_yaml_all", fn: fnFromYAMLAll, min: 1, max: 1},
	{name: "$random", fn: fnRandom, min: 4, max: 4, side: exprOnly},
	{name: "$shuffle", fn: fnShuffle, min: 2, max: 2, side: exprOnly},
	{name: "$password_hash", fn: fnPasswordHash, min: 6, max: 6, side: exprOnly},
}

// iterable is what Jinja's filters go through: a list's items, a
// mapping's keys (in YAML order), a string's characters.
func iterable(v any) ([]any, error) {
	if v == nil {
		return nil, fmt.Errorf("expected a list, got none")
	}
	return iterItems(v)
}

// foldCase is Jinja's ignore_case: strings lower-cased, the rest as is.
func foldCase(v any, caseSensitive bool) any {
	if s, ok := v.(string); ok && !caseSensitive {
		return strings.ToLower(s)
	}
	return v
}

// fnDictsort is dictsort(d, case_sensitive, by, reverse): the [key, value]
// pairs sorted by key or value.
func fnDictsort(args ...any) (any, error) {
	m, err := mapArg(args[0])
	if err != nil {
		return nil, err
	}
	cs, reverse := Truthy(args[1]), Truthy(args[3])
	pos := 0
	switch by := str(args[2]); by {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, fmt.Errorf("by must be 'key' or 'value', got %q", by)
	}
	names := yamlOrderedKeys(m)
	keys := make([]any, len(names))
	for i, k := range names {
		keys[i] = k
		if pos == 1 {
			keys[i] = m[k]
		}
	}
	idx, err := sortedOrder(keys, cs, reverse)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(idx))
	for i, j := range idx {
		out[i] = []any{names[j], m[names[j]]}
	}
	return out, nil
}

// countArg reads a count argument that must be at least 1.
func countArg(v any, name string) (int, error) {
	n, err := toInt(v)
	if err != nil || !isNumber(v) {
		return 0, fmt.Errorf("%s must be a number, got %s", name, typeName(v))
	}
	if n < 1 {
		return 0, fmt.Errorf("%s must be at least 1, got %d", name, n)
	}
	return n, nil
}

// fnBatch is batch(l, linecount, fill_with): lists of linecount items, the
// last filled up with fill_with when it is not none.
func fnBatch(args ...any) (any, error) {
	l, err := iterable(args[0])
	if err != nil {
		return nil, err
	}
	n, err := countArg(args[1], "linecount")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for i := 0; i < len(l); i += n {
		row := append([]any{}, l[i:min(i+n, len(l))]...)
		for args[2] != nil && len(row) < n {
			row = append(row, args[2])
		}
		out = append(out, row)
	}
	return out, nil
}

// fnSlice is slice(l, slices, fill_with): l cut into that many columns,
// the longer ones first; fill_with pads the shorter ones.
func fnSlice(args ...any) (any, error) {
	l, err := iterable(args[0])
	if err != nil {
		return nil, err
	}
	n, err := countArg(args[1], "slices")
	if err != nil {
		return nil, err
	}
	if n > maxSeq {
		return nil, fmt.Errorf("too many slices (the limit is %d)", maxSeq)
	}
	per, extra := len(l)/n, len(l)%n
	out := make([]any, n)
	start := 0
	for i := range out {
		end := start + per
		if i < extra {
			end++
		}
		col := append([]any{}, l[start:end]...)
		if args[2] != nil && i >= extra {
			col = append(col, args[2])
		}
		out[i] = col
		start = end
	}
	return out, nil
}

// groupPair is one group of groupby: a [grouper, list] pair that also
// answers .grouper and .list, as Jinja's named tuple does.
type groupPair []any

// fnGroupby is groupby(l, attribute, default, case_sensitive): the items
// sorted and grouped by the attribute (dotted, or an index).
func fnGroupby(args ...any) (any, error) {
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	cs := Truthy(args[3])
	keys := make([]any, len(l))
	for i, x := range l {
		v, ok := attr(x, str(args[1]))
		if !ok || v == nil && args[2] != nil {
			if args[2] == nil {
				return nil, fmt.Errorf("item %d has no attribute %q (give groupby a default=)", i, str(args[1]))
			}
			v = args[2]
		}
		keys[i] = v
	}
	idx, err := sortedOrder(keys, cs, false)
	if err != nil {
		return nil, err
	}
	out := []any{}
	var cur groupPair
	for _, i := range idx {
		if cur != nil && equal(foldCase(cur[0], cs), foldCase(keys[i], cs)) {
			cur[1] = append(cur[1].([]any), l[i])
			continue
		}
		cur = groupPair{keys[i], []any{l[i]}}
		out = append(out, cur)
	}
	return out, nil
}

// pairField answers .grouper and .list of a groupby pair.
func pairField(v any, name string) (any, bool) {
	p, ok := v.(groupPair)
	if !ok {
		return nil, false
	}
	switch name {
	case "grouper":
		return p[0], true
	case "list":
		return p[1], true
	}
	return nil, false
}

// fnAttr is attr(x, name): Jinja's attr reads an object's attributes,
// never a mapping's keys; of plain data only groupby's pairs have any.
func fnAttr(args ...any) (any, error) {
	name := str(args[1])
	if v, ok := pairField(args[0], name); ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s has no attribute %q (attr reads attributes, not keys: write x[%q] or x.%s)", typeName(args[0]), name, name, name)
}

// fnMember is x.grouper or x.list written in Jinja: a groupby pair's
// field, or the mapping's key.
func fnMember(args ...any) (any, error) {
	name := str(args[1])
	if v, ok := pairField(args[0], name); ok {
		return v, nil
	}
	return safeIndex(args[0], name)
}

// groupFields is the expr patch that reads x.grouper and x.list through
// fnMember, so that they reach a groupby pair's fields (expr cannot look a
// name up in a list) and are a mapping's keys otherwise.
type groupFields struct{}

func (groupFields) Visit(node *ast.Node) {
	isField := func(n ast.Node) bool {
		s, ok := n.(*ast.StringNode)
		return ok && (s.Value == "grouper" || s.Value == "list")
	}
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if env, ok := n.Node.(*ast.IdentifierNode); (!ok || env.Value != "$env") && !n.Method && isField(n.Property) {
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "$member"}, Arguments: []ast.Node{n.Node, n.Property}})
		}
	case *ast.CallNode: // a member access nilTolerance made nil-safe
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == safeIndexFunc && len(n.Arguments) == 2 && isField(n.Arguments[1]) {
			n.Callee = &ast.IdentifierNode{Value: "$member"}
		}
	}
}

// fnUniqueJinja is unique(l, case_sensitive, attribute) as Ansible's
// filter runs it: Jinja's unique, case-insensitive unless case_sensitive
// is true; with lists or mappings among the items and neither parameter
// given, Ansible's own version (exact comparison).
func fnUniqueJinja(args ...any) (any, error) {
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	cs, attribute := Truthy(args[1]), args[2]
	keys := l
	if attribute != nil {
		if _, keys, err = sortKeys(l, attribute); err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		if _, hashable := hashKey(k); !hashable {
			if args[1] == false || attribute != nil {
				return nil, fmt.Errorf("cannot compare %s items with case_sensitive=false or attribute", typeName(k))
			}
			return newSet(l).list(), nil
		}
	}
	seen := map[any]bool{}
	out := []any{}
	for i, x := range l {
		k, _ := hashKey(foldCase(keys[i], cs))
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out, nil
}

// hashKey is the key Python hashes v by: numbers and booleans by value
// (1, 1.0 and true are one key); lists and mappings are not hashable.
func hashKey(v any) (any, bool) {
	switch t := v.(type) {
	case bool:
		if t {
			return 1.0, true
		}
		return 0.0, true
	case nil, string:
		return v, true
	}
	if isNumber(v) {
		f, _ := toFloat(v)
		return f, true
	}
	return nil, false
}

// moreTests are the Jinja and Ansible tests $is runs besides funcs_tests.go's.
var moreTests = []string{"callable", "escaped", "filter", "test", "any", "all", "nan", "finite"}

func init() {
	for _, n := range moreTests {
		jinjaTests[n] = true
	}
}

// extraTest runs the tests that take no argument where select and
// selectattr give them a value (defined, undefined, none) and the rest of
// moreTests; ok is false for the other tests.
func extraTest(name string, x any) (result any, ok bool, err error) {
	switch name {
	case "defined":
		return true, true, nil // a value select sees is defined
	case "undefined", "callable", "escaped":
		return false, true, nil
	case "none":
		return x == nil, true, nil
	case "number":
		_, isBool := x.(bool)
		return isNumber(x) || isBool, true, nil // true is a number in Python
	case "filter":
		s, isStr := x.(string)
		_, known := jinjaFilters[s]
		_, custom := customFilters[s]
		return isStr && (known || custom || s == "map" || s == "combine"), true, nil
	case "test":
		s, isStr := x.(string)
		return isStr && (jinjaTests[s] || s == "defined" || s == "undefined" || s == "none"), true, nil
	case "any", "all":
		l, err := listArg(x)
		if err != nil {
			return nil, true, err
		}
		for _, e := range l {
			if Truthy(e) == (name == "any") {
				return name == "any", true, nil
			}
		}
		return name == "all", true, nil
	case "nan", "finite":
		f, isFloat := x.(float64)
		if name == "nan" {
			return isFloat && f != f, true, nil
		}
		if !isNumber(x) {
			return nil, true, fmt.Errorf("test finite needs a number, got %s", typeName(x))
		}
		return !isFloat || f-f == 0, true, nil
	}
	if !jinjaTests[name] {
		return nil, true, fmt.Errorf("unknown test %q%s", name, didYouMean(name, testNames()))
	}
	return nil, false, nil
}
