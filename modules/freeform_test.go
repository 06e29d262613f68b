package modules_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/modules"
)

func TestSplitFreeForm(t *testing.T) {
	m, _ := modules.Lookup("command")
	spec := m.Spec()
	cases := []struct {
		in   string
		want map[string]any
	}{
		{"touch /x creates=/x", map[string]any{"cmd": "touch /x", "creates": "/x"}},
		{`echo "a b" 'c d' creates="/p q" chdir=/tmp`, map[string]any{"cmd": `echo "a b" 'c d'`, "creates": "/p q", "chdir": "/tmp"}},
		{"creates=/x  touch   /x", map[string]any{"cmd": "touch   /x", "creates": "/x"}},
		{"echo foo=bar cmd=x 'removes=/y' a.b=c", map[string]any{"cmd": "echo foo=bar cmd=x 'removes=/y' a.b=c"}},
		{"echo a\necho b creates=/x\necho c\n", map[string]any{"cmd": "echo a\necho b\necho c", "creates": "/x"}},
		{`echo {{ .a | printf "%s b" }} creates={{ .dir }}/x`, map[string]any{"cmd": `echo {{ .a | printf "%s b" }}`, "creates": "{{ .dir }}/x"}},
		{`echo x creates="{{ .d }}/a b" removes={{ "}}" }}`, map[string]any{"cmd": "echo x", "creates": "{{ .d }}/a b", "removes": `{{ "}}" }}`}},
		{`echo a\ b removes=/a\ b stdin_add_newline=no`, map[string]any{"cmd": `echo a\ b`, "removes": "/a b", "stdin_add_newline": "no"}},
		{"chdir=/tmp", map[string]any{"chdir": "/tmp"}},
		{"", map[string]any{}},
	}
	for _, c := range cases {
		got, err := module.SplitFreeForm(spec, c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %#v\nwant %#v", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`echo 'x`, `echo "x`, "echo {{ .x", "a creates=/x creates=/y"} {
		if got, err := module.SplitFreeForm(spec, bad); err == nil {
			t.Errorf("%q accepted: %v", bad, got)
		}
	}
}

func TestSplitFreeFormKeyValueOnly(t *testing.T) {
	spec := &modules.Spec{Name: "kv", Params: []modules.Param{
		{Name: "src", Type: modules.TypePath, Doc: "d"},
		{Name: "dest", Type: modules.TypePath, Doc: "d"},
	}}
	got, err := module.SplitFreeForm(spec, `src=a dest="b c" destt=x`)
	want := map[string]any{"src": "a", "dest": "b c", "destt": "x"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, %v", got, err)
	}
	if _, err := spec.Bind(got, true); err == nil || !strings.Contains(err.Error(), `did you mean "dest"`) {
		t.Fatalf("unknown key not reported by Bind: %v", err)
	}
	for _, bad := range []string{"src=a stray", "just text"} {
		if _, err := module.SplitFreeForm(spec, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := module.SplitFreeForm(nil, "a"); err == nil {
		t.Error("nil spec accepted")
	}

	m, _ := modules.Lookup("set_fact")
	raw, err := module.SplitFreeForm(m.Spec(), `app_dir=/opt/app label='a b' enabled=yes`)
	if err != nil {
		t.Fatal(err)
	}
	r := helperMustRun(t, helperContext(t, nil), "set_fact", raw)
	if want := map[string]any{"app_dir": "/opt/app", "label": "a b", "enabled": true}; !reflect.DeepEqual(r.Facts, want) {
		t.Fatalf("set_fact facts = %#v", r.Facts)
	}
}

func TestSplitFreeFormAliases(t *testing.T) {
	spec := &modules.Spec{Name: "t", FreeForm: "raw", Params: []modules.Param{
		{Name: "raw", Type: modules.TypeString},
		{Name: "dest", Type: modules.TypePath, Aliases: []string{"path"}},
	}}
	got, err := module.SplitFreeForm(spec, "do it path=/a raw=b")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"raw": "do it raw=b", "path": "/a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	args, err := spec.Bind(got, true)
	if err != nil || args.String("dest") != "/a" {
		t.Fatalf("bind: %v %v", args, err)
	}
}

func TestCommandSplitting(t *testing.T) {
	mc := helperContext(t, nil)
	cases := map[string][]any{
		`printf "%s|" a\ b 'c "d"' "e 'f'" "g\"h" "i\\j" "k\l" ''`: {"printf", "%s|", "a b", `c "d"`, "e 'f'", `g"h`, `i\j`, `k\l`, ""},
		"printf %s \\\n  x": {"printf", "%s", "x"},
		`printf %s {{x}}`:   {"printf", "%s", "{{x}}"},
	}
	for in, want := range cases {
		r := helperMustRun(t, mc, "command", map[string]any{"cmd": in})
		if !reflect.DeepEqual(r.Data["cmd"], want) {
			t.Errorf("%q: cmd = %#v, want %#v", in, r.Data["cmd"], want)
		}
	}
}
