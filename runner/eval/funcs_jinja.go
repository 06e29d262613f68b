package eval

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Helpers behind Jinja filters, tests and lookups that expr lacks or whose
// expr builtin behaves differently (jinja_filters.go writes calls of them).
// Their names start with "$": they are not meant to be called by name.

var jinjaHelpers = []helper{
	{name: catFunc, fn: fnCat, min: 2, max: 2, side: exprOnly},
	{name: floorDivFunc, fn: fnFloorDiv, min: 2, max: 2, side: exprOnly},
	{name: isFunc, fn: fnIs, min: 2, max: -1, side: exprOnly},
	{name: lookupFunc, fn: fnLookup, min: 5, max: -1, side: exprOnly},
	{name: "$map", fn: fnMap, min: 3, max: -1, side: exprOnly},
	{name: "$select", fn: selectFn(false, false), min: 1, max: -1, side: exprOnly},
	{name: "$reject", fn: selectFn(true, false), min: 1, max: -1, side: exprOnly},
	{name: "$selectattr", fn: selectFn(false, true), min: 2, max: -1, side: exprOnly},
	{name: "$rejectattr", fn: selectFn(true, true), min: 2, max: -1, side: exprOnly},
	{name: "$list", fn: fnList, min: 1, max: 1, side: exprOnly},
	{name: "$sort", fn: fnSort, min: 4, max: 4, side: exprOnly},
	{name: "$min", fn: extremeFn(-1), min: 3, max: 3, side: exprOnly},
	{name: "$max", fn: extremeFn(1), min: 3, max: 3, side: exprOnly},
	{name: "$sum", fn: fnSum, min: 3, max: 3, side: exprOnly},
	{name: "$zip", fn: fnZip, min: 1, max: -1, side: exprOnly},
	{name: "$first", fn: endFn(true), min: 1, max: 1, side: exprOnly},
	{name: "$last", fn: endFn(false), min: 1, max: 1, side: exprOnly},
	{name: "$lower", fn: fnLower, min: 1, max: 1, side: exprOnly},
	{name: "$upper", fn: fnUpper, min: 1, max: 1, side: exprOnly},
	{name: "$trim", fn: fnTrim, min: 1, max: 2, side: exprOnly},
	{name: "$replace", fn: fnReplace, min: 3, max: 3, side: exprOnly},
	{name: "$reverse", fn: fnReverse, min: 1, max: 1, side: exprOnly},
	{name: "$items", fn: fnItems, min: 1, max: 1, side: exprOnly},
	{name: "$get", fn: fnGet, min: 2, max: 3, side: exprOnly},
	{name: "regex_escape", fn: fnRegexEscape, min: 1, max: 1},
}

// helperByName indexes helpers (filled in init: a variable initialised from
// helpers would make an initialisation cycle through fnMap).
var helperByName = map[string]*helper{}

func init() {
	for i := range helpers {
		helperByName[helpers[i].name] = &helpers[i]
	}
}

// fnCat is a ~ b: both as Python's str() writes them ('a' ~ none is aNone).
func fnCat(args ...any) (any, error) { return pyStr(args[0]) + pyStr(args[1]), nil }

// fnFloorDiv is Python's a // b: rounds towards minus infinity.
func fnFloorDiv(args ...any) (any, error) {
	a, aInt := args[0].(int)
	b, bInt := args[1].(int)
	if aInt && bInt {
		if b == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return q, nil
	}
	fa, err := toFloat(args[0])
	if err != nil {
		return nil, err
	}
	fb, err := toFloat(args[1])
	if err != nil {
		return nil, err
	}
	if fb == 0 {
		return nil, fmt.Errorf("division by zero")
	}
	return math.Floor(fa / fb), nil
}

// attr follows a dotted attribute path ("a.b") through maps and lists.
func attr(v any, path string) (any, bool) {
	for part := range strings.SplitSeq(path, ".") {
		if f, ok := pairField(v, part); ok { // groupby's .grouper, .list
			v = f
			continue
		}
		if m, ok := asMap(v); ok && m != nil {
			if v, ok = m[part]; !ok {
				return nil, false
			}
			continue
		}
		l, ok := asList(v)
		i, err := toInt(part)
		if !ok || err != nil || i < 0 || i >= len(l) {
			return nil, false
		}
		v = l[i]
	}
	return v, true
}

// fnMap is map(attribute=a[, default]) or map('filter', args…).
func fnMap(args ...any) (any, error) {
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	name := str(args[2])
	out := make([]any, len(l))
	if args[1] == "attribute" {
		for i, x := range l {
			v, ok := attr(x, name)
			if !ok {
				if len(args) < 4 {
					return nil, fmt.Errorf("item %d has no attribute %q (give map a default=)", i, name)
				}
				v = args[3]
			}
			out[i] = v
		}
		return out, nil
	}
	h := helperByName[mapFilterHelper(name)]
	if h == nil {
		return nil, fmt.Errorf("unknown filter %q", name)
	}
	for i, x := range l {
		v, err := h.call(append([]any{x}, args[3:]...))
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// mapFilterHelper names the helper that map('name') applies.
func mapFilterHelper(name string) string {
	switch name {
	case "lower", "upper", "trim", "replace", "first", "last", "list", "reverse":
		return "$" + name
	case "d":
		return "default"
	case "count":
		return "length"
	}
	if _, ok := textFilters[name]; ok {
		return "$" + name // funcs_num.go, funcs_textfmt.go, …
	}
	return name
}

// selectFn builds select, reject, selectattr and rejectattr: keep the items
// (or the items whose attribute) pass the test (truthy when none is named).
func selectFn(reject, byAttr bool) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		l, err := listArg(args[0])
		if err != nil {
			return nil, err
		}
		rest := args[1:]
		var path string
		if byAttr {
			path, rest = str(rest[0]), rest[1:]
		}
		test := "truthy"
		if len(rest) > 0 {
			test, rest = str(rest[0]), rest[1:]
		}
		out := []any{}
		for _, x := range l {
			v, found := x, true
			if byAttr {
				v, found = attr(x, path)
			}
			var ok bool
			switch {
			case !found:
				ok = test == "undefined"
			default:
				r, err := fnIs(append([]any{test, v}, rest...)...)
				if err != nil {
					return nil, err
				}
				ok = r.(bool)
			}
			if ok != reject {
				out = append(out, x)
			}
		}
		return out, nil
	}
}

// fnList: a list as a copy, a string as its characters, a map as its
// sorted keys.
func fnList(args ...any) (any, error) {
	switch t := args[0].(type) {
	case string:
		out := make([]any, 0, len(t))
		for _, r := range t {
			out = append(out, string(r))
		}
		return out, nil
	case nil:
		return []any{}, nil
	}
	if m, ok := asMap(args[0]); ok {
		keys := yamlOrderedKeys(m) // a dict's keys in its order, as in Python
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	}
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	return append([]any{}, l...), nil
}

// endFn builds first and last: of a list (nil when empty) or a string.
func endFn(first bool) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		if s, ok := args[0].(string); ok {
			r := []rune(s)
			switch {
			case len(r) == 0:
				return nil, nil
			case first:
				return string(r[0]), nil
			}
			return string(r[len(r)-1]), nil
		}
		l, err := listArg(args[0])
		if err != nil || len(l) == 0 {
			return nil, err
		}
		if first {
			return l[0], nil
		}
		return l[len(l)-1], nil
	}
}

// fnReverse reverses a list or a string.
func fnReverse(args ...any) (any, error) {
	if s, ok := args[0].(string); ok {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	}
	l, err := listArg(args[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, len(l))
	for i, x := range l {
		out[len(l)-1-i] = x
	}
	return out, nil
}

// fnItems is dict.items(): [key, value] pairs in YAML order (see
// yamlOrderedKeys).
func fnItems(args ...any) (any, error) {
	m, err := mapArg(args[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(m))
	for _, k := range yamlOrderedKeys(m) {
		out = append(out, []any{k, m[k]})
	}
	return out, nil
}

// fnGet is dict.get(key[, default]).
func fnGet(args ...any) (any, error) {
	m, err := mapArg(args[0])
	if err != nil {
		return nil, err
	}
	if v, ok := m[str(args[1])]; ok {
		return v, nil
	}
	if len(args) > 2 {
		return args[2], nil
	}
	return nil, nil
}

func fnRegexEscape(args ...any) (any, error) { return regexp.QuoteMeta(str(args[0])), nil }
