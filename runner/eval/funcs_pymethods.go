package eval

import (
	"fmt"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/runbook-dev/runbook/internal/maporder"
)

// fnPyMethod is x.name(args…) for the methods of pyMethods (jinja_pystr.go
// checked the number of arguments): args are the name, x, then the
// method's arguments (nil for a keyword one skipped).
func fnPyMethod(args ...any) (any, error) {
	name, x, a := args[0].(string), args[1], args[2:]
	switch name {
	case "index", "count":
		if isTupleOrList(x) {
			l, _ := asList(x)
			return listMethod(name, l, a)
		}
	case "copy":
		if m, ok := asMap(x); ok && x != nil {
			c := maps.Clone(m)
			maporder.Inherit(c, m) // the copy keeps the YAML order, as a dict's copy does
			return c, nil
		}
		if l, ok := asList(x); ok && x != nil {
			return append([]any{}, l...), nil
		}
		return nil, fmt.Errorf("%s has no method copy", pyTypeName(x))
	}
	s, err := pyStrArg(x, name)
	if err != nil {
		return nil, err
	}
	return strMethod(name, s, a)
}

func isTupleOrList(v any) bool {
	if _, isStr := v.(string); isStr || v == nil {
		return false
	}
	_, ok := asList(v)
	return ok
}

// listMethod is list.index(x) and list.count(x).
func listMethod(name string, l []any, a []any) (any, error) {
	if name == "count" {
		if len(a) != 1 {
			return nil, fmt.Errorf("list.count() takes exactly one argument (%d given)", len(a))
		}
		n := 0
		for _, v := range l {
			if equal(v, a[0]) {
				n++
			}
		}
		return n, nil
	}
	start, end, err := sliceBounds(len(l), a[1:])
	if err != nil {
		return nil, err
	}
	for i := start; i < end; i++ {
		if equal(l[i], a[0]) {
			return i, nil
		}
	}
	return nil, fmt.Errorf("%s is not in list", pyRepr(a[0]))
}

// sliceBounds reads optional start and end arguments with Python's
// slice rules, for a sequence of n items.
func sliceBounds(n int, a []any) (start, end int, err error) {
	end = n
	fix := func(v any) (int, error) {
		i, err := intArg(v, "slice index")
		if err != nil {
			return 0, err
		}
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n), nil
	}
	if len(a) > 0 && a[0] != nil {
		if start, err = fix(a[0]); err != nil {
			return 0, 0, err
		}
	}
	if len(a) > 1 && a[1] != nil {
		if end, err = fix(a[1]); err != nil {
			return 0, 0, err
		}
	}
	return start, max(end, start), nil
}

// strMethod is the string method name applied to s.
func strMethod(name, s string, a []any) (any, error) {
	arg := func(i int) any {
		if i < len(a) {
			return a[i]
		}
		return nil
	}
	switch name {
	case "split", "rsplit":
		maxsplit := -1
		if m := arg(1); m != nil {
			n, err := intArg(m, "maxsplit")
			if err != nil {
				return nil, err
			}
			maxsplit = n
		}
		return pySplit(s, arg(0), maxsplit, name == "rsplit")
	case "splitlines":
		return pySplitlines(s, Truthy(arg(0))), nil
	case "strip", "lstrip", "rstrip":
		return pyStrip(name, s, arg(0))
	case "find", "rfind", "index", "rindex", "count":
		return pyFind(name, s, a)
	case "startswith", "endswith":
		return pyAffix(name, s, a)
	case "isdigit", "isdecimal", "isnumeric":
		return allRunes(s, unicode.IsDigit), nil
	case "isalpha":
		return allRunes(s, unicode.IsLetter), nil
	case "isalnum":
		return allRunes(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }), nil
	case "isspace":
		return allRunes(s, unicode.IsSpace), nil
	case "islower":
		return isCased(s, false), nil
	case "isupper":
		return isCased(s, true), nil
	case "istitle":
		return pyIsTitle(s), nil
	case "title":
		return pyTitle(s), nil
	case "capitalize":
		return pyCapitalize(s), nil
	case "swapcase":
		return pySwapcase(s), nil
	case "casefold":
		return strings.ToLower(s), nil
	case "zfill":
		w, err := intArg(arg(0), "width")
		if err != nil {
			return nil, err
		}
		return pyZfill(s, w), nil
	case "ljust", "rjust", "center":
		w, err := intArg(arg(0), "width")
		if err != nil {
			return nil, err
		}
		fill := " "
		if f := arg(1); f != nil {
			if fill, err = pyStrArg(f, "fillchar"); err != nil {
				return nil, fmt.Errorf("the fill character must be a string, not %s", pyTypeName(f))
			}
		}
		return pyJustify(s, w, fill, map[string]byte{"ljust": '<', "rjust": '>', "center": '^'}[name])
	case "partition", "rpartition":
		sep, err := sepArg(arg(0))
		if err != nil {
			return nil, err
		}
		k := strings.Index(s, sep)
		if name == "rpartition" {
			k = strings.LastIndex(s, sep)
		}
		switch {
		case k >= 0:
			return pyTuple{s[:k], sep, s[k+len(sep):]}, nil
		case name == "rpartition":
			return pyTuple{"", "", s}, nil
		}
		return pyTuple{s, "", ""}, nil
	case "replace":
		old, err := pyStrArg(arg(0), "replace")
		if err != nil {
			return nil, fmt.Errorf("replace() argument 1 must be str, not %s", pyTypeName(arg(0)))
		}
		repl, err := pyStrArg(arg(1), "replace")
		if err != nil {
			return nil, fmt.Errorf("replace() argument 2 must be str, not %s", pyTypeName(arg(1)))
		}
		n := -1
		if c := arg(2); c != nil {
			if n, err = intArg(c, "count"); err != nil {
				return nil, err
			}
		}
		return strings.Replace(s, old, repl, n), nil
	}
	return nil, fmt.Errorf("str has no method %s", name)
}

func sepArg(v any) (string, error) {
	sep, ok := v.(string)
	switch {
	case !ok:
		return "", fmt.Errorf("must be str, not %s", pyTypeName(v))
	case sep == "":
		return "", fmt.Errorf("empty separator")
	}
	return sep, nil
}

// pyStrip is strip, lstrip and rstrip: whitespace, or any of chars.
func pyStrip(name, s string, chars any) (any, error) {
	var cut func(rune) bool
	switch c := chars.(type) {
	case nil:
		cut = unicode.IsSpace
	case string:
		cut = func(r rune) bool { return strings.ContainsRune(c, r) }
	default:
		return nil, fmt.Errorf("%s arg must be None or str, not %s", name, pyTypeName(chars))
	}
	if name != "rstrip" {
		s = strings.TrimLeftFunc(s, cut)
	}
	if name != "lstrip" {
		s = strings.TrimRightFunc(s, cut)
	}
	return s, nil
}

// pyFind is find, rfind, index, rindex and count over s[start:end]
// (positions in characters).
func pyFind(name, s string, a []any) (any, error) {
	sub, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("must be str, not %s", pyTypeName(a[0]))
	}
	runes := []rune(s)
	start, end, err := sliceBounds(len(runes), a[1:])
	if err != nil {
		return nil, err
	}
	part := string(runes[start:end])
	var k int
	switch name {
	case "count":
		if sub == "" {
			return utf8.RuneCountInString(part) + 1, nil
		}
		return strings.Count(part, sub), nil
	case "find", "index":
		k = strings.Index(part, sub)
	default:
		k = strings.LastIndex(part, sub)
	}
	if k < 0 {
		if name == "index" || name == "rindex" {
			return nil, fmt.Errorf("substring not found")
		}
		return -1, nil
	}
	return start + utf8.RuneCountInString(part[:k]), nil
}

// pyAffix is startswith and endswith: a string or a tuple of them, over
// s[start:end].
func pyAffix(name, s string, a []any) (any, error) {
	var affixes []any
	switch t := a[0].(type) {
	case string:
		affixes = []any{t}
	case pyTuple:
		affixes = t
	default:
		return nil, fmt.Errorf("%s first arg must be str or a tuple of str, not %s", name, pyTypeName(a[0]))
	}
	runes := []rune(s)
	start, end, err := sliceBounds(len(runes), a[1:])
	if err != nil {
		return nil, err
	}
	part := string(runes[start:end])
	for _, x := range affixes {
		p, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("tuple for %s must only contain str, not %s", name, pyTypeName(x))
		}
		if (name == "startswith" && strings.HasPrefix(part, p)) || (name == "endswith" && strings.HasSuffix(part, p)) {
			return true, nil
		}
	}
	return false, nil
}

// pyIsTitle is str.istitle: upper case only after uncased characters,
// lower case only after cased ones, and at least one cased character.
func pyIsTitle(s string) bool {
	cased, prev := false, false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			if prev {
				return false
			}
			prev, cased = true, true
		case unicode.IsLower(r):
			if !prev {
				return false
			}
			prev, cased = true, true
		default:
			prev = false
		}
	}
	return cased
}
