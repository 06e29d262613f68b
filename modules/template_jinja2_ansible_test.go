package modules_test

import (
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/maporder"
)

// The expected texts below are what ansible-core 2.14's template module
// wrote for the same template and variables.

// j2Case renders templates/main.j2 (with the other files of files beside
// it, relative to the playbook directory) through the template module.
type j2Case struct {
	name   string
	files  map[string]string // path under the playbook directory → content
	vars   map[string]any
	params map[string]any
	want   string
}

// renderJ2 runs the template module on the case and returns what it wrote.
func renderJ2(t *testing.T, tc j2Case) (string, error) {
	t.Helper()
	pb, out := t.TempDir(), t.TempDir()
	for p, content := range tc.files {
		writeString(t, filepath.Join(pb, p), content, 0o644)
	}
	vars := tc.vars
	if vars == nil {
		vars = map[string]any{}
	}
	if rp, ok := vars["role_path"].(string); ok {
		vars["role_path"] = filepath.Join(pb, rp)
	}
	mc := helperContext(t, vars)
	mc.PlaybookDir = pb
	src := "main.j2"
	if _, ok := tc.files["main.j2"]; !ok && vars["role_path"] != nil {
		src = filepath.Join(vars["role_path"].(string), "templates", "main.j2")
	}
	dest := filepath.Join(out, "out")
	raw := map[string]any{"src": src, "dest": dest}
	for k, v := range tc.params {
		raw[k] = v
	}
	if _, err := helperRun(t, mc, "template", raw); err != nil {
		return "", err
	}
	return readString(t, dest), nil
}

func runJ2Cases(t *testing.T, cases []j2Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := renderJ2(t, tc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("rendered\n%q\nAnsible writes\n%q", got, tc.want)
			}
		})
	}
}

// ordered is a mapping that keeps its keys' order, as one read from YAML.
func ordered(kv ...any) map[string]any {
	m := map[string]any{}
	var keys []string
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
		keys = append(keys, kv[i].(string))
	}
	maporder.Record(m, keys)
	return m
}

// Values printed inside the text are Python's str(): True/False/None,
// quoted strings in lists and dicts (in YAML order), floats with a
// fraction; None alone prints nothing.
func TestTemplateJinja2PrintsPythonValues(t *testing.T) {
	nested := ordered("b", []any{1, 2, "three"}, "a", 1, "c", ordered("x", true, "y", nil))
	runJ2Cases(t, []j2Case{
		{name: "scalars and collections", files: map[string]string{"main.j2": "list={{ ['a', 1, true, none, 2.5] }}\n" +
			"nested={{ nested }}\nratio={{ ratio }} div={{ 4 / 2 }} none={{ none }} bool={{ flag }}\n" +
			"quote={{ [\"O'Brien\"] }} round={{ 2.5 | round }} {{ 7 | round }} {{ 3.14159 | round(2) }}\n" +
			"zip={{ [1, 2] | zip(['a', 'b']) | list }} dictsort={{ {'b': 1, 'a': 2} | dictsort }}\n"},
			vars: map[string]any{"nested": nested, "ratio": 7.0, "flag": false},
			want: "list=['a', 1, True, None, 2.5]\nnested={'b': [1, 2, 'three'], 'a': 1, 'c': {'x': True, 'y': None}}\n" +
				"ratio=7.0 div=2.0 none= bool=False\nquote=[\"O'Brien\"] round=2.0 7 3.14\n" +
				"zip=[(1, 'a'), (2, 'b')] dictsort=[('a', 2), ('b', 1)]\n"},
		{name: "mapping order", files: map[string]string{"main.j2": "{% for k, v in env.items() %}\n{{ k }}={{ v }}\n{% endfor %}\n" +
			"{% for k in env %}{{ k }} {% endfor %}\n\n{{ env.keys() | list }}\n"},
			vars: map[string]any{"env": ordered("JAVA_OPTS", "-Xmx512m", "APP_ENV", "production", "DEBUG", false)},
			want: "JAVA_OPTS=-Xmx512m\nAPP_ENV=production\nDEBUG=False\nJAVA_OPTS APP_ENV DEBUG \n['JAVA_OPTS', 'APP_ENV', 'DEBUG']\n"},
	})
}

// Python's string literals (a backslash before a character that starts no
// escape stays), nested mappings closing with "}}", {% raw %} keeping its
// newline, test calls with two arguments.
func TestTemplateJinja2Syntax(t *testing.T) {
	runJ2Cases(t, []j2Case{
		{name: "regex literals", files: map[string]string{"main.j2": `{{ 'nginx-1.20.3' | regex_search('\d+\.\d+') }} {{ 'a1b22' | regex_findall('\d+') }} {{ 'x\\y' }}` + "\n"},
			want: "1.20 ['1', '22'] x\\y\n"},
		{name: "nested dict literal", files: map[string]string{"main.j2": "{{ {'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=true) }}\n"},
			want: "{'a': {'x': 1, 'y': 2}}\n"},
		{name: "raw", files: map[string]string{"main.j2": "{% raw %}\n{{ not rendered }}\n{% endraw %}\nafter\n"},
			want: "\n{{ not rendered }}\nafter\n"},
		{name: "tests with arguments", files: map[string]string{"main.j2": "{{ v is version('1.19', '>=') }} {{ v is not version('2.0', 'lt') }} {{ [1] is subset([1, 2]) }}\n" +
			"{% if v is version('2', '<') %}old{% endif %}\n"},
			vars: map[string]any{"v": "1.20.3"},
			want: "True False True\nold\n"},
		{name: "call block in a loop, imported macro", files: map[string]string{
			"main.j2": "{% import 'm.j2' as m %}\n{% for f in [1, 2] %}\n{% call m.block(f) %}\nbody {{ f }}\n{% endcall %}\n{% endfor %}\n{{ {'b': 1} | combine({'a': 2}) }}\n",
			"m.j2":    "{% macro block(n) -%}\nblock {{ n }}\n{{ caller() }}\n{%- endmacro %}\n"},
			want: "block 1\nbody 1\nblock 2\nbody 2\n{'b': 1, 'a': 2}\n"},
		{name: "inline if", files: map[string]string{"main.j2": "{{ 'a' if x else 'b' }}|{{ 'c' if not x }}|{{- ' d' ~ 1 if x -}}|\n"},
			vars: map[string]any{"x": true},
			want: "a|| d1|\n"},
	})
}

// Ansible's environment: trim_blocks by default, a "#jinja2:" first line,
// the delimiter parameters, the trailing newlines of the source.
func TestTemplateJinja2Environment(t *testing.T) {
	servers := map[string]any{"servers": []any{"a", "b"}}
	runJ2Cases(t, []j2Case{
		{name: "header", files: map[string]string{"main.j2": "#jinja2: trim_blocks: False, lstrip_blocks: True\n" +
			"{% for s in servers %}\n    {% if loop.first %}\nfirst {{ s }}\n    {% endif %}\n{% endfor %}\nend\n"},
			vars: servers, want: "\n\nfirst a\n\n\n\n\nend\n"},
		{name: "delimiters", files: map[string]string{"main.j2": "<% for s in servers %>\n    <% if loop.first %>\nserver [[ s ]]\n    <% endif %>\n<% endfor %>\n<# c #>\n{{ kept }}\n"},
			vars: servers, params: map[string]any{"lstrip_blocks": true, "block_start_string": "<%", "block_end_string": "%>",
				"variable_start_string": "[[", "variable_end_string": "]]", "comment_start_string": "<#", "comment_end_string": "#>"},
			want: "server a\n{{ kept }}\n"},
		{name: "trailing newlines", files: map[string]string{"main.j2": "{% if true %}\nx\n{% endif %}\n\n\n"}, want: "x\n\n\n"},
		{name: "no trailing newline", files: map[string]string{"main.j2": "n={{ 3 }}"}, want: "n=3"},
		{name: "whitespace control", files: map[string]string{"main.j2": "items:\n{%- for s in servers %}\n  - {{ s -}}\n{% endfor %}\n" +
			"inline: {% for s in servers -%} {{ s }}, {%- endfor %}\n\n    {%+ if true %}plus{% endif %}\n\n"},
			vars: servers, want: "items:  - a  - binline: a,b,\n    plus\n\n"},
	})
}

// A role's template imports macros and includes a file found in the role's
// templates/, then in the playbook's, as Ansible searches; lookup('file')
// reads the role's files/.
func TestTemplateJinja2RoleImportsAndIncludes(t *testing.T) {
	runJ2Cases(t, []j2Case{{
		name: "role",
		files: map[string]string{
			"roles/web/templates/main.j2": "{% import 'macros.j2' as m %}\n{% from 'macros.j2' import opt %}\n" +
				"{{ opt('Port', port, comment='listen') }}\n{{ m.opt('UseDNS', m.yesno(false)) }}\n" +
				"{% call m.section('extra') %}\nX11Forwarding no\n{% endcall %}\n{% include 'tail.j2' %}\nmotd={{ lookup('file', 'motd.txt') }}\n",
			"roles/web/templates/macros.j2": "{% macro opt(name, value, comment='') -%}\n{% if comment %}# {{ comment }}\n{% endif %}\n" +
				"{{ name }} {{ value }}\n{%- endmacro %}\n{% macro yesno(v) -%}\n{{ 'yes' if v else 'no' }}\n{%- endmacro %}\n" +
				"{% macro section(title) -%}\n## {{ title }}\n{{ caller() }}\n## end\n{%- endmacro %}\n",
			"templates/tail.j2":        "# tail for {{ inventory_hostname }}\n",
			"roles/web/files/motd.txt": "hello\n",
		},
		vars: map[string]any{"port": 22, "inventory_hostname": "web1", "role_path": "roles/web"},
		// An included template loses its last newline and trim_blocks the
		// one after the include tag, in Jinja too.
		want: "# listen\nPort 22\nUseDNS no\n## extra\nX11Forwarding no\n\n## end# tail for web1motd=hello\n",
	}})
}

// Ansible's filters give Ansible's text: to_nice_yaml and to_nice_json
// with their indent, extract over hostvars, selectattr with a test on
// items missing the attribute.
func TestTemplateJinja2AnsibleFilters(t *testing.T) {
	scrape := []any{ordered("job_name", "node", "static_configs", []any{ordered("targets", []any{"localhost:9100"})})}
	users := []any{ordered("name", "alice", "shell", "/bin/bash"), ordered("name", "carol")}
	hostvars := map[string]any{"web1": map[string]any{"ansible_host": "10.0.0.11"}, "web2": map[string]any{"ansible_host": "10.0.0.12"}}
	runJ2Cases(t, []j2Case{
		{name: "yaml", files: map[string]string{"main.j2": "scrape_configs:\n{{ scrape | to_nice_yaml(indent=2) | indent(2, true) }}\n{{ scrape | to_nice_yaml }}"},
			vars: map[string]any{"scrape": scrape},
			want: "scrape_configs:\n  - job_name: node\n    static_configs:\n    - targets:\n      - localhost:9100\n\n" +
				"-   job_name: node\n    static_configs:\n    -   targets:\n        - localhost:9100\n"},
		{name: "json", files: map[string]string{"main.j2": "{{ d | to_json }}\n{{ d | to_nice_json(indent=2) }}\n"},
			vars: map[string]any{"d": ordered("b", []any{1, "é"}, "a", nil)},
			want: "{\"b\": [1, \"\\u00e9\"], \"a\": null}\n{\n  \"a\": null,\n  \"b\": [\n    1,\n    \"\\u00e9\"\n  ]\n}\n"},
		{name: "extract and selectattr", files: map[string]string{"main.j2": "{{ groups['web'] | map('extract', hostvars, 'ansible_host') | list }}\n" +
			"{{ users | selectattr('shell', 'defined') | map(attribute='name') | list }} {{ users | rejectattr('shell', 'defined') | map(attribute='name') | join(',') }}\n"},
			vars: map[string]any{"groups": map[string]any{"web": []any{"web1", "web2"}}, "hostvars": hostvars, "users": users},
			want: "['10.0.0.11', '10.0.0.12']\n['alice'] carol\n"},
		{name: "idioms", files: map[string]string{"main.j2": "{{ ns | join(\"\\n\") }}\n" +
			"{{ [80, 443] | map('string') | join(',') }} {{ ['1', '2'] | map('int') | sum }} {{ [1, 'a', 2.5] | select('string') | list }}\n" +
			"{{ env.get('APP_ENV', 'x') }} {{ env.get('NOPE', 'dflt') }} {{ name.replace('example', 'ex') }} {{ 'a:b'.split(':')[0] }}\n" +
			"[{{ '%-8s' | format('ab') }}] [{{ 'ab'.ljust(5) }}] [{{ 'ab'.center(5, '*') }}] {{ '0x1A' | int(base=16) }}\n" +
			"{{ lookup('vars', 'name') }} {{ \"it's \\\"q\\\"\" }} {{ {'k': 'Zoë'} }} {{ ['a\\nb', 'tab\\there'] }} {{ 'hello world foo' | truncate(9) }}\n"},
			vars: map[string]any{"ns": []any{"a", "b"}, "env": map[string]any{"APP_ENV": "production"}, "name": "example.com"},
			want: "a\nb\n80,443 3 ['a']\nproduction dflt ex.com a\n[ab      ] [ab   ] [**ab*] 26\n" +
				"example.com it's \"q\" {'k': 'Zoë'} ['a\\nb', 'tab\\there'] hello...\n"},
		{name: "hostvars templated in their host's context", files: map[string]string{"main.j2": "{{ hostvars['web1'].d }} {{ hostvars['web1'].l }}\n"},
			vars: map[string]any{"a": "mine", "hostvars": map[string]any{"web1": map[string]any{"a": "x", "d": "{{ a }}-1", "l": []any{"{{ a }}"}}}},
			want: "x-1 ['x']\n"},
		{name: "default and mandatory", files: map[string]string{"main.j2": "{{ nope | default('d') }} {{ empty | default('e', true) }} {{ n | default('x') }} {{ count | mandatory }}\n"},
			vars: map[string]any{"empty": "", "n": nil, "count": 3},
			want: "d e  3\n"},
	})
}

// The variables Ansible's template module adds.
func TestTemplateJinja2MagicVariables(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	got, err := renderJ2(t, j2Case{files: map[string]string{"main.j2": "# {{ ansible_managed }}\n{{ template_path | basename }} {{ template_fullpath is match('/') }} " +
		"{{ template_destpath | basename }} {{ template_uid }} {{ template_host | length > 0 }} {{ template_run_date is defined }}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Ansible managed\nmain.j2 True out " + u.Username + " True True\n"; got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
}

// An error names the template and line with Jinja's wording; a filter
// runbook lacks is refused by name; a syntax error does not dump the
// template.
func TestTemplateJinja2Errors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"undefined", "line one\nline two {{ missing_var }}\n", "main.j2:2: 'missing_var' is undefined"},
		{"attribute", "ok {{ d.a }}\nbad {{ d.zzz }}\n", "main.j2:2: 'dict object' has no attribute 'zzz'"},
		{"ipaddr", "{{ '10.0.0.1/24' | ipaddr('address') }}\n", `main.j2:1: filter ipaddr: filter "ipaddr" is not supported`},
		{"syntax", "one\n{% if x %}\nthree\n", "main.j2:"},
		{"header", "#jinja2: trim_blocks False\nx\n", "main.j2:1: #jinja2: expects key: value pairs"},
		{"mandatory", "{{ nope | mandatory }}\n", "main.j2:1: Mandatory variable 'nope' not defined."},
		{"in an include", "x\n{% include 'inc.j2' %}\n", "inc.j2:3: 'nope' is undefined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"main.j2": tc.text, "inc.j2": "a\nb\n{{ nope }}\n"}
			_, err := renderJ2(t, j2Case{files: files, vars: map[string]any{"d": map[string]any{"a": 1}}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "three") || strings.Contains(err.Error(), "runbook_pystr") {
				t.Errorf("the error shows the template's text or runbook's rewriting: %v", err)
			}
		})
	}
}

// --check --diff on a .j2 predicts exactly what a real run changes.
func TestTemplateJinja2CheckDiff(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		pb, dir := t.TempDir(), t.TempDir()
		writeString(t, filepath.Join(pb, "templates", "macros.j2"), "{% macro kv(k, v) %}{{ k }}={{ v }}{% endmacro %}\n", 0o644)
		writeString(t, filepath.Join(pb, "templates", "app.conf.j2"), "{% import 'macros.j2' as m %}\n{% for k, v in conf.items() %}\n{{ m.kv(k, v) }}\n{% endfor %}\n", 0o644)
		vars := map[string]any{"conf": ordered("port", 80, "debug", true)}
		mc := connContext(t, c, vars)
		mc.PlaybookDir, mc.Diff = pb, true
		dest := filepath.Join(dir, "app.conf")
		raw := map[string]any{"src": "app.conf.j2", "dest": dest}
		runTwiceAndCheck(t, mc, dir, "template", raw)
		if got := readString(t, dest); got != "port=80\ndebug=True\n" {
			t.Fatalf("rendered %q", got)
		}
		vars["conf"] = ordered("port", 8080, "debug", true)
		mc.Check = true
		r := helperMustRun(t, mc, "template", raw)
		if !r.Changed || len(r.Diff) != 1 || r.Diff[0].Before != "port=80\ndebug=True\n" || r.Diff[0].After != "port=8080\ndebug=True\n" {
			t.Fatalf("check run: %+v", r)
		}
		mc.Check = false
		if r := helperMustRun(t, mc, "template", raw); !r.Changed || readString(t, dest) != "port=8080\ndebug=True\n" {
			t.Fatalf("the real run after check: %+v", r)
		}
	})
}
