package eval

import (
	"reflect"
	"strings"
	"testing"
)

// TestJinjaTruthAndConstants: True/False/None are literals; not, and, or
// and a ternary's condition judge values by Truthy (Ansible's yes/no
// strings included) instead of failing with Go's "interface conversion";
// and/or give an operand as Python does; + joins lists; not a == b is
// not (a == b).
func TestJinjaTruthAndConstants(t *testing.T) {
	vars := map[string]any{"x": "yes", "no_word": "no", "e": "", "l": []any{1}, "n": 2, "m": map[string]any{}}
	tests := []evalCase{
		{"True", true},
		{"False", false},
		{"None", nil},
		{"not True", false},
		{"not False and True", true},
		{"not x", false},
		{"not no_word", true},
		{"not e", true},
		{"not l", false},
		{"not m", true},
		{"!x", false},
		{"x ? 'a' : 'b'", "a"},
		{"e ? 'a' : 'b'", "b"},
		{"e or 'fallback'", "fallback"},
		{"x or 'fallback'", "yes"},
		{"x and n", 2},
		{"e and n", ""},
		{"n > 1 and n < 3", true},
		{"l + l", []any{1, 1}},
		{"l + [2]", []any{1, 2}},
		{"n + n", 4},
		{"not n == 3", true},
		{"not 'y' in x", false},
		{"x != nil and x", "yes"},
	}
	checkEvals(t, vars, tests)
	ok, err := Condition([]string{"True", "not False", "x"}, vars)
	if err != nil || !ok {
		t.Errorf("Condition(True, not False, x) = %v, %v; want true", ok, err)
	}
}

// evalCase is an expression and the value it must give.
type evalCase struct {
	expr string
	want any
}

// checkEvals evaluates each case with vars.
func checkEvals(t *testing.T, vars map[string]any, tests []evalCase) {
	t.Helper()
	for _, tc := range tests {
		got, err := Eval(tc.expr, vars)
		if err != nil {
			t.Errorf("Eval(%q): %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Eval(%q) = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
}

// TestNoGoTypeErrorText: a value of the wrong type for an operator is
// reported in plain words, never as Go's "interface conversion" text.
func TestNoGoTypeErrorText(t *testing.T) {
	vars := map[string]any{"s": "abc", "l": []any{1}, "n": 1}
	for _, e := range []string{"s - 1", "l > 1", "-s", "s + l", "n - s"} {
		_, err := Eval(e, vars)
		if err == nil {
			t.Errorf("Eval(%q): want an error", e)
			continue
		}
		if strings.Contains(err.Error(), "interface conversion") || strings.Contains(err.Error(), "interface {}") {
			t.Errorf("Eval(%q): Go type text in %q", e, err)
		}
	}
	if got := plainTypeError("x: interface conversion: interface {} is string, not bool (1:2)"); got != "x: a value has the wrong type: expected a bool, got a string (1:2)" {
		t.Errorf("plainTypeError = %q", got)
	}
}

// TestConstantsAreNotVariables: True and None are not reported as
// variables an expression refers to.
func TestConstantsAreNotVariables(t *testing.T) {
	if refs := References("{{ True ? x : None }}"); len(refs) != 1 || refs[0] != "x" {
		t.Errorf("References = %v, want [x]", refs)
	}
	if refs := References("{{ y if False else lookup('env', 'HOME') ~ z }}"); strings.Join(refs, ",") != "y,z" {
		t.Errorf("References = %v, want [y z]", refs)
	}
}
