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
