package eval

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// testVars is a small variable set shaped like YAML output.
func testVars() map[string]any {
	return map[string]any{
		"n":       3,
		"f":       2.5,
		"whole":   8080.0, // a float that is a whole number (16 / 2, 3.7 | round)
		"s":       "hello",
		"empty":   "",
		"yes":     "yes",
		"t":       true,
		"nothing": nil,
		"l":       []any{1, "a", true},
		"m":       map[string]any{"k": 1, "inner": map[string]any{"x": "deep"}},
		"res":     map[string]any{"rc": 0, "stdout": "ok\n", "changed": false},
		"hosts":   []any{"web1", "web2", "db1"},
	}
}

func mustEval(t *testing.T, expr string, vars map[string]any) any {
	t.Helper()
	v, err := Eval(expr, vars)
	if err != nil {
		t.Fatalf("Eval(%q): %v", expr, err)
	}
	return v
}

func TestEvalBasics(t *testing.T) {
	vars := testVars()
	tests := []struct {
		expr string
		want any
	}{
		{"n + 1", 4},
		{"n * 2 - 1", 5},
		{"f + n", 5.5},
		{"f * 2", 5.0},
		{"whole + 1", 8081.0},
		{"n == 3.0", true},
		{"whole == 8080", true},
		{"n > 2 && s == 'hello'", true},
		{"s + ' world'", "hello world"},
		{"s startsWith 'he'", true},
		{"s contains 'ell'", true},
		{"'web1' in hosts", true},
		{"res.rc == 0", true},
		{"res.stdout", "ok\n"},
		{"m.inner.x", "deep"},
		{"m['k']", 1},
		{"l[1]", "a"},
		{"len(hosts)", 3},
		{"hosts[0:2]", []any{"web1", "web2"}},
		{"filter(hosts, # startsWith 'web')", []any{"web1", "web2"}},
		{"map(hosts, upper(#))", []any{"WEB1", "WEB2", "DB1"}},
		{"let x = n * 2; x + 1", 7},
		{"n > 2 ? 'big' : 'small'", "big"},
		{"1..3", []any{1, 2, 3}},                  // []int from expr becomes []any
		{"{'a': n}", map[string]any{"a": 3}},      // map literal
		{"[n, s]", []any{3, "hello"}},             // list literal
		{"$env.n", 3},                             // the whole variable map
		{"nothing", nil},                          // defined but null
		{"{{ n + 1 }}", 4},                        // Jinja-style braces around a bare expression
		{"  n  ", 3},                              // whitespace
		{"s\n  | upper()", "HELLO"},               // multi-line
		{"res.nope", nil},                         // missing key of a defined map
		{"m?.nope?.deeper", nil},                  // optional chaining
		{"hosts | filter(# != 'db1') | len()", 2}, // pipes
	}
	for _, tt := range tests {
		got := mustEval(t, tt.expr, vars)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Eval(%q) = %#v (%T), want %#v (%T)", tt.expr, got, got, tt.want, tt.want)
		}
	}
}

func TestEvalIntStaysInt(t *testing.T) {
	v := mustEval(t, "n", testVars())
	if _, ok := v.(int); !ok {
		t.Fatalf("n evaluated to %T, want int", v)
	}
	v = mustEval(t, "n + 1", testVars())
	if _, ok := v.(int); !ok {
		t.Fatalf("n + 1 evaluated to %T, want int", v)
	}
}

func TestEvalNumericTypes(t *testing.T) {
	// Decoders other than ours may hand over int64, uint8, float32 …
	vars := map[string]any{"a": int64(5), "b": uint8(2), "c": float32(1.5), "d": int32(-1)}
	tests := map[string]any{
		"a + 1":  int64(6),
		"a + b":  7,
		"a > b":  true,
		"c * 2":  float32(3),
		"d + a":  4,
		"a == 5": true,
	}
	for expr, want := range tests {
		got := mustEval(t, expr, vars)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Eval(%q) = %#v, want %#v", expr, got, want)
		}
	}
}

func TestEvalNilVars(t *testing.T) {
	if v := mustEval(t, "1 + 1", nil); v != 2 {
		t.Errorf("got %v", v)
	}
	if v := mustEval(t, "x ?? 5", nil); v != 5 {
		t.Errorf("got %v", v)
	}
	if _, err := Eval("x", nil); err == nil {
		t.Error("undefined x with nil vars: no error")
	}
}

func TestUndefinedVariables(t *testing.T) {
	vars := testVars()
	tests := []struct {
		expr, name string
	}{
		{"missing", "missing"},
		{"missing + 1", "missing"},
		{"n + missing", "missing"},
		{"a.b.c", "a"},
		{"a.b", "a"},
		{"a['b']", "a"},
		{"missing > 1 || n > 1", "missing"},
		{"upper(missing)", "missing"},
		{"missing | upper()", "missing"},
		{"filter(hosts, # == missing)", "missing"},
		{"m[missing]", "missing"},
		{"[1, missing]", "missing"},
		{"{'k': missing}", "missing"},
		{"n > 1 ? missing : 1", "missing"},
		{"missing != nil || missing > 1", "missing"}, // the || branch runs when missing IS nil
		{"missing == nil && missing > 1", "missing"}, // the && branch runs when missing IS nil
		{"default(n, missing)", "missing"},           // only the first argument is exempt
		{"missing.x ?? missing2", "missing2"},        // only the left of ?? is exempt
		{"let x = 1; x + y", "y"},
		{"defined('x') && y > 1", "y"},
	}
	for _, tt := range tests {
		_, err := Eval(tt.expr, vars)
		var ue *UndefinedError
		if !errors.As(err, &ue) {
			t.Errorf("Eval(%q): err = %v, want UndefinedError", tt.expr, err)
			continue
		}
		if ue.Name != tt.name || ue.Expr != tt.expr {
			t.Errorf("Eval(%q): UndefinedError{%q, %q}, want name %q", tt.expr, ue.Name, ue.Expr, tt.name)
		}
		msg := err.Error()
		for _, part := range []string{`undefined variable "` + tt.name + `"`, fmt.Sprintf("%q", tt.expr), tt.name + " ?? default", "default(" + tt.name + ", x)", "-e " + tt.name + "=VALUE"} {
			if !strings.Contains(msg, part) {
				t.Errorf("Eval(%q): message %q lacks %q", tt.expr, msg, part)
			}
		}
	}
}

func TestUndefinedErrorAsValue(t *testing.T) {
	_, err := Eval("nope", nil)
	var ue UndefinedError
	if !errors.As(err, &ue) || ue.Name != "nope" {
		t.Fatalf("errors.As with a value target: %v, %+v", err, ue)
	}
}

func TestUndefinedFactSaysHowFactsAreGathered(t *testing.T) {
	_, err := Eval("ansible_distribution == 'Debian'", nil)
	if err == nil || !strings.Contains(err.Error(), "gather_facts") {
		t.Fatalf("undefined fact: %v", err)
	}
}

func TestUndefinedExemptions(t *testing.T) {
	vars := testVars()
	tests := []struct {
		expr string
		want any
	}{
		// left of ??
		{"missing ?? 'd'", "d"},
		{"a.b ?? 1", 1},
		{"a.b.c ?? 1", 1},
		{"a?.b ?? 2", 2},
		{"m.nope.x ?? 3", 3}, // defined map, missing key, deeper access
		{"m.k ?? 9", 1},
		{"missing ?? other ?? 4", 4},
		{"missing ?? a.b ?? 4", 4},
		{"hosts[99] ?? 'none'", "none"}, // index out of range
		{"hosts[-1] ?? 'none'", "db1"},
		{"m['inner']['x'] ?? 0", "deep"},
		{"a.b[0].c ?? 7", 7},
		{"m.list[0] ?? 8", 8},
		{"default(hosts[5], 'd')", "d"},
		{"hosts[7] == nil", true},
		{"s[1] ?? '?'", "e"},
		{"(missing ?? 1) + 1", 2},
		// default
		{"missing | default('d')", "d"},
		{"default(missing, 'd')", "d"},
		{"a.b.c | default('d')", "d"},
		{"default(a.b, 5)", 5},
		{"default(empty, 'd')", "d"},
		{"default(nothing, 'd')", "d"},
		{"default(s, 'd')", "hello"},
		{"default(n, 0)", 3},
		// nil comparisons
		{"missing == nil", true},
		{"missing != nil", false},
		{"nil == missing", true},
		{"a.b == nil", true},
		{"a.b.c != nil", false},
		{"s != nil", true},
		// guards
		{"missing != nil && missing > 1", false},
		{"missing == nil || missing > 1", true},
		{"missing != nil ? missing : 'fb'", "fb"},
		{"missing == nil ? 'fb' : missing", "fb"},
		{"!(missing == nil) && missing > 1", false},
		{"missing != nil and missing.x > 1", false},
		{"a.b != nil && a.b.c == 1", false},
		{"defined('missing') && missing > 1", false},
		{"defined(missing) && missing > 1", false},
		{"not defined('missing') || missing > 1", true},
		{"n > 0 && missing != nil && missing > 1", false},
		// defined helper
		{"defined('missing')", false},
		{"defined('n')", true},
		{"defined('nothing')", true}, // set to null still counts as defined
		{"defined('m.inner.x')", true},
		{"defined('m.inner.y')", false},
		{"defined('m.k.z')", false},
		{"defined(missing)", false}, // a bare name is taken as the name
		{"defined(m.inner)", true},
		{"'n' | defined()", true},
		// mandatory gets to report its own message
		{"mandatory(n)", 3},
	}
	for _, tt := range tests {
		got, err := Eval(tt.expr, vars)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Eval(%q) = %#v, want %#v", tt.expr, got, tt.want)
		}
	}
}

func TestCondition(t *testing.T) {
	vars := testVars()
	tests := []struct {
		exprs []string
		want  bool
	}{
		{nil, true},
		{[]string{}, true},
		{[]string{"true"}, true},
		{[]string{"n > 1"}, true},
		{[]string{"n > 1", "s == 'hello'"}, true},
		{[]string{"n > 1", "s == 'bye'"}, false},
		{[]string{"false", "missing > 1"}, false},          // stops at the first false
		{[]string{"missing != nil", "missing > 1"}, false}, // later ones may rely on earlier ones
		{[]string{"yes"}, true},                            // Truthy on the value: "yes"
		{[]string{"empty"}, false},
		{[]string{"l"}, true},
		{[]string{"res.rc"}, false}, // 0
		{[]string{"nothing"}, false},
		{[]string{"{{ t }}"}, true},
	}
	for _, tt := range tests {
		got, err := Condition(tt.exprs, vars)
		if err != nil {
			t.Errorf("Condition(%q): %v", tt.exprs, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Condition(%q) = %v, want %v", tt.exprs, got, tt.want)
		}
	}
	_, err := Condition([]string{"n > 1", "missing > 1"}, vars)
	var ue *UndefinedError
	if !errors.As(err, &ue) || ue.Expr != "missing > 1" {
		t.Errorf("Condition with an undefined variable: %v", err)
	}
	_, err = Condition([]string{"n > "}, vars)
	if err == nil || !strings.Contains(err.Error(), `"n > "`) {
		t.Errorf("Condition with a syntax error: %v", err)
	}
}

func TestTruthy(t *testing.T) {
	type myString string
	tests := []struct {
		v    any
		want bool
	}{
		{nil, false},
		{true, true},
		{false, false},
		{0, false},
		{1, true},
		{-1, true},
		{int64(0), false},
		{int64(7), true},
		{uint8(0), false},
		{uint(3), true},
		{0.0, false},
		{0.5, true},
		{float32(0), false},
		{math.NaN(), true},
		{"", false},
		{"true", true},
		{"True", true},
		{"yes", true},
		{"YES", true},
		{"on", true},
		{"1", true},
		{"false", false},
		{"False", false},
		{"no", false},
		{"off", false},
		{"0", false},
		{" no ", false},
		{"anything", true},
		{" ", false}, // blank counts as empty
		{"0.0", true},
		{myString("off"), false},
		{myString("x"), true},
		{[]any{}, false},
		{[]any{nil}, true},
		{[]string{"a"}, true},
		{[]int{}, false},
		{map[string]any{}, false},
		{map[string]any{"a": 1}, true},
		{map[any]any{1: 2}, true},
		{struct{}{}, true},
		{(*int)(nil), false},
	}
	for _, tt := range tests {
		if got := Truthy(tt.v); got != tt.want {
			t.Errorf("Truthy(%#v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"n +", []string{`invalid expression "n +"`, "column"}},
		{"(n", []string{`"(n"`}},
		{"", []string{"empty expression"}},
		{"   ", []string{"empty expression"}},
		{"x is frobbed", []string{"unknown test \"frobbed\""}},
		{"x | upperr", []string{`unknown filter "upperr"`, `did you mean "upper"`}},
		{"contains(s, 'x')", []string{"contains is an operator"}},
		{"nosuchfunc(1)", []string{"unknown function nosuchfunc()"}},
		{"n ==== 1", []string{`"n ==== 1"`}},
		{"'unterminated", []string{`"'unterminated"`}},
		{"{% if x %}", []string{"{% %}"}},
		{"{{ .name }}", []string{"Go template syntax", "`name` not `.name`"}},
		{"index .groups.master 0", []string{"Go template syntax", "groups.master[0]"}},
		{"inventory_hostname != (index .groups.master 0)", []string{"Go template syntax"}},
	}
	for _, tt := range tests {
		err := Validate(tt.expr)
		if err == nil {
			t.Errorf("Validate(%q): no error", tt.expr)
			continue
		}
		var ee *Error
		if !errors.As(err, &ee) || !ee.Syntax {
			t.Errorf("Validate(%q): %T %v, want *Error with Syntax", tt.expr, err, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate(%q) = %q, want it to contain %q", tt.expr, err, w)
			}
		}
		// Eval reports the same error.
		if _, err2 := Eval(tt.expr, testVars()); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Eval(%q) error %v differs from Validate's %v", tt.expr, err2, err)
		}
	}
	for _, ok := range []string{"n + 1", "missing ?? 1", "x | upper()", "defined('x')", "a || b", "{{ x }}"} {
		if err := Validate(ok); err != nil {
			t.Errorf("Validate(%q): %v", ok, err)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	vars := testVars()
	tests := []struct {
		expr string
		want []string
	}{
		{"s + 1", []string{`error evaluating expression "s + 1"`}},
		{"m.nope.x", []string{`"m.nope.x"`, "column 8", "cannot fetch x"}},
		{"hosts[10]", []string{"index out of range"}},
		{"mandatory(nothing, 'nothing must be set')", []string{"nothing must be set"}},
		{"mandatory(missing)", []string{"mandatory value is not set"}},
		{"from_json('{')", []string{"from_json()"}},
		{"int('ff', 0, 1)", []string{`int(): base must be between 2 and 36`}},
		{"default(1)", []string{"default(): takes 2 to 3 arguments, got 1"}},
		{"n\n+ s", []string{"line 2"}},
	}
	for _, tt := range tests {
		_, err := Eval(tt.expr, vars)
		if err == nil {
			t.Errorf("Eval(%q): no error", tt.expr)
			continue
		}
		var ee *Error
		if !errors.As(err, &ee) || ee.Syntax {
			t.Errorf("Eval(%q): %T %v, want run-time *Error", tt.expr, err, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Eval(%q) = %q, want it to contain %q", tt.expr, err, w)
			}
		}
	}
	_, err := Eval("mandatory(missing, 'db_password must be set')", vars)
	var me *MandatoryError
	if !errors.As(err, &me) || me.Msg != "db_password must be set" {
		t.Errorf("mandatory error not reachable with errors.As: %v", err)
	}
}

func TestConcurrentEval(t *testing.T) {
	const goroutines = 32
	exprs := []string{"n + i", "s + string(i)", "missing ?? i", "hosts[i % 3]", "i > 5 && n > 1", "default(x, i) * 2"}
	templates := []string{"{{ i }}", "host-{{ i }}-{{ s | upper() }}", "{{ hosts[i % 3] }}", "{{ [i, n] }}"}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range 200 {
				vars := testVars()
				vars["i"] = i
				if g%2 == 0 {
					vars["x"] = g
				}
				for _, e := range exprs {
					if _, err := Eval(e, vars); err != nil {
						errs <- fmt.Errorf("Eval(%q): %w", e, err)
						return
					}
				}
				for _, s := range templates {
					if _, err := Render(s, vars); err != nil {
						errs <- fmt.Errorf("Render(%q): %w", s, err)
						return
					}
				}
				want := fmt.Sprintf("host-%d-HELLO", i)
				if got, _ := Render("host-{{ i }}-{{ s | upper() }}", vars); got != want {
					errs <- fmt.Errorf("got %v, want %v", got, want)
					return
				}
				// A distinct expression per goroutine and iteration exercises
				// cache insertion races.
				e := fmt.Sprintf("i + %d", g*1000+i%10)
				if v, err := Eval(e, vars); err != nil || v != i+g*1000+i%10 {
					errs <- fmt.Errorf("Eval(%q) = %v, %v", e, v, err)
					return
				}
				if _, err := RenderTemplate("t", "{{ .i }} {{ .s | upper }}", vars); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCacheBound(t *testing.T) {
	c := newCache[int](2)
	c.put("a", 1)
	c.put("b", 2)
	if got := c.put("c", 3); got != 3 {
		t.Errorf("put past the limit returned %d", got)
	}
	if _, ok := c.get("c"); ok {
		t.Error("cache grew past its limit")
	}
	if got := c.put("a", 5); got != 1 {
		t.Errorf("put of an existing key returned %d, want the stored 1", got)
	}
}

// TestInIsSubstringOnStrings: "'x' in s" is a substring test as in Jinja
// (the README's failed_when example), membership on lists and map keys.
func TestInIsSubstringOnStrings(t *testing.T) {
	vars := testVars()
	for expr, want := range map[string]bool{
		"'ell' in s":               true,
		"'xyz' in s":               false,
		"'ell' not in s":           false,
		"not ('ok' in res.stdout)": false,
		"'ok' in res.stdout":       true,
		"'web1' in hosts":          true,
		"'web9' not in hosts":      true,
		"'k' in m":                 true,
		"'z' in m":                 false,
		"1 in l":                   true,
		"'a' in nothing":           false,
	} {
		if got := mustEval(t, expr, vars); got != want {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
	for _, bad := range []string{"1 in s", "1 in m"} {
		if _, err := Eval(bad, vars); err == nil || !strings.Contains(err.Error(), `operator "in"`) {
			t.Errorf("%s: error %v, want one naming the operator", bad, err)
		}
	}
	if _, err := Eval("'a' in undefined_thing", vars); err == nil || !strings.Contains(err.Error(), "undefined variable") {
		t.Errorf("an undefined haystack is still reported: %v", err)
	}
}
