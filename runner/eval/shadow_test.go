package eval

import (
	"strings"
	"testing"
)

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
