package eval

import (
	"reflect"
	"strings"
	"testing"
)

// TestVariableNamedLikeAFunction: a variable may be called count, seq, join
// or len as in Ansible, and is the variable wherever it is not called
// (found by the conformance suite: "count == 3" was a type error about
// expr's count builtin); calls to those functions keep working, in the
// same expression too, and an unset one is an undefined variable.
func TestVariableNamedLikeAFunction(t *testing.T) {
	vars := map[string]any{"count": 3, "seq": map[string]any{"results": []any{"a", "b"}}, "join": 2, "len": "x"}
	for _, tc := range []struct {
		expr string
		want any
	}{
		{"count == 3", true},
		{"{{ count }}", 3},
		{"seq.results", []any{"a", "b"}},
		{"{{ seq.results | length }}", 2},
		{"{{ seq.results | join(',') }}", "a,b"},
		{"join + 1", 3},
		{"len", "x"},
		{"count + len(seq.results)", 5},
		{"[1, 2] | count", 2},
		{"{{ 'n=' ~ count if count is defined else 'none' }}", "n=3"},
	} {
		got, err := Eval(tc.expr, vars)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Eval(%q) = %#v, %v; want %#v", tc.expr, got, err, tc.want)
		}
	}
	_, err := Eval("count > 1", map[string]any{})
	if err == nil || !strings.Contains(err.Error(), `undefined variable "count"`) {
		t.Errorf("unset count: %v, want an undefined variable error", err)
	}
}

// Variables named like a builtin or a filter (a task registers `first`, a
// play sets `max`) are read as variables where they are not called, and
// the functions of the same name keep working beside them.
func TestVariablesNamedLikeFunctions(t *testing.T) {
	vars := map[string]any{
		"first": map[string]any{"status_code": 200},
		"max":   map[string]any{"b": 2},
		"len":   3,
		"items": []any{3, 1, 2},
		"lower": "ABC",
	}
	for src, want := range map[string]any{
		"first.status_code":                       200,
		"{{ first.status_code }}":                 200,
		"{{ max.b + len }}":                       5,
		"{{ items | first }}":                     3,
		"{{ items | max }}":                       3,
		"len(items) + len":                        6,
		"{{ lower | lower }}":                     "abc",
		"first.status_code == 200 and len > 2":    true,
		"max is defined and max.b == 2":           true,
		"{{ [first.status_code, len] | max }}":    200,
		"{{ 'first' in items | map('string') }}":  false,
		"{{ first['status_code'] | string }}":     "200",
		"{{ (items | sort | first) + max['b'] }}": 3,
		"{{ lower if len > 1 else 'x' }}":         "ABC",
		"{{ items | map('string') | join(',') }}": "3,1,2",
		"{{ first.get('status_code') }}":          200,
		"{{ max | dict2items | length }}":         1,
		"{{ lower | length }}":                    3,
		"{{ 'x' ~ len }}":                         "x3",
	} {
		got, err := Eval(src, vars)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if !equalLoose(got, want) {
			t.Errorf("%s = %#v, want %#v", src, got, want)
		}
	}
	// Undefined, it is an undefined variable, not a function.
	if _, err := Eval("{{ first.status_code }}", map[string]any{}); err == nil || !strings.Contains(err.Error(), "first") {
		t.Errorf("an undefined variable named first: %v", err)
	}
}

// equalLoose compares as the tests above mean it: numbers by value.
func equalLoose(a, b any) bool {
	return strings.TrimSpace(stringOf(a)) == strings.TrimSpace(stringOf(b))
}

func stringOf(v any) string {
	s, err := Eval("{{ v | string }}", map[string]any{"v": v})
	if err != nil {
		return "error"
	}
	return s.(string)
}
