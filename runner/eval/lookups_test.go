package eval

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lookupTestVars is a playbook directory with files/, templates/ and a role,
// and the variables a task in it sees.
func lookupTestVars(t *testing.T) (map[string]any, string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"files/motd":                     "  hello \n\n",
		"top.txt":                        "top",
		"files/a.conf":                   "",
		"files/b.conf":                   "",
		"files/sub/c.conf":               "",
		"files/.hidden.conf":             "",
		"templates/greet.j2":             "{% for u in users %}hi {{ u }}\n{% endfor %}",
		"templates/plain.tmpl":           "n={{ .n }}",
		"roles/web/files/motd":           "from the role",
		"roles/web/templates/greet.j2":   "role {{ n }}",
		"roles/web/tasks/main.yml":       "",
		"roles/web/tasks/files/only.txt": "tasks dir",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("RUNBOOK_LOOKUP_TEST", "from-env")
	return map[string]any{
		"playbook_dir": dir,
		"n":            7,
		"users":        []any{"ann", "bob"},
		"conf":         map[string]any{"a": 1},
		"groups": map[string]any{
			"all": []any{"m0", "m1", "w0"}, "masters": []any{"m0", "m1"}, "workers": []any{"w0"}, "ungrouped": []any{},
		},
		"db_host": "x", "db_port": 1,
	}, dir
}

// roleVars are the variables of a task of role web: its search path.
func roleVars(vars map[string]any, dir string) map[string]any {
	out := map[string]any{}
	for k, v := range vars {
		out[k] = v
	}
	role := filepath.Join(dir, "roles", "web")
	out["ansible_search_path"] = []any{role, filepath.Join(role, "tasks")}
	return out
}

// TestLookupResults: each lookup gives Ansible's value, lookup() joining a
// list of strings with commas and query() keeping the list (expected values
// as ansible-core 2.14 gives them).
func TestLookupResults(t *testing.T) {
	vars, dir := lookupTestVars(t)
	checkEvals(t, vars, []evalCase{
		// Names and the lookup/query difference.
		{"lookup('ansible.builtin.env', 'RUNBOOK_LOOKUP_TEST')", "from-env"},
		{"lookup('ansible.legacy.env', 'RUNBOOK_LOOKUP_TEST')", "from-env"},
		{"lookup('env', 'RUNBOOK_LOOKUP_TEST', 'RUNBOOK_LOOKUP_UNSET')", "from-env,"},
		{"lookup('env', 'RUNBOOK_LOOKUP_UNSET', default='dflt')", "dflt"},
		{"query('env', 'RUNBOOK_LOOKUP_UNSET')", []any{""}},
		{"lookup('env', 'RUNBOOK_LOOKUP_TEST', wantlist=True)", []any{"from-env"}},
		{"lookup('env')", []any{}}, // an empty result stays a list
		{"query('env', 'RUNBOOK_LOOKUP_TEST', wantlist=False)", []any{"from-env"}},
		{"lookup('list', [1, 2])", []any{1, 2}},
		{"query('list', [1, 2])", []any{[]any{1, 2}}},
		{"lookup('list', 'a', 'b')", "a,b"},
		{"lookup('items', [1, 2], [3])", []any{1, 2, 3}},
		{"query('items', [1, [2, 3]], 4)", []any{1, []any{2, 3}, 4}},
		{"lookup('vars', 'n')", 7},
		{"lookup('vars', 'nope', default=0)", 0},
		// Files.
		{"lookup('file', 'motd')", "  hello"},
		{"lookup('file', 'motd', lstrip=True)", "hello"},
		{"lookup('file', 'motd', rstrip=False)", "  hello \n\n"},
		{"lookup('file', 'top.txt')", "top"},
		{"lookup('file', 'files/motd') == lookup('file', 'motd')", true},
		{"lookup('file', 'missing', errors='ignore')", ""},
		{"query('file', 'missing', errors='ignore')", []any{}},
		{"lookup('first_found', ['nope', 'top.txt', 'motd'])", filepath.Join(dir, "top.txt")},
		{"lookup('first_found', ['/nonexistent', 'motd'])", filepath.Join(dir, "files", "motd")},
		{"lookup('first_found', {'files': ['nope', 'a.conf'], 'paths': ['files']})", filepath.Join(dir, "files", "a.conf")},
		{"lookup('first_found', ['nope'], files=['b.conf'])", filepath.Join(dir, "files", "b.conf")},
		{"query('first_found', ['nope'], skip=True)", []any{}},
		{"lookup('first_found', [{'files': ['nope'], 'skip': true}])", []any{}},
		{"query('fileglob', '*.conf')", []any{filepath.Join(dir, "files", "a.conf"), filepath.Join(dir, "files", "b.conf")}},
		{"lookup('fileglob', 'sub/*.conf')", filepath.Join(dir, "files", "sub", "c.conf")},
		{"query('fileglob', '/nonexistent/*')", []any{}},
		{"query('fileglob', '[!a].conf')", []any{filepath.Join(dir, "files", "b.conf")}},
		{"query('fileglob', '.*.conf')", []any{filepath.Join(dir, "files", ".hidden.conf")}},
		{"lookup('template', 'greet.j2')", "hi ann\nhi bob\n"},
		{"lookup('template', 'greet.j2', template_vars={'users': ['cy']})", "hi cy\n"},
		{"lookup('template', 'plain.tmpl')", "n=7"},
		// Sequences.
		{"lookup('sequence', 'start=1 end=3')", "1,2,3"},
		{"query('sequence', '1-10/2')", []any{"1", "3", "5", "7", "9"}},
		{"query('sequence', 'count=3 format=x%02d')", []any{"x01", "x02", "x03"}},
		{"query('sequence', 'start=10 end=0 stride=-3')", []any{"10", "7", "4", "1"}},
		{"query('sequence', 'start=10 count=3 stride=-1')", []any{"10", "9", "8", "7", "6"}}, // Ansible's end = start + count*stride - 1
		{"query('sequence', 'end=3')", []any{"1", "2", "3"}},
		{"query('sequence', 'start=0x0a end=0x0c format=%x')", []any{"a", "b", "c"}},
		{"query('sequence', '4:host%02d')", []any{"host01", "host02", "host03", "host04"}},
		{"query('sequence', 'start=1 end=2 format=%5.1f')", []any{"  1.0", "  2.0"}},
		{"query('sequence', 'count=0')", []any{}},
		{"query('sequence', 'start=1 end=2', 'start=7 end=8')", []any{"1", "2", "7", "8"}},
		{"query('sequence', start=1, end=3)", []any{}}, // Ansible ignores keyword options here
		// Reshaping.
		{"query('indexed_items', ['a', ['b', 'c']])", []any{[]any{0, "a"}, []any{1, []any{"b", "c"}}}},
		{"query('indexed_items', 'a', ['b', 'c'])", []any{[]any{0, "a"}, []any{1, "b"}, []any{2, "c"}}},
		{"lookup('dict', conf)", map[string]any{"key": "a", "value": 1}},
		{"query('together', [1, 2], ['a'])", []any{[]any{1, "a"}, []any{2, nil}}},
		{"query('together', [[1, 2]], ['a'])", []any{[]any{1, 2, "a"}}},
		{"query('nested', [1, 2], ['a', 'b'])", []any{[]any{1, "a"}, []any{1, "b"}, []any{2, "a"}, []any{2, "b"}}},
		{"query('nested', ['x'], ['a'], [1])", []any{[]any{"x", "a", 1}}},
		{"query('subelements', [{'n': 1, 's': [1, 2]}], 's')", []any{
			[]any{map[string]any{"n": 1}, 1}, []any{map[string]any{"n": 1}, 2}}},
		{"query('subelements', [{'n': 1}, {'n': 2, 'a': {'s': [3]}}], 'a.s', {'skip_missing': True})", []any{
			[]any{map[string]any{"n": 2, "a": map[string]any{}}, 3}}},
		// Names.
		{"query('varnames', '^db_')", []any{"db_host", "db_port"}},
		{"lookup('varnames', '^db_h', '^n$')", "db_host,n"},
		{"query('inventory_hostnames', 'all:!workers')", []any{"m0", "m1"}},
		{"query('inventory_hostnames', 'workers,m1')", []any{"m1", "w0"}},
		{"query('inventory_hostnames', 'm*:&masters')", []any{"m0", "m1"}},
		// Commands.
		{"lookup('pipe', 'echo hi; echo there')", "hi\nthere"},
		{"query('pipe', 'echo a', 'echo b')", []any{"a", "b"}},
		{"lookup('pipe', 'pwd') == playbook_dir", true},
		{"lookup('lines', 'echo a; echo b')", "a,b"},
		{"query('lines', 'printf \"x\\ny\"')", []any{"x", "y"}},
		{"lookup('pipe', 'exit 3', errors='ignore')", ""},
	})
	// A role's task finds the role's files first, then the tasks dir's,
	// then the playbook's.
	checkEvals(t, roleVars(vars, dir), []evalCase{
		{"lookup('file', 'motd')", "from the role"},
		{"lookup('file', 'only.txt')", "tasks dir"},
		{"lookup('file', 'top.txt')", "top"},
		{"lookup('template', 'greet.j2')", "role 7"},
	})
}

// TestLookupErrors: a lookup that fails at run time says which lookup and
// why; unsupported lookups and options are refused when the playbook is
// validated.
func TestLookupErrors(t *testing.T) {
	vars, _ := lookupTestVars(t)
	for expr, want := range map[string]string{
		"lookup('pipe', 'echo oops >&2; exit 3')":              `pipe: command "echo oops >&2; exit 3" returned 3: oops`,
		"query('lines', 'false')":                              `lines: command "false" returned 1`,
		"lookup('file', 'missing')":                            "file: could not locate file in lookup: missing",
		"lookup('first_found', ['nope', 'nope2'])":             "first_found: no file was found when using first_found (tried nope, nope2)",
		"lookup('first_found', files=['a.conf'])":              "no file was found", // Ansible: options alone search nothing
		"lookup('template', 'nope.j2')":                        "template: could not find the template file for the lookup: nope.j2",
		"query('sequence', 'start=5 end=1')":                   "to count backwards make stride negative",
		"query('sequence', 'start=1 end=5 stride=-1')":         "to count forward don't make stride negative",
		"query('sequence', 'end=3 count=2')":                   "give end= or count=, not both",
		"query('sequence', 'start=1')":                         "end= or count= is required",
		"query('sequence', 'end=x')":                           `end: "x" is not a whole number`,
		"query('sequence', 'end=010')":                         `end: "010" is not a whole number`,
		"query('sequence', 'end=3 format=%d-%d')":              "must hold exactly one % verb",
		"query('sequence', 'end=3 step=1')":                    `unknown key "step"`,
		"query('sequence', '10-6/-2')":                         "is not key=value",
		"query('dict', [1])":                                   "dict: expected a mapping, got list",
		"query('subelements', [{'n': 1}], 's')":                `subelements: item 0 has no key "s" (add {skip_missing: true}`,
		"query('subelements', [{'s': 1}], 's')":                "the key s should point to a list, got number",
		"query('subelements', [1, 2, 3, 4])":                   "subelements expects [items, 'subkey']",
		"query('together')":                                    "with_together requires at least one element",
		"query('varnames', '(')":                               `varnames: unable to use "(" as a search parameter`,
		"lookup('vars', 'nope')":                               `vars: no variable "nope"`,
		"lookup('env', 1)":                                     "env: term 1 must be a string, got number",
		"lookup('pipe', 'exit 1', errors='loud')":              "errors must be 'strict', 'warn' or 'ignore'",
		"lookup('password', '/dev/null encrypt=sha512_crypt')": "encrypt= is not supported",
		"lookup('password', '/dev/null size=3')":               `unrecognized parameter "size"`,
		"lookup('password', '/dev/null length=0')":             "length must be a whole number from 1 to 4096",
	} {
		_, err := Eval(expr, vars)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Eval(%q) = %v, want an error containing %q", expr, err, want)
		}
	}
	for expr, want := range map[string]string{
		"lookup('nosuch', 'x')":                     `lookup "nosuch" is not supported (supported: dict, env, file,`,
		"lookup('community.general.foo', 'x')":      `lookup "community.general.foo" is not supported`,
		"lookup('config', 'DEFAULT_ROLES_PATH')":    `lookup "config" is not supported: it reads ansible.cfg settings`,
		"lookup('ansible.builtin.url', 'http://x')": `lookup "ansible.builtin.url" is not supported: it fetches over the network`,
		"lookup('file', 'x', bogus=1)":              `lookup file has no option "bogus" (it takes rstrip, lstrip, errors, wantlist)`,
		"query('pipe', 'x', default=1)":             `lookup pipe has no option "default" (it takes no options, errors, wantlist)`,
	} {
		err := Validate(expr)
		var e *Error
		if err == nil || !errors.As(err, &e) || !e.Syntax || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%q) = %v, want a syntax error containing %q", expr, err, want)
		}
	}
}

// TestLookupPassword: a password is generated once into its file (0600,
// in a directory made 0700) and read back on the next run; /dev/null gives
// a new one each time; length and chars shape it; every generated password
// reaches OnSecret's subscribers.
func TestLookupPassword(t *testing.T) {
	vars, dir := lookupTestVars(t)
	var secrets []string
	stop := OnSecret(func(v ...string) { secrets = append(secrets, v...) })
	defer stop()

	first, err := Eval("lookup('password', 'creds/db length=12 chars=digits')", vars)
	if err != nil {
		t.Fatal(err)
	}
	pw := first.(string)
	if len(pw) != 12 || strings.Trim(pw, "0123456789") != "" {
		t.Errorf("password %q: want 12 digits", pw)
	}
	p := filepath.Join(dir, "creds", "db")
	data, err := os.ReadFile(p)
	if err != nil || string(data) != pw+"\n" {
		t.Errorf("stored %q, %v; want %q", data, err, pw+"\n")
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Dir(p)); st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
	}
	again, err := Eval("lookup('password', 'creds/db', length=30)", vars)
	if err != nil || again != pw {
		t.Errorf("second run = %v, %v; want the stored %q", again, err, pw)
	}
	// A file Ansible wrote with a salt gives the password before it.
	if err := os.WriteFile(p, []byte("s3cret salt=abcdefgh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := Eval("lookup('password', 'creds/db')", vars); err != nil || got != "s3cret" {
		t.Errorf("salted file = %v, %v; want s3cret", got, err)
	}
	a, _ := Eval("lookup('password', '/dev/null', chars=['ascii_lowercase'], length=16)", vars)
	b, _ := Eval("lookup('password', '/dev/null', chars=['ascii_lowercase'], length=16)", vars)
	if a == b || len(a.(string)) != 16 || strings.Trim(a.(string), "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("/dev/null gave %q and %q: want two different 16-letter passwords", a, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev")); err == nil {
		t.Error("/dev/null was taken as a relative path")
	}
	if got, _ := Eval("lookup('password', '/dev/null chars=,, length=3')", vars); got != ",,," {
		t.Errorf("chars=,, gave %q, want ,,,", got)
	}
	for _, want := range []string{pw, "s3cret", a.(string), b.(string)} {
		if !slices.Contains(secrets, want) {
			t.Errorf("OnSecret did not receive %q (got %q)", want, secrets)
		}
	}
}

// TestLookupForLoops: Lookup (what with_<name> runs) gives the lookup's
// items, with_first_found of a template task looking in templates/.
func TestLookupForLoops(t *testing.T) {
	vars, dir := lookupTestVars(t)
	got, err := Lookup("first_found", []any{"nope.j2", "greet.j2"}, vars, "template")
	if err != nil || len(got) != 1 || got[0] != filepath.Join(dir, "templates", "greet.j2") {
		t.Errorf("with_first_found in a template task = %v, %v", got, err)
	}
	if _, err := Lookup("first_found", []any{"greet.j2"}, vars, "copy"); err == nil {
		t.Error("with_first_found in a copy task found a template")
	}
	got, err = Lookup("ansible.builtin.sequence", []any{"count=2"}, vars, "debug")
	if err != nil || len(got) != 2 || got[1] != "2" {
		t.Errorf("sequence = %v, %v", got, err)
	}
	if _, err := Lookup("url", nil, vars, "debug"); err == nil || !strings.Contains(err.Error(), "network") {
		t.Errorf("url: %v, want refused", err)
	}
	if !IsLookup("ansible.builtin.nested") || IsLookup("cartesian") {
		t.Error("IsLookup")
	}
}

// TestLookupOptionErrorColumn: an option a lookup does not have is
// reported at its own column.
func TestLookupOptionErrorColumn(t *testing.T) {
	err := Validate("lookup('file', 'x', rstrip=true, bogus=1)")
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "column 34") {
		t.Errorf("Validate = %v, want the error at column 34 (bogus=)", err)
	}
}
