package eval

import (
	"strings"
	"testing"
)

// TestJinjaStatementsInValues: {% if %}, {% for %}, {% set %}, comments and
// whitespace control in a string value render as Ansible renders them
// (trim_blocks on, the result a string), with runbook's filters and tests.
func TestJinjaStatementsInValues(t *testing.T) {
	vars := map[string]any{
		"users": []any{map[string]any{"name": "ann", "admin": true}, map[string]any{"name": "bob", "admin": false}},
		"flag":  "yes", "n": 3, "empty": []any{}, "d": map[string]any{"b": 2, "a": 1},
		"r": map[string]any{"changed": true, "failed": false},
	}
	tests := []struct{ in, want string }{
		{"{% if flag | bool %}on{% else %}off{% endif %}", "on"},
		{"{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}", "mid"},
		{"{% if r is changed %}changed{% endif %}", "changed"},
		{"{% if nothing is defined %}x{% endif %}", ""},
		{"{% for u in users %}{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}", "ann,bob"},
		{"{% for u in users | selectattr('admin') %}{{ loop.index }}:{{ u.name | upper }}{% endfor %}", "1:ANN"},
		{"{% for x in empty %}x{% else %}none{% endfor %}", "none"},
		{"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"},
		{"{% set total = n * 2 %}total {{ total }}", "total 6"},
		{"a {#- a comment -#} b", "ab"},
		{"[ {%- for i in [1, 2, 3] -%} {{ i }} {%- endfor -%} ]", "[123]"},
		{"{% for i in [1, 2] %}\nline {{ i }}\n{% endfor %}\n", "line 1\nline 2\n"},
		{"{% if true %}\n{{ n }}\n{% endif %}", "3\n"},
		{"{% for i in [1, 2] %}{% set x = i * 10 %}{{ x }} {% endfor %}{{ x | default('unset') }}", "10 20 unset"},
		{"{% if '}' in '%}' %}q{% endif %}", "q"},
		{"{% if true %}{{ n }}{% endif %}", "3"},
		{"a {{- n -}} b", "a3b"},
		{"docker ps --format '{% raw %}{{.Names}} {% if %}{% endraw %}' {{ n }}", "docker ps --format '{{.Names}} {% if %}' 3"},
		{"a {%- raw -%}  {{ x }}  {%- endraw -%} b", "a{{ x }}b"},
		{"{% for u in users if not u.admin %}{{ u.name }}{{ loop.length }}{% endfor %}", "bob1"},
		{"{% for i in [1, 2] if i in [2, 3] %}{{ i }}{% endfor %}", "2"},
		{"a {{ n -}}\n b", "a 3b"},
	}
	for _, tt := range tests {
		got, err := Render(tt.in, vars)
		if err != nil {
			t.Errorf("Render(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Render(%q) = %#v, want %q", tt.in, got, tt.want)
		}
		if err := ValidateString(tt.in); err != nil {
			t.Errorf("ValidateString(%q): %v", tt.in, err)
		}
	}
	if got, err := Render("  {{- n -}}  ", vars); err != nil || got != 3 {
		t.Errorf("a lone {{- n -}} = %#v, %v; want 3 (typed, as {{ n }})", got, err)
	}
	if got := References("{% for u in users %}{{ u.name }}{% endfor %}{{ flag }}"); !strings.Contains(strings.Join(got, ","), "users") || !strings.Contains(strings.Join(got, ","), "flag") {
		t.Errorf("References missed the variables: %v", got)
	}
}

// TestJinjaStatementErrors: a statement runbook cannot render, or a broken
// one, is an error when the playbook is validated, saying what to write.
func TestJinjaStatementErrors(t *testing.T) {
	for in, want := range map[string]string{
		"{% if x %}a":                             "without {% endif %}",
		"{% for i in l %}a":                       "without {% endfor %}",
		"{% macro m() %}x{% endmacro %}":          "{% macro %} is not supported in playbook values",
		"{% endif %}":                             "without its opening statement",
		"{% for in l %}{% endfor %}":              "cannot read {% for in l %}",
		"{% set x %}a{% endset %}":                "block sets and namespaces are not supported",
		"{% raw %}{{ x }}":                        "{% raw %} without {% endraw %}",
		"{% if x ++ %}a{% endif %}":               "x ++",
		"{% for i in l %}{% endif %}{% endfor %}": "without {% endfor %}",
	} {
		err := ValidateString(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateString(%q) = %v, want an error with %q", in, err, want)
		}
	}
	if _, err := Render("{% for i in n %}{% endfor %}", map[string]any{"n": 3}); err == nil || !strings.Contains(err.Error(), "cannot loop over") {
		t.Errorf("looping over a number: %v", err)
	}
	if _, err := Render("{% if missing %}a{% endif %}", nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("undefined variable in a condition: %v", err)
	}
	for _, s := range []string{"printf '%s' {%", "echo ${#arr[@]}", "awk '{%d}'"} {
		if HasTemplate(s) {
			t.Errorf("HasTemplate(%q): text that is not a statement", s)
		}
	}
}
