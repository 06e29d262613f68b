package modules_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/transport"
)

func TestCommandArgsNotInterpreted(t *testing.T) {
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "command", map[string]any{"cmd": `printf '%s|' $HOME "a b" ';' '*' "$(id)" \&\&`})
	if r.Failed || !r.Changed || *r.RC != 0 {
		t.Fatalf("result: %+v", r)
	}
	if want := `$HOME|a b|;|*|$(id)|&&|`; r.Stdout != want {
		t.Fatalf("stdout = %q, want %q", r.Stdout, want)
	}
	wantCmd := []any{"printf", "%s|", "$HOME", "a b", ";", "*", "$(id)", "&&"}
	if !reflect.DeepEqual(r.Data["cmd"], wantCmd) {
		t.Fatalf("cmd = %#v", r.Data["cmd"])
	}

	r = helperMustRun(t, mc, "command", map[string]any{"argv": []any{"printf", "%s", "a b; echo $USER | cat"}})
	if r.Stdout != "a b; echo $USER | cat" {
		t.Fatalf("argv stdout = %q", r.Stdout)
	}
}

func TestCommandResultShape(t *testing.T) {
	r := helperMustRun(t, helperContext(t, nil), "command", map[string]any{"cmd": "echo hi"})
	if r.Stdout != "hi" || r.Stderr != "" || r.Msg != "" {
		t.Fatalf("result: %+v", r)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$`)
	for _, k := range []string{"start", "end"} {
		if s, _ := r.Data[k].(string); !stamp.MatchString(s) {
			t.Errorf("%s = %q", k, r.Data[k])
		}
	}
	if d, _ := r.Data["delta"].(string); !regexp.MustCompile(`^0:00:\d\d(\.\d{6})?$`).MatchString(d) {
		t.Errorf("delta = %q", r.Data["delta"])
	}
	m := r.Map()
	if m["rc"] != 0 || !reflect.DeepEqual(m["stdout_lines"], []any{"hi"}) || m["changed"] != true {
		t.Fatalf("map: %v", m)
	}
}

func TestCommandNonZero(t *testing.T) {
	r := helperMustRun(t, helperContext(t, nil), "command", map[string]any{"cmd": "sh -c 'echo out; echo err >&2; exit 3'"})
	if !r.Failed || *r.RC != 3 || r.Msg != "non-zero return code" || r.Stdout != "out" || r.Stderr != "err" {
		t.Fatalf("result: %+v", r)
	}
	r = helperMustRun(t, helperContext(t, nil), "command", map[string]any{"cmd": "runbook-no-such-program"})
	if !r.Failed || *r.RC != 127 {
		t.Fatalf("missing program: %+v", r)
	}
}

func TestCommandEnvChdirStdin(t *testing.T) {
	dir := t.TempDir()
	real, _ := filepath.EvalSymlinks(dir)
	mc := helperContext(t, nil)
	mc.Env = map[string]string{"RB_VALUE": "from env"}
	script := `printf '%s:' "$RB_VALUE"; pwd; cat`
	r := helperMustRun(t, mc, "command", map[string]any{"argv": []any{"sh", "-c", script}, "chdir": dir, "stdin": "line"})
	if want := "from env:" + real + "\nline"; r.Stdout != want {
		t.Fatalf("stdout = %q, want %q", r.Stdout, want)
	}
	r = helperMustRun(t, mc, "command", map[string]any{"argv": []any{"od", "-c"}, "stdin": "x", "stdin_add_newline": false})
	if strings.Contains(r.Stdout, `\n`) {
		t.Fatalf("newline added: %q", r.Stdout)
	}
	r = helperMustRun(t, mc, "command", map[string]any{"cmd": "printf 'a\\n\\n'", "strip_empty_ends": false})
	if r.Stdout != "a\n\n" {
		t.Fatalf("strip_empty_ends=false: %q", r.Stdout)
	}
	if os.Geteuid() == 0 { // become as the current user runs directly
		mc.Become = &transport.Become{User: "root"}
		r = helperMustRun(t, mc, "command", map[string]any{"cmd": "id -u"})
		if r.Stdout != "0" {
			t.Fatalf("become: %+v", r)
		}
	}
}

// commandCase is one creates/removes scenario; ran says whether the command
// (which creates the file "ran") really ran.
type commandCase struct {
	name             string
	check            bool
	creates, removes string
	changed, skipped bool
	ran              bool
	msg, stdout      string
}

func TestCommandCreatesRemovesAndCheckMode(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"exists.txt", "with space"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	exists, missing := filepath.Join(dir, "exists.txt"), filepath.Join(dir, "missing")
	glob, noGlob := filepath.Join(dir, "*.txt"), filepath.Join(dir, "*.nope")
	cases := []commandCase{
		{name: "plain", changed: true, ran: true},
		{name: "creates exists", creates: exists, msg: "Did not run command since '" + exists + "' exists", stdout: "skipped, since " + exists + " exists"},
		{name: "creates glob", creates: glob, msg: "Did not run command since '" + glob + "' exists"},
		{name: "creates with space", creates: filepath.Join(dir, "with space")},
		{name: "creates dangling link", creates: filepath.Join(dir, "dangling")},
		{name: "creates missing", creates: missing, changed: true, ran: true},
		{name: "creates glob no match", creates: noGlob, changed: true, ran: true},
		{name: "removes missing", removes: missing, msg: "Did not run command since '" + missing + "' does not exist", stdout: "skipped, since " + missing + " does not exist"},
		{name: "removes glob no match", removes: noGlob},
		{name: "removes exists", removes: glob, changed: true, ran: true},
		{name: "check plain", check: true, skipped: true, msg: "Command would have run if not in check mode"},
		{name: "check creates exists", check: true, creates: exists, msg: "Would not run command since '" + exists + "' exists"},
		{name: "check creates missing", check: true, creates: missing, changed: true, msg: "Command would have run if not in check mode"},
		{name: "check removes missing", check: true, removes: missing, msg: "Would not run command since '" + missing + "' does not exist"},
		{name: "check removes exists", check: true, removes: exists, changed: true, msg: "Command would have run if not in check mode"},
	}
	for _, module := range []string{"command", "shell"} {
		for _, c := range cases {
			t.Run(module+"/"+c.name, func(t *testing.T) {
				marker := filepath.Join(t.TempDir(), "ran")
				mc := helperContext(t, nil)
				mc.Check = c.check
				raw := map[string]any{"cmd": "touch '" + marker + "'"}
				if c.creates != "" {
					raw["creates"] = c.creates
				}
				if c.removes != "" {
					raw["removes"] = c.removes
				}
				r := helperMustRun(t, mc, module, raw)
				_, err := os.Stat(marker)
				if ran := err == nil; ran != c.ran {
					t.Errorf("ran = %v, want %v", ran, c.ran)
				}
				if r.Changed != c.changed || r.Skipped != c.skipped || r.Failed {
					t.Errorf("changed=%v skipped=%v failed=%v, want changed=%v skipped=%v", r.Changed, r.Skipped, r.Failed, c.changed, c.skipped)
				}
				if r.RC == nil || *r.RC != 0 {
					t.Errorf("rc = %v", r.RC)
				}
				if c.msg != "" && r.Msg != c.msg {
					t.Errorf("msg = %q, want %q", r.Msg, c.msg)
				}
				if c.stdout != "" && r.Stdout != c.stdout {
					t.Errorf("stdout = %q, want %q", r.Stdout, c.stdout)
				}
				if c.skipped && r.Map()["skipped"] != true {
					t.Errorf("registered result not skipped: %v", r.Map())
				}
			})
		}
	}
}

func TestCommandCreatesRelativeToChdirAndHome(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "command", map[string]any{"cmd": "false", "chdir": dir, "creates": "done"})
	if r.Failed || r.Changed || !strings.HasPrefix(r.Msg, "Did not run") {
		t.Fatalf("relative creates: %+v", r)
	}
	mc.Env = map[string]string{"HOME": dir}
	r = helperMustRun(t, mc, "command", map[string]any{"cmd": "false", "creates": "~/done"})
	if r.Failed || r.Changed {
		t.Fatalf("~ creates: %+v", r)
	}
	r = helperMustRun(t, mc, "command", map[string]any{"cmd": "true", "chdir": filepath.Join(dir, "nope"), "creates": "x"})
	if !r.Failed || !strings.Contains(r.Msg, "Unable to change directory") {
		t.Fatalf("bad chdir: %+v", r)
	}
}

// TestMissingChdirFailsUnchanged: command, shell and script with a chdir
// that does not exist fail unchanged, saying so, and run nothing.
func TestMissingChdirFailsUnchanged(t *testing.T) {
	dir := t.TempDir()
	writeString(t, filepath.Join(dir, "s.sh"), "touch ran-script\n", 0o755)
	missing := filepath.Join(dir, "missing")
	eachConn(t, func(t *testing.T, c testConn) {
		mc := connContext(t, c, nil)
		mc.PlaybookDir = dir
		for _, tc := range []struct {
			module string
			raw    map[string]any
		}{
			{"command", map[string]any{"cmd": "touch " + filepath.Join(dir, "ran"), "chdir": missing}},
			{"shell", map[string]any{"cmd": "touch " + filepath.Join(dir, "ran"), "chdir": missing}},
			{"script", map[string]any{"cmd": "s.sh", "chdir": missing}},
		} {
			r := helperMustRun(t, mc, tc.module, tc.raw)
			if !r.Failed || r.Changed || !strings.Contains(r.Msg, "No such file or directory: "+missing) {
				t.Errorf("%s: failed=%v changed=%v msg %q, want an unchanged failure naming the directory", tc.module, r.Failed, r.Changed, r.Msg)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
			t.Error("the command ran")
		}
	})
}

func TestCommandArgValidation(t *testing.T) {
	mc := helperContext(t, nil)
	for _, raw := range []map[string]any{
		{"cmd": "echo", "argv": []any{"echo"}},
		{},
		{"cmd": "  "},
		{"cmd": "echo", "bogus": 1},
	} {
		if _, err := helperRun(t, mc, "command", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
	if _, err := helperRun(t, mc, "command", map[string]any{"cmd": "echo 'unterminated"}); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestCommandTransportErrorIsReturned(t *testing.T) {
	mc := helperContext(t, nil)
	mc.Conn = helperConn{run: func(*transport.Cmd) (*transport.Result, error) {
		return nil, &transport.UnreachableError{Host: "h", Err: errors.New("connection refused")}
	}}
	for _, raw := range []map[string]any{{"cmd": "true"}, {"cmd": "true", "creates": "/x"}} {
		_, err := helperRun(t, mc, "command", raw)
		if !transport.IsUnreachable(err) {
			t.Fatalf("%v: err = %v, want unreachable", raw, err)
		}
	}
}

func TestCommandFreeFormEndToEnd(t *testing.T) {
	m, _ := modules.Lookup("command")
	marker := filepath.Join(t.TempDir(), "m")
	raw, err := module.SplitFreeForm(m.Spec(), `printf '%s\n' "a b" c creates=`+marker)
	if err != nil {
		t.Fatal(err)
	}
	r := helperMustRun(t, helperContext(t, nil), "command", raw)
	if r.Stdout != "a b\nc" || !r.Changed {
		t.Fatalf("result: %+v", r)
	}
}
