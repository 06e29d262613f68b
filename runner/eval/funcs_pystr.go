package eval

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm/runtime"
)

// Helpers behind Python's string formatting, operators and methods in
// expressions ('%s' % x, 'ab' * 3, s[-1], s.zfill(3), l.index(x)). The
// translation (jinja_pystr.go) writes calls of them; their names start
// with "$py_" so no filter helper clashes.

var pystrHelpers = []helper{
	{name: "$py_tuple", fn: func(args ...any) (any, error) { return pyTuple(args), nil }, min: 0, max: -1, side: exprOnly},
	{name: "$py_mod", fn: fnPyMod, min: 2, max: 2, side: exprOnly},
	{name: "$py_mul", fn: fnPyMul, min: 2, max: 2, side: exprOnly},
	{name: "$py_index", fn: fnPyIndex, min: 2, max: 2, side: exprOnly},
	{name: "$py_slice", fn: fnPySlice, min: 4, max: 4, side: exprOnly},
	{name: "$py_format", fn: fnPyFormat, min: 3, max: 3, side: exprOnly},
	{name: "$py_percent", fn: fnPyPercentFilter, min: 2, max: -1, side: exprOnly},
	{name: pyMethodFunc, fn: fnPyMethod, min: 2, max: -1, side: exprOnly},
}

// pyMethodFunc is the helper behind Python's methods: its errors name the
// method (".zfill()"), not the helper.
const pyMethodFunc = "$py_method"

// helperLabel names a helper in its errors: "split()", ".zfill()" for a
// Python method, "format()" for $py_format.
func helperLabel(name string, args []any) string {
	if name == pyMethodFunc && len(args) > 0 {
		if m, ok := args[0].(string); ok {
			return "." + m + "()"
		}
	}
	switch name {
	case "$py_format":
		return ".format()"
	case "$py_percent":
		return "format()"
	case "$py_mod":
		return "operator %"
	case "$py_mul":
		return "operator *"
	case "$py_index":
		return "index"
	case "$py_slice":
		return "slice"
	}
	return strings.TrimPrefix(name, "$") + "()"
}

// fnPyMod is a % b: Python's printf-style formatting when a is a string,
// else the modulo with the sign of b (-7 % 3 is 2).
func fnPyMod(args ...any) (any, error) {
	a, b := args[0], args[1]
	if s, ok := a.(string); ok {
		return pyPercent(s, b)
	}
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	if aInt && bInt {
		if bi == 0 {
			return nil, fmt.Errorf("integer division or modulo by zero")
		}
		m := ai % bi
		if m != 0 && (m < 0) != (bi < 0) {
			m += bi
		}
		return m, nil
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, fmt.Errorf("unsupported operand types for %%: %s and %s", pyTypeName(a), pyTypeName(b))
	}
	fa, _ := toFloat(a)
	fb, _ := toFloat(b)
	if fb == 0 {
		return nil, fmt.Errorf("float modulo by zero")
	}
	m := math.Mod(fa, fb)
	if m != 0 && (m < 0) != (fb < 0) {
		m += fb
	}
	return m, nil
}

// fnPyMul is a * b: a string or list repeated, or numbers multiplied.
func fnPyMul(args ...any) (any, error) {
	a, b := args[0], args[1]
	if isSequence(b) && !isSequence(a) {
		a, b = b, a
	}
	if isSequence(a) {
		n, ok := b.(int)
		if bb, isBool := b.(bool); isBool {
			n, ok = map[bool]int{true: 1}[bb], true
		}
		if !ok {
			return nil, fmt.Errorf("can't multiply sequence by non-int of type '%s'", pyTypeName(b))
		}
		n = max(n, 0)
		if s, ok := a.(string); ok {
			if len(s)*n > maxRepeat {
				return nil, fmt.Errorf("the result would be longer than %d bytes", maxRepeat)
			}
			return strings.Repeat(s, n), nil
		}
		l, _ := asList(a)
		if len(l)*n > maxRepeat {
			return nil, fmt.Errorf("the result would be longer than %d items", maxRepeat)
		}
		out := make([]any, 0, len(l)*n)
		for range n {
			out = append(out, l...)
		}
		return out, nil
	}
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	if aInt && bInt {
		return ai * bi, nil
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, fmt.Errorf("unsupported operand types for *: %s and %s", pyTypeName(a), pyTypeName(b))
	}
	fa, _ := toFloat(a)
	fb, _ := toFloat(b)
	return fa * fb, nil
}

// maxRepeat bounds what 'x' * n and [x] * n may build.
const maxRepeat = 1 << 24

func isSequence(v any) bool {
	if _, ok := v.(string); ok {
		return true
	}
	if v == nil {
		return false
	}
	_, ok := asList(v)
	return ok
}

// fnPyIndex is x[i]: a string gives its i-th character (from the end when
// negative), anything else what expr's own indexing gives.
func fnPyIndex(args ...any) (v any, err error) {
	if s, ok := args[0].(string); ok {
		if !isNumber(args[1]) {
			return nil, fmt.Errorf("string indices must be integers, not %s", pyTypeName(args[1]))
		}
		i, _ := toInt(args[1])
		r, ok := runeAt(s, i)
		if !ok {
			return nil, fmt.Errorf("string index out of range")
		}
		return r, nil
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return runtime.Fetch(args[0], args[1]), nil
}

// runeAt is the i-th character of s, counted from the end when i < 0.
func runeAt(s string, i int) (string, bool) {
	r := []rune(s)
	if i < 0 {
		i += len(r)
	}
	if i < 0 || i >= len(r) {
		return "", false
	}
	return string(r[i]), true
}

// fnPySlice is x[start:stop:step] with Python's rules (nil: the default
// for the step's direction).
func fnPySlice(args ...any) (any, error) {
	x := args[0]
	var n int
	s, isStr := x.(string)
	var runes []rune
	var list []any
	if isStr {
		runes = []rune(s)
		n = len(runes)
	} else {
		l, ok := asList(x)
		if !ok || x == nil {
			return nil, fmt.Errorf("cannot slice %s", pyTypeName(x))
		}
		list, n = l, len(l)
	}
	step := 1
	if args[3] != nil {
		var err error
		if step, err = intArg(args[3], "slice step"); err != nil {
			return nil, err
		}
		if step == 0 {
			return nil, fmt.Errorf("slice step cannot be zero")
		}
	}
	start, stop := 0, n
	if step < 0 {
		start, stop = n-1, -n-1
	}
	bound := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, err := intArg(v, "slice index")
		if err != nil {
			return 0, err
		}
		if i < 0 {
			i += n
		}
		if step > 0 {
			return min(max(i, 0), n), nil
		}
		return min(max(i, -1), n-1), nil
	}
	start, err := bound(args[1], start)
	if err != nil {
		return nil, err
	}
	if args[2] != nil || step > 0 {
		if stop, err = bound(args[2], stop); err != nil {
			return nil, err
		}
	} else {
		stop = -1
	}
	var idx []int
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		idx = append(idx, i)
	}
	if isStr {
		out := make([]rune, len(idx))
		for k, i := range idx {
			out[k] = runes[i]
		}
		return string(out), nil
	}
	out := make([]any, len(idx))
	for k, i := range idx {
		out[k] = list[i]
	}
	return out, nil
}

// intArg requires an integer (a bool counts, as in Python).
func intArg(v any, what string) (int, error) {
	switch t := v.(type) {
	case int:
		return t, nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	}
	if isNumber(v) {
		if f, err := toFloat(v); err == nil && f == math.Trunc(f) {
			return toInt(v)
		}
	}
	return 0, fmt.Errorf("%s must be an integer, not %s", what, pyTypeName(v))
}

// fnPyFormat is format_string.format(*args, **kwargs).
func fnPyFormat(args ...any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("%s has no method format", pyTypeName(args[0]))
	}
	pos, _ := asList(args[1])
	kw, _ := asMap(args[2])
	return pyBraceFormat(s, pos, kw)
}

// fnPyPercentFilter is the format filter: fmt | format(a, b) is
// fmt % (a, b); with keyword arguments only, fmt % {names}.
func fnPyPercentFilter(args ...any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		s = pyStr(args[0])
	}
	kw, _ := asMap(args[1])
	if len(args) == 2 && len(kw) > 0 {
		return pyPercent(s, kw)
	}
	return pyPercent(s, pyTuple(args[2:]))
}

// Python string methods. Each takes the string first.

func pyStrArg(v any, method string) (string, error) {
	s, err := strArg(v, "")
	if err != nil {
		return "", fmt.Errorf("%s has no method %s (it is a string method)", pyTypeName(v), method)
	}
	return s, nil
}

// isCased reports whether every cased character of s passes upper (or
// lower) and there is at least one: Python's isupper/islower.
func isCased(s string, upper bool) bool {
	found := false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			if !upper {
				return false
			}
			found = true
		case unicode.IsLower(r):
			if upper {
				return false
			}
			found = true
		}
	}
	return found
}

// allRunes reports whether s is non-empty and every character passes ok.
func allRunes(s string, ok func(rune) bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// pyTitle is str.title: a letter after a non-letter is upper-cased, the
// others lower-cased.
func pyTitle(s string) string {
	var b strings.Builder
	prev := false
	for _, r := range s {
		cased := unicode.IsLetter(r)
		switch {
		case cased && !prev:
			b.WriteRune(unicode.ToTitle(r))
		case cased:
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prev = cased
	}
	return b.String()
}

// pyCapitalize is str.capitalize: the first character upper-cased, the
// rest lower-cased.
func pyCapitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + strings.ToLower(s[size:])
}

func pySwapcase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// pyZfill pads s with zeros on the left to width, after a sign.
func pyZfill(s string, width int) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	return sign + strings.Repeat("0", n) + s
}

// pyJustify is ljust, rjust and center with a one-character fill.
func pyJustify(s string, width int, fill string, how byte) (string, error) {
	if utf8.RuneCountInString(fill) != 1 {
		return "", fmt.Errorf("the fill character must be exactly one character long")
	}
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s, nil
	}
	switch how {
	case '<':
		return s + strings.Repeat(fill, n), nil
	case '>':
		return strings.Repeat(fill, n) + s, nil
	}
	left := n/2 + (n & width & 1) // Python's rounding for center
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, n-left), nil
}
