package eval

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// Jinja's and Ansible's tests (x is NAME(args)), run by $is("NAME", x,
// args…). defined, undefined and none are translated without it (they
// must see a missing variable).

// jinjaTests are the test names $is knows.
var jinjaTests = map[string]bool{
	"string": true, "number": true, "integer": true, "float": true, "mapping": true, "sequence": true,
	"iterable": true, "boolean": true, "true": true, "false": true, "truthy": true, "falsy": true,
	"lower": true, "upper": true, "even": true, "odd": true, "divisibleby": true,
	"changed": true, "change": true, "failed": true, "failure": true, "succeeded": true, "success": true,
	"successful": true, "skipped": true, "skip": true, "finished": true, "reachable": true, "unreachable": true,
	"match": true, "search": true, "regex": true, "version": true, "version_compare": true,
	"in": true, "contains": true, "subset": true, "superset": true,
	"eq": true, "equalto": true, "==": true, "ne": true, "!=": true, "lt": true, "lessthan": true, "<": true,
	"le": true, "<=": true, "gt": true, "greaterthan": true, ">": true, "ge": true, ">=": true, "sameas": true,
}

// fnIs runs the test args[0] on args[1] with the rest as its arguments.
func fnIs(args ...any) (any, error) {
	name, x, rest := str(args[0]), args[1], args[2:]
	if r, ok, err := extraTest(name, x); ok {
		return r, err
	}
	need := func() error { // every test with arguments takes one
		if len(rest) < 1 {
			return fmt.Errorf("test %s needs %d argument(s), got %d", name, 1, len(rest))
		}
		return nil
	}
	switch name {
	case "string":
		_, ok := x.(string)
		return ok, nil
	case "number":
		_, isBool := x.(bool)
		return isNumber(x) && !isBool, nil
	case "integer":
		_, ok := x.(int)
		return ok, nil
	case "float":
		_, ok := x.(float64)
		return ok, nil
	case "mapping":
		m, ok := asMap(x)
		return ok && (m != nil || x != nil), nil
	case "sequence", "iterable":
		if x == nil {
			return false, nil
		}
		if _, ok := x.(string); ok {
			return true, nil
		}
		_, isList := asList(x)
		_, isMap := asMap(x)
		return isList || isMap, nil
	case "boolean":
		_, ok := x.(bool)
		return ok, nil
	case "true":
		return x == true, nil
	case "false":
		return x == false, nil
	case "truthy":
		return Truthy(x), nil
	case "falsy":
		return !Truthy(x), nil
	case "lower", "upper":
		s := str(x)
		want := strings.ToLower
		if name == "upper" {
			want = strings.ToUpper
		}
		return s == want(s) && strings.IndexFunc(s, unicode.IsLetter) >= 0, nil
	case "even", "odd", "divisibleby":
		n, err := toInt(x)
		if err != nil {
			return nil, err
		}
		d := 2
		if name == "divisibleby" {
			if err := need(); err != nil {
				return nil, err
			}
			if d, err = toInt(rest[0]); err != nil || d == 0 {
				return nil, fmt.Errorf("divisibleby needs a non-zero number")
			}
		}
		return (n%d == 0) == (name != "odd"), nil
	case "changed", "change", "failed", "failure", "skipped", "skip", "unreachable":
		return resultFlag(name, x)
	case "succeeded", "success", "successful":
		failed, err := resultFlag("failed", x)
		return err == nil && !failed, err
	case "reachable":
		u, err := resultFlag("unreachable", x)
		return err == nil && !u, err
	case "finished":
		m, err := resultMap(name, x)
		if err != nil {
			return nil, err
		}
		f, ok := m["finished"]
		return !ok || Truthy(f), nil
	case "match", "search", "regex":
		if err := need(); err != nil {
			return nil, err
		}
		pattern := str(rest[0])
		if name == "match" {
			pattern = `\A(?:` + pattern + `)`
		}
		re, err := compileRegexp(pattern)
		if err != nil {
			return nil, err
		}
		return re.MatchString(str(x)), nil
	case "version", "version_compare":
		if err := need(); err != nil {
			return nil, err
		}
		op := "=="
		if len(rest) > 1 {
			op = str(rest[1])
		}
		return versionTest(str(x), str(rest[0]), op)
	case "in", "contains", "subset", "superset":
		if err := need(); err != nil {
			return nil, err
		}
		return membership(name, x, rest[0])
	case "sameas":
		if err := need(); err != nil {
			return nil, err
		}
		return x == rest[0] || x == nil && rest[0] == nil, nil
	}
	if err := need(); err != nil {
		return nil, err
	}
	return compareTest(name, x, rest[0])
}

// resultMap requires a registered result.
func resultMap(test string, x any) (map[string]any, error) {
	m, ok := asMap(x)
	if !ok || m == nil {
		return nil, fmt.Errorf("test %s needs a registered task result, got %s", test, typeName(x))
	}
	return m, nil
}

// resultFlag reads a registered result's changed/failed/skipped/unreachable.
func resultFlag(test string, x any) (bool, error) {
	m, err := resultMap(test, x)
	if err != nil {
		return false, err
	}
	key := map[string]string{"change": "changed", "failure": "failed", "skip": "skipped"}[test]
	if key == "" {
		key = test
	}
	if results, ok := m["results"].([]any); ok && key != "skipped" {
		// A looped task: true when any item is (skipped needs every item).
		for _, r := range results {
			if rm, ok := r.(map[string]any); ok && Truthy(rm[key]) {
				return true, nil
			}
		}
	}
	return Truthy(m[key]), nil
}

// membership is the in/contains/subset/superset tests.
func membership(test string, x, y any) (bool, error) {
	switch test {
	case "in":
		r, err := in(x, y)
		b, _ := r.(bool)
		return b, err
	case "contains":
		r, err := in(y, x)
		b, _ := r.(bool)
		return b, err
	}
	a, b := x, y
	if test == "superset" {
		a, b = y, x
	}
	la, err := listArg(a)
	if err != nil {
		return false, err
	}
	lb, err := listArg(b)
	if err != nil {
		return false, err
	}
	in := newSet(lb)
	for _, v := range la {
		if !in.has(v) {
			return false, nil
		}
	}
	return true, nil
}

// compareTest is eq/ne/lt/le/gt/ge and their aliases.
func compareTest(name string, x, y any) (bool, error) {
	switch name {
	case "eq", "equalto", "==":
		return equal(x, y), nil
	case "ne", "!=":
		return !equal(x, y), nil
	}
	c, err := compareValues(x, y, true)
	if err != nil {
		return false, err
	}
	switch name {
	case "lt", "lessthan", "<":
		return c < 0, nil
	case "le", "<=":
		return c <= 0, nil
	case "gt", "greaterthan", ">":
		return c > 0, nil
	case "ge", ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("unknown test %q", name)
}

// versionTest compares versions as Ansible's loose versions do: numbers
// numerically, other parts as text ("1.10" > "1.9", "1.2.0" > "1.2").
func versionTest(a, b, op string) (bool, error) {
	c := compareVersions(a, b)
	switch op {
	case "<", "lt":
		return c < 0, nil
	case "<=", "le":
		return c <= 0, nil
	case ">", "gt":
		return c > 0, nil
	case ">=", "ge":
		return c >= 0, nil
	case "==", "=", "eq":
		return c == 0, nil
	case "!=", "<>", "ne":
		return c != 0, nil
	}
	return false, fmt.Errorf("version: unknown operator %q (use <, <=, >, >=, ==, != or lt, le, gt, ge, eq, ne)", op)
}

// versionParts splits "1.10rc2" into 1, 10, "rc", 2.
func versionParts(v string) []any {
	var out []any
	i := 0
	for i < len(v) {
		c := v[i]
		j := i + 1
		switch {
		case c >= '0' && c <= '9':
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(v[i:j])
			out = append(out, n)
		case unicode.IsLetter(rune(c)):
			for j < len(v) && unicode.IsLetter(rune(v[j])) {
				j++
			}
			out = append(out, v[i:j])
		}
		i = j
	}
	return out
}

func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, y := pa[i], pb[i]
		if reflect.TypeOf(x) != reflect.TypeOf(y) {
			// A number sorts after text, as in LooseVersion's "1.0" > "1.a".
			if _, ok := x.(int); ok {
				return 1
			}
			return -1
		}
		if c, _ := compareValues(x, y, true); c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}
