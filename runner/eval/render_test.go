package eval

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRenderTyped(t *testing.T) {
	vars := testVars()
	tests := []struct {
		in   string
		want any
	}{
		{"{{ n }}", 3},
		{"  {{ n }}\n", "  3\n"}, // text, blanks kept, as in Ansible
		{"{{ s }}\n", "hello\n"},
		{"{{ f }}\n", "2.5\n"},
		{"{{ l }}\n", []any{1, "a", true}},
		{" {{ t }} ", true},
		{"{{n}}", 3},
		{"{{ n + 1 }}", 4},
		{"{{ f }}", 2.5},
		{"{{ t }}", true},
		{"{{ l }}", []any{1, "a", true}},
		{"{{ m.inner }}", map[string]any{"x": "deep"}},
		{"{{ nothing }}", nil},
		{"{{ s }}", "hello"},
		{"{{ {'a': {'b': n}} }}", map[string]any{"a": map[string]any{"b": 3}}},
		{"{{ [1, [2, 3]] }}", []any{1, []any{2, 3}}},
		{"{{ hosts | filter(# != 'db1') }}", []any{"web1", "web2"}},
		{"{{ s | upper() }}", "HELLO"},
		{"{{ missing | default([]) }}", []any{}},
		{"{{ 1..3 }}", []any{1, 2, 3}},
		{"{{ '}}' }}", "}}"},
		{"{{ \"{{\" }}", "{{"},
	}
	for _, tt := range tests {
		got, err := Render(tt.in, vars)
		if err != nil {
			t.Errorf("Render(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Render(%q) = %#v (%T), want %#v (%T)", tt.in, got, got, tt.want, tt.want)
		}
	}
}

func TestRenderMixed(t *testing.T) {
	vars := testVars()
	vars["html"] = "<a & b>"
	vars["big"] = 1e21
	vars["small"] = 0.000001
	tests := []struct {
		in, want string
	}{
		{"plain text", "plain text"},
		{"", ""},
		{"n={{ n }}", "n=3"},
		{"{{ n }}{{ n }}", "33"},
		{"{{ n }} {{ s }}", "3 hello"},
		// Values inside text are written as Python's str() writes them, as
		// Ansible does: floats keep their ".0", booleans are True/False,
		// lists and dicts are Python literals; None is empty.
		{"f={{ f }} whole={{ whole }}", "f=2.5 whole=8080.0"},
		{"big={{ big }} small={{ small }}", "big=1e+21 small=1e-06"},
		{"t={{ t }} no={{ !t }}", "t=True no=False"},
		{"[{{ nothing }}]", "[]"},
		{"l={{ l }}", `l=[1, 'a', True]`},
		{"m={{ m }}", `m={'inner': {'x': 'deep'}, 'k': 1}`},
		{"echo '{{ {'k': html} }}'", `echo '{'k': '<a & b>'}'`},
		{"h={{ html }}", "h=<a & b>"},
		{`json: {"a": {"b": 1}}`, `json: {"a": {"b": 1}}`}, // lone }} is text
		{"}} {{ n }} }}", "}} 3 }}"},
		{"{{ '}}' }}x", "}}x"},
		{"{{ \"a\\\"}}\" }}!", "a\"}}!"},
		{"{{ `raw}}` }}!", "raw}}!"},
		{"a{{ {'k': {'j': 1}}.k.j }}b", "a1b"},
		{"{{ '{{' }} literal {{ '}}' }}", "{{ literal }}"},
		{"host={{ hosts[0] }}:{{ whole | int() }}", "host=web1:8080"},
		{"{{ missing ?? 'd' }}-{{ default(a.b, 'e') }}", "d-e"},
		{"x\n{{ n }}\ny", "x\n3\ny"},
		{"ünï {{ s }} ✓", "ünï hello ✓"},
	}
	for _, tt := range tests {
		got, err := Render(tt.in, vars)
		if err != nil {
			t.Errorf("Render(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Render(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	vars := testVars()
	tests := []struct {
		in   string
		want []string
	}{
		{"{{ n", []string{`unclosed "{{"`, "no matching"}},
		{"a {{ 'x }}", []string{`unclosed "{{"`, "string literal"}},
		{"a {{ }} b", []string{"empty {{ }}"}},
		{"a {{ n + }} b", []string{`rendering "a {{ n + }} b"`, `invalid expression "n +"`}},
		{"{{ n + }}", []string{`invalid expression "n +"`}},
		{"a {{ missing }} b", []string{`rendering "a {{ missing }} b"`, `undefined variable "missing" in expression "missing"`}},
		{"{{ missing }}", []string{`undefined variable "missing" in expression "missing"`}},
		{"x {{ s + 1 }}", []string{`error evaluating expression "s + 1"`}},
	}
	for _, tt := range tests {
		_, err := Render(tt.in, vars)
		if err == nil {
			t.Errorf("Render(%q): no error", tt.in)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Render(%q) = %q, want it to contain %q", tt.in, err, w)
			}
		}
		// ValidateString agrees on syntax problems.
		verr := ValidateString(tt.in)
		syntax := !strings.Contains(tt.want[len(tt.want)-1], "undefined") && !strings.Contains(tt.in, "s + 1")
		if syntax != (verr != nil) {
			t.Errorf("ValidateString(%q) = %v", tt.in, verr)
		}
	}
	_, err := Render("a {{ missing }}", vars)
	var ue *UndefinedError
	var re *RenderError
	if !errors.As(err, &ue) || !errors.As(err, &re) || ue.Name != "missing" {
		t.Errorf("Render error chain: %v", err)
	}
}

func TestValidateString(t *testing.T) {
	for _, ok := range []string{"", "no templates", "{{ x }}", "a {{ x | upper() }} b {{ y ?? 1 }}", `{"a": {"b": 1}}`, "}}"} {
		if err := ValidateString(ok); err != nil {
			t.Errorf("ValidateString(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"{{", "{{ x", "a {{ x }} {{ y", "{{ x + }}", "{{ x | }}", "{{ }}", "{{ 'a }}"} {
		if err := ValidateString(bad); err == nil {
			t.Errorf("ValidateString(%q): no error", bad)
		}
	}
}

func TestHasTemplate(t *testing.T) {
	for s, want := range map[string]bool{"": false, "a": false, "{x}": false, "}}": false, "{{": true, "a {{ b }}": true} {
		if HasTemplate(s) != want {
			t.Errorf("HasTemplate(%q) = %v", s, !want)
		}
	}
}

func TestRenderValue(t *testing.T) {
	vars := testVars()
	in := map[string]any{
		"name":    "svc-{{ s }}",
		"port":    "{{ whole | int() }}",
		"count":   5,
		"flag":    true,
		"null":    nil,
		"{{ s }}": "keys are not rendered",
		"list": []any{
			"{{ n }}",
			"plain",
			map[string]any{"deep": "{{ hosts }}", "n": 1.5},
			[]any{"{{ t }}"},
		},
		"env": map[string]any{"HOME": "/home/{{ s }}"},
	}
	got, err := RenderValue(in, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name":    "svc-hello",
		"port":    8080,
		"count":   5,
		"flag":    true,
		"null":    nil,
		"{{ s }}": "keys are not rendered",
		"list": []any{
			3,
			"plain",
			map[string]any{"deep": []any{"web1", "web2", "db1"}, "n": 1.5},
			[]any{true},
		},
		"env": map[string]any{"HOME": "/home/hello"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RenderValue:\n got %#v\nwant %#v", got, want)
	}
	// The input is untouched and the containers are new.
	if in["name"] != "svc-{{ s }}" || in["list"].([]any)[0] != "{{ n }}" {
		t.Error("RenderValue modified its input")
	}
	got.(map[string]any)["env"].(map[string]any)["HOME"] = "changed"
	if in["env"].(map[string]any)["HOME"] != "/home/{{ s }}" {
		t.Error("RenderValue shares containers with its input")
	}
	// Scalars pass through.
	for _, v := range []any{nil, 1, 2.5, true, "plain"} {
		if got, err := RenderValue(v, vars); err != nil || got != v {
			t.Errorf("RenderValue(%#v) = %#v, %v", v, got, err)
		}
	}
}

func TestRenderValueErrorPath(t *testing.T) {
	in := map[string]any{
		"args": map[string]any{
			"env": []any{"ok", map[string]any{"name": "{{ missing }}"}},
		},
	}
	_, err := RenderValue(in, testVars())
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != "args.env[1].name" {
		t.Fatalf("error %v, want path args.env[1].name", err)
	}
	var ue *UndefinedError
	if !errors.As(err, &ue) || ue.Name != "missing" {
		t.Errorf("error %v does not unwrap to the UndefinedError", err)
	}
	if !strings.HasPrefix(err.Error(), "at args.env[1].name: undefined variable") {
		t.Errorf("message %q", err)
	}
	_, err = RenderValue([]any{[]any{"{{ x"}}, nil)
	if !errors.As(err, &pe) || pe.Path != "[0][0]" {
		t.Errorf("error %v, want path [0][0]", err)
	}
}

func TestRenderCachesParsedStrings(t *testing.T) {
	s := "cache {{ n }} test {{ s }}"
	if _, err := Render(s, testVars()); err != nil {
		t.Fatal(err)
	}
	a := parseTemplateString(s)
	b := parseTemplateString(s)
	if a != b {
		t.Error("parsed string not cached")
	}
	c1, _ := compile("n + 1")
	c2, _ := compile("n + 1")
	if c1 != c2 || c1.prog == nil {
		t.Error("compiled expression not cached")
	}
	if !reflect.DeepEqual(c1.required, []string{"n"}) {
		t.Errorf("required = %v", c1.required)
	}
}

func TestRequiredVarsAnalysis(t *testing.T) {
	tests := map[string][]string{
		"a + b + a":                   {"a", "b"},
		"a.b.c":                       {"a"},
		"x ?? y":                      {"y"},
		"filter(l, # > t)":            {"l", "t"},
		"map(l, .name)":               {"l"},
		"let v = a; v + b":            {"a", "b"},
		"upper(s)":                    {"s"},
		"$env.x":                      nil,
		"defined('q') && q > 1":       nil,
		"q != nil ? q : r":            {"r"},
		"x | default(y)":              {"y"},
		"a[b]":                        {"a", "b"},
		"reduce(l, #acc + #, 0)":      {"l"},
		"sortBy(l, .x)":               {"l"},
		"1 + 2":                       nil,
		"{'k': v}":                    {"v"},
		"mandatory(x, msg)":           {"msg"},
		"a.b != nil && a.b.c > limit": {"limit"},
		"!(a == nil) && a > 1":        nil,
		"a == nil || b == nil || a+b": nil,
		"(a != nil) == true && a > 1": {"a"}, // not a recognised guard: stay strict
		"missing ?? a.b ?? c":         {"c"},
	}
	for src, want := range tests {
		c, err := compile(src)
		if err != nil {
			t.Errorf("compile(%q): %v", src, err)
			continue
		}
		if len(c.required) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(c.required, want) {
			t.Errorf("required(%q) = %v, want %v", src, c.required, want)
		}
	}
}

func TestCyclicValues(t *testing.T) {
	vars := testVars()
	cyc := map[string]any{"name": "{{ s }}"}
	cyc["self"] = cyc
	cyc["again"] = cyc // two self-references: a depth limit alone would take 2^depth steps
	vars["cyc"] = cyc
	if _, err := RenderValue(cyc, vars); err == nil || !strings.Contains(err.Error(), "contains itself") {
		t.Errorf("RenderValue of a cyclic map: %v", err)
	}
	if _, err := Render("x {{ cyc }}", vars); err == nil {
		t.Error("rendering a cyclic map into a string: no error")
	}
	if _, err := Eval("to_json(cyc)", vars); err == nil {
		t.Error("to_json of a cyclic map: no error")
	}
	foreign := map[any]any{"k": 1}
	loop := []any{foreign}
	foreign["loop"] = loop
	foreign["again"] = loop
	if _, err := Render("x {{ v }}", map[string]any{"v": loop}); err == nil || !strings.Contains(err.Error(), "contains itself") {
		t.Errorf("rendering a cyclic foreign map: %v", err)
	}
	// Shared (but not cyclic) parts are fine.
	shared := []any{1}
	if got, err := Render("x {{ v }}", map[string]any{"v": map[any]any{"a": shared, "b": shared}}); err != nil || got != `x {'a': [1], 'b': [1]}` {
		t.Errorf("shared parts: %v, %v", got, err)
	}
	if got, err := RenderValue(map[string]any{"a": shared, "b": shared}, nil); err != nil || len(got.(map[string]any)) != 2 {
		t.Errorf("RenderValue with shared parts: %v, %v", got, err)
	}
}
