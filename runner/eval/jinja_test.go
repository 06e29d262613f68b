package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func jinjaVars(t *testing.T) map[string]any {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "motd"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RUNBOOK_JINJA_TEST", "from-env")
	return map[string]any{
		"playbook_dir": dir,
		"omit":         "__omit_place_holder__",
		"flag":         "yes",
		"s":            "Hello",
		"items":        []any{"b", "a", "b"},
		"nums":         []any{3, 1, 2},
		"r":            map[string]any{"changed": true, "failed": false, "rc": 0, "stdout": "ok", "stdout_lines": []any{"l1", "l2"}},
		"skipped":      map[string]any{"changed": false, "skipped": true},
		"loopres":      map[string]any{"changed": false, "results": []any{map[string]any{"changed": false}, map[string]any{"changed": true}}},
		"users":        []any{map[string]any{"name": "ann", "uid": 1, "admin": true}, map[string]any{"name": "bob", "uid": 2, "admin": false}},
		"m":            map[string]any{"a": map[string]any{"x": 1}, "b": 2},
		"version":      "1.10.2",
		"empty":        "",
		"n":            7,
	}
}

// TestJinjaExpressions: each Jinja form the README lists is translated to
// expr at compile time and gives Jinja's (Ansible's) value.
func TestJinjaExpressions(t *testing.T) {
	vars := jinjaVars(t)
	tests := []evalCase{
		// Tests.
		{"r is defined", true},
		{"nope is defined", false},
		{"nope is undefined", true},
		{"r.stdout is not defined", false},
		{"r.nope is not defined", true},
		{"nope is not defined or nope > 1", true},
		{"r is defined and r.rc == 0", true},
		{"nothing is none", true},
		{"s is none", false},
		{"s is string", true},
		{"n is number", true},
		{"flag is number", false},
		{"true is number", true}, // a bool is a number in Python
		{"m is mapping", true},
		{"items is sequence", true},
		{"s is iterable", true},
		{"n is iterable", false},
		{"true is boolean", true},
		{"flag is boolean", false},
		{"true is true", true},
		{"flag is true", false},
		{"false is false", true},
		{"r is changed", true},
		{"r is not changed", false},
		{"loopres is changed", true},
		{"r is failed", false},
		{"r is succeeded", true},
		{"r is success", true},
		{"skipped is skipped", true},
		{"r is skipped", false},
		{"r is finished", true},
		{"s is match('Hel')", true},
		{"s is match('ell')", false},
		{"s is search('ell')", true},
		{"s is regex('l+o$')", true},
		{"version is version('1.9', '>')", true},
		{"version is version('1.10.2', 'eq')", true},
		{"version is version('2.0', operator='lt')", true},
		{"version is version_compare('1.10', '>=')", true},
		{"'a' is in items", true},
		{"'z' is not in items", true},
		{"['a', 'b'] is subset(items)", true},
		{"items is superset(['a'])", true},
		{"n is divisibleby 7", true},
		{"n is odd", true},
		// Filters, with and without parentheses, positional and keyword arguments.
		{"items | length", 3},
		{"items|length > 1", true},
		{"nope | default(omit)", "__omit_place_holder__"},
		{"nope | d('x')", "x"},
		{"empty | default('x', true)", "x"},
		{"flag | default('x', boolean=true)", "yes"},
		{"items | join(',')", "b,a,b"},
		{"users | map(attribute='name') | join(', ')", "ann, bob"},
		{"users | map(attribute='shell', default='sh') | list", []any{"sh", "sh"}},
		{"items | map('upper') | list", []any{"B", "A", "B"}},
		{"users | selectattr('uid', 'equalto', 2) | map(attribute='name') | first", "bob"},
		{"users | selectattr('admin') | map(attribute='name') | list", []any{"ann"}},
		{"users | rejectattr('admin') | map(attribute='name') | list", []any{"bob"}},
		{"users | selectattr('uid', '>', 1) | list | length", 1},
		{"items | select('match', 'a') | list", []any{"a"}},
		{"items | reject('equalto', 'b') | list", []any{"a"}},
		{"m | dict2items | map(attribute='key') | list", []any{"a", "b"}},
		{"m | dict2items(key_name='k', value_name='v') | first", map[string]any{"k": "a", "v": map[string]any{"x": 1}}},
		{"[{'key': 'a', 'value': 1}] | items2dict", map[string]any{"a": 1}},
		{"m | combine({'a': {'y': 2}}, recursive=true)", map[string]any{"a": map[string]any{"x": 1, "y": 2}, "b": 2}},
		{"m | combine({'a': {'y': 2}}, {'b': 3})", map[string]any{"a": map[string]any{"y": 2}, "b": 3}},
		{"'a1b22' | regex_replace('\\d+', '#')", "a#b#"},
		{"'key=val' | regex_replace('^(\\w+)=(\\w+)$', '\\2=\\1')", "val=key"},
		{"'ABC' | regex_replace('b', 'x', ignorecase=true)", "AxC"},
		{"{'a': [1, 2]} | to_json", `{"a":[1,2]}`},
		{"'a: 1\\nb: [x]' | from_yaml", map[string]any{"a": 1, "b": []any{"x"}}},
		{"'aGk=' | b64decode", "hi"},
		{"'' | int", 0},
		{"'42' | int + 1", 43},
		{"'x' | int(5)", 5},
		{"'ff' | int(base=16)", 255},
		{"'2.5' | float", 2.5},
		{"flag | bool", true},
		{"'no' | bool", false},
		{"n | string", "7"},
		{"s | list | length", 5},
		{"items | unique", []any{"b", "a"}},
		{"items | sort", []any{"a", "b", "b"}},
		{"nums | sort(reverse=true)", []any{3, 2, 1}},
		{"users | sort(attribute='name', reverse=true) | map(attribute='uid') | list", []any{2, 1}},
		{"nums | min", 1},
		{"nums | max", 3},
		{"(users | max(attribute='uid')).name", "bob"},
		{"nums | sum", 6},
		{"users | sum(attribute='uid')", 3},
		{"[1, 2] | zip(['a', 'b']) | list", []any{[]any{1, "a"}, []any{2, "b"}}},
		{"[1, 2] | product(['x']) | list", []any{[]any{1, "x"}, []any{2, "x"}}},
		{"s | lower", "hello"},
		{"s | upper", "HELLO"},
		{"r.stdout_lines | first", "l1"},
		{"r.stdout_lines | last", "l2"},
		{"'  pad  ' | trim", "pad"},
		{"s|length", 5},
		{"[[1], [2, [3]]] | flatten", []any{1, 2, 3}},
		{"'a.b' | replace('.', '-')", "a-b"},
		// Operators and literals.
		{"'x' if flag else 'y'", "x"},
		{"'x' if empty else 'y'", "y"},
		{"'x' if nope is defined else 'y'", "y"},
		{"'a' ~ 'b' ~ n", "ab7"},
		{"r.stdout_lines.0", "l1"},
		{"r.stdout_lines.1 ~ '!'", "l2!"},
		{"r['stdout']", "ok"},
		{"r['stdout'] is defined and m[r['stdout']] is not defined", true},
		{"'50%' ~ ' ' ~ ('a' if '%' in '50%' else 'b')", "50% a"},
		{"n // 2", 3},
		{"-n // 2", -4},
		{"n / 2", 3.5},
		{"2 ** 3", 8.0},
		{"n % 4", 3},
		{"not ''", true},
		{"not flag", false},
		{"[1] + [2, 3]", []any{1, 2, 3}},
		{"(1, 2)", []any{1, 2}},
		{"True and not False", true},
		{"None", nil},
		{"empty or 'fallback'", "fallback"},
		{"1 < n < 10", true},
		{"dict(a=1, b='x')", map[string]any{"a": 1, "b": "x"}},
		{"range(3) | list", []any{0, 1, 2}},
		// Python methods.
		{"'a,b'.split(',')", []any{"a", "b"}},
		{"s.startswith('He')", true},
		{"s.upper()", "HELLO"},
		{"m.get('zz', 5)", 5},
		{"', '.join(items)", "b, a, b"},
		{"m.items() | first", []any{"a", map[string]any{"x": 1}}},
		// Lookups.
		{"lookup('env', 'RUNBOOK_JINJA_TEST')", "from-env"},
		{"lookup('env', 'RUNBOOK_JINJA_NOT_SET')", ""},
		{"query('env', 'RUNBOOK_JINJA_TEST')", []any{"from-env"}},
		{"q('list', [1, 2]) | length", 1}, // [[1, 2]], as Ansible
		{"lookup('file', 'motd')", "hello"},
		{"lookup('file', 'missing', errors='ignore')", ""},
		{"lookup('vars', 'n')", 7},
		// Mixed with expr syntax.
		{"(nope ?? 'd') ~ '!'", "d!"},
		{"items | filter(# == 'b') | length", 2},
		{"r.rc == 0 && r is changed", true},
		{"len(items) > 1 ? 'many' : 'few'", "many"},
		{"users | map(.name) | join('+')", "ann+bob"},
	}
	checkEvals(t, vars, tests)
}

// TestJinjaInTemplates: Jinja forms inside {{ }} of a string value, and a
// when: written as one {{ }}.
func TestJinjaInTemplates(t *testing.T) {
	vars := jinjaVars(t)
	got, err := Render("users: {{ users | map(attribute='name') | join(',') }}, first={{ items | first }}, n={{ n if n is number else 0 }}", vars)
	if err != nil || got != "users: ann,bob, first=b, n=7" {
		t.Errorf("Render = %#v, %v", got, err)
	}
	ok, err := Condition([]string{"{{ r is changed }}", "items | length > 2"}, vars)
	if err != nil || !ok {
		t.Errorf("Condition = %v, %v", ok, err)
	}
}

// TestJinjaRefused: the Jinja forms runbook does not support are refused
// when the playbook is validated, with the message the README lists.
func TestJinjaRefused(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"x | lenght", `unknown filter "lenght" (did you mean "length"?)`},
		{"x | ipv4", `filter "ipv4" is not supported: the ansible.utils IP filters are not available`},
		{"x | ipaddr", `filter "ipaddr" is not supported`},
		{"x is frobbed", `unknown test "frobbed"`},
		{"lookup('url', 'http://x')", `lookup "url" is not supported: it fetches over the network`},
		{"lookup(kind, 'x')", "needs the lookup's name as a quoted string first"},
		{"{% if x %}y{% endif %}", "Jinja statements and comments"},
		{"{x ~ 'a': 1}", "a map key must be a quoted string"},
		{"x | combine(y, list_merge='append_all')", "list_merge must be replace, keep, append, prepend, append_rp or prepend_rp"},
		{"x | join(sep=',')", `filter join has no parameter "sep" (it takes d, attribute)`},
		{"x.frobnicate(1)", "method .frobnicate() is not supported"},
		{"cycler(1, 2)", "unknown function cycler()"},
		{"x // ", "invalid expression"},
		{"x | regex_findall('(a)', 'b')", "filter regex_findall takes 1 positional argument(s); give the others by name (ignorecase, multiline)"},
	}
	for _, tc := range tests {
		err := Validate(tc.expr)
		if err == nil {
			t.Errorf("Validate(%q): no error", tc.expr)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !e.Syntax || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v, want a syntax error containing %q", tc.expr, err, tc.want)
		}
	}
	// The column points into the expression as written.
	err := Validate("items | length > 1 and x | nosuchfilter")
	var e *Error
	if !errors.As(err, &e) || e.Column != 28 {
		t.Errorf("column of the unknown filter: %v (column %d), want 28", err, e.Column)
	}
}

// TestJinjaTranslatedOnce: the translation is cached with the compiled
// form; a run-time error of a translated expression names it as written.
func TestJinjaTranslatedOnce(t *testing.T) {
	src := "items | map(attribute='zz') | list"
	c1, err := compile(src)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := compile(src)
	if c1 != c2 || !c1.jinja {
		t.Fatalf("want one cached, translated program")
	}
	_, err = Eval(src, map[string]any{"items": []any{map[string]any{}}})
	if err == nil || !strings.Contains(err.Error(), `"items | map(attribute='zz') | list"`) || !strings.Contains(err.Error(), `no attribute "zz"`) {
		t.Errorf("run-time error = %v", err)
	}
	var e *Error
	if errors.As(err, &e) && e.Column != 0 {
		t.Errorf("column %d of the translation reported against the text as written: %v", e.Column, err)
	}
}
