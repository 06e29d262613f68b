package eval

import (
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Translating Python's methods (s.zfill(3), '{}'.format(x), l.index(x)),
// the format filter and tuple literals, and the expr patch that gives
// % and * and s[i] Python's meaning.

// pyMethodSpec is one Python method: how many positional arguments it
// takes and the keyword ones Python accepts (nil: none).
type pyMethodSpec struct {
	min, max int
	params   string // for error messages: "sep, maxsplit"
	keywords []string
}

var pyMethods = map[string]pyMethodSpec{
	"split":      {0, 2, "sep, maxsplit", []string{"sep", "maxsplit"}},
	"rsplit":     {0, 2, "sep, maxsplit", []string{"sep", "maxsplit"}},
	"splitlines": {0, 1, "keepends", []string{"keepends"}},
	"strip":      {0, 1, "chars", nil},
	"lstrip":     {0, 1, "chars", nil},
	"rstrip":     {0, 1, "chars", nil},
	"find":       {1, 3, "sub, start, end", nil},
	"rfind":      {1, 3, "sub, start, end", nil},
	"index":      {1, 3, "sub, start, end", nil},
	"rindex":     {1, 3, "sub, start, end", nil},
	"count":      {1, 3, "sub, start, end", nil},
	"startswith": {1, 3, "prefix, start, end", nil},
	"endswith":   {1, 3, "suffix, start, end", nil},
	"isdigit":    {0, 0, "", nil},
	"isdecimal":  {0, 0, "", nil},
	"isnumeric":  {0, 0, "", nil},
	"isalpha":    {0, 0, "", nil},
	"isalnum":    {0, 0, "", nil},
	"isspace":    {0, 0, "", nil},
	"islower":    {0, 0, "", nil},
	"isupper":    {0, 0, "", nil},
	"istitle":    {0, 0, "", nil},
	"title":      {0, 0, "", nil},
	"capitalize": {0, 0, "", nil},
	"swapcase":   {0, 0, "", nil},
	"casefold":   {0, 0, "", nil},
	"zfill":      {1, 1, "width", nil},
	"ljust":      {1, 2, "width, fillchar", nil},
	"rjust":      {1, 2, "width, fillchar", nil},
	"center":     {1, 2, "width, fillchar", nil},
	"partition":  {1, 1, "sep", nil},
	"rpartition": {1, 1, "sep", nil},
	"replace":    {2, 3, "old, new, count", nil},
	"copy":       {0, 0, "", nil},
}

// pyMethod translates the methods of pyMethods and .format(); ok is false
// for the others.
func (p *jparser) pyMethod(x jn, t token, args []arg) (jn, bool) {
	if t.text == "format" {
		pos, kw := splitArgs(args)
		return callCode("$py_format", x.code, "["+strings.Join(pos, ", ")+"]", kw), true
	}
	spec, ok := pyMethods[t.text]
	if !ok {
		return jn{}, false
	}
	var vals []string
	named := false
	for _, a := range args {
		if a.name == "" {
			if named {
				p.fail(refusedAt(a.pos, ".%s(): a positional argument after a keyword argument", t.text))
			}
			vals = append(vals, a.val.code)
			continue
		}
		named = true
		i := indexOf(spec.keywords, a.name)
		if i < 0 {
			p.fail(refusedAt(a.pos, ".%s(%s) takes no keyword argument %q", t.text, spec.params, a.name))
		}
		for len(vals) <= i {
			vals = append(vals, "nil")
		}
		vals[i] = a.val.code
	}
	if len(vals) < spec.min || len(vals) > spec.max {
		p.fail(refusedAt(t.pos, ".%s(%s) %s", t.text, spec.params, arityText(spec.min, spec.max, len(vals))))
	}
	return callCode(pyMethodFunc, append([]string{strconv.Quote(t.text), x.code}, vals...)...), true
}

// pyMethodNames lists the methods translated, for the error naming them.
func pyMethodNames() string {
	names := []string{"format", "lower", "upper", "keys", "values", "items", "get", "join"}
	for n := range pyMethods {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// pystrFilters are the filters of this slice: format is Python's %.
var pystrFilters = map[string]filterSpec{
	"format": {emit: nil}, // see formatFilter
}

// formatFilter: fmt | format(a, b) or fmt | format(name=v).
func (p *jparser) formatFilter(x jn, args []arg) jn {
	pos, kw := splitArgs(args)
	if kw != "{}" && len(pos) > 0 {
		p.fail(refusedAt(args[0].pos, "filter format takes positional arguments or keyword ones, not both"))
	}
	return callCode("$py_percent", append([]string{x.code, kw}, pos...)...)
}

// splitArgs gives the codes of the positional arguments, and the keyword
// ones as the code of a map.
func splitArgs(args []arg) (pos []string, kw string) {
	var pairs []string
	for _, a := range args {
		if a.name == "" {
			pos = append(pos, a.val.code)
		} else {
			pairs = append(pairs, strconv.Quote(a.name)+": "+a.val.code)
		}
	}
	return pos, "{" + strings.Join(pairs, ", ") + "}"
}

// pyOps is the expr patch for Python's operators: a % b formats when a is
// a string, a * b repeats strings and lists, s[i] is a character (expr
// gives a byte). Operations on two number literals stay expr's.
type pyOps struct{}

func (pyOps) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if n.Operator != "%" && n.Operator != "*" {
			return
		}
		if isNumberLiteral(n.Left, n.Operator) && isNumberLiteral(n.Right, n.Operator) {
			return
		}
		name := "$py_mod"
		if n.Operator == "*" {
			name = "$py_mul"
		}
		ast.Patch(node, callNode(name, n.Left, n.Right))
	case *ast.MemberNode:
		if n.Method || n.Optional {
			return
		}
		if _, named := n.Property.(*ast.StringNode); named {
			return // x.name and x['name']
		}
		ast.Patch(node, callNode("$py_index", n.Node, n.Property))
	}
}

// isNumberLiteral reports whether expr's op gives Python's result for the
// literal n (expr's % takes integers only).
func isNumberLiteral(n ast.Node, op string) bool {
	switch n.(type) {
	case *ast.IntegerNode:
		return true
	case *ast.FloatNode:
		return op == "*"
	}
	return false
}

// orNil is code, or nil when it is empty (a slice bound left out).
func orNil(code string) string {
	if code == "" {
		return "nil"
	}
	return code
}
