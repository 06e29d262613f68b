package modules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/modules"
)

// scriptPlaybook makes a playbook directory with a script next to it and
// one in files/.
func scriptPlaybook(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Prints its arguments, where it is, its mode and where it runs.
	show := "#!/bin/sh\nprintf '%s|' \"$@\"; echo; stat -c %a \"$0\"; pwd; echo \"$0\" > \"$RB_WHERE\"\n"
	if err := os.WriteFile(filepath.Join(dir, "show.sh"), []byte(show), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "fail.sh"), []byte("echo out; echo err >&2; exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestScriptRunsWithArgs(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := scriptPlaybook(t)
		where := filepath.Join(t.TempDir(), "where")
		mc := connContext(t, c, nil)
		mc.PlaybookDir = dir
		mc.Env = map[string]string{"RB_WHERE": where}
		m, _ := modules.Lookup("script")
		raw, err := module.SplitFreeForm(m.Spec(), `show.sh --flag "a b" '$HOME' chdir=/`)
		if err != nil {
			t.Fatal(err)
		}
		r := helperMustRun(t, mc, "script", raw)
		lines := strings.Split(r.Stdout, "\n")
		if r.Failed || !r.Changed || *r.RC != 0 || len(lines) < 3 || lines[0] != "--flag|a b|$HOME|" || lines[1] != "700" || lines[2] != "/" {
			t.Fatalf("result: %+v", r)
		}
		if !strings.HasSuffix(r.Stdout, "\n") {
			t.Errorf("stdout lost its trailing newline: %q", r.Stdout)
		}
		// The uploaded copy and its directory are gone.
		remote := strings.TrimSpace(textFileState(t, where))
		if _, err := os.Stat(filepath.Dir(remote)); !strings.Contains(remote, "runbook-script-") || !os.IsNotExist(err) {
			t.Fatalf("temporary %q left behind: %v", remote, err)
		}
		r = helperMustRun(t, mc, "script", map[string]any{"cmd": "fail.sh", "executable": "/bin/sh"})
		if !r.Failed || *r.RC != 3 || r.Stdout != "out\n" || r.Stderr != "err\n" || r.Msg != "non-zero return code" {
			t.Fatalf("failing script from files/: %+v", r)
		}
	})
}

func TestScriptCreatesRemovesAndCheckMode(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := scriptPlaybook(t)
		tmp := t.TempDir()
		where, exists := filepath.Join(tmp, "where"), filepath.Join(tmp, "exists")
		writeText(t, exists, "")
		missing := filepath.Join(tmp, "missing")
		for _, tc := range []struct {
			name             string
			check            bool
			raw              map[string]any
			ran, changed     bool
			skipped          bool
			msgPrefix        string
			creates, removes string
		}{
			{name: "creates exists", raw: map[string]any{"creates": exists}, msgPrefix: "Did not run command since"},
			{name: "creates missing", raw: map[string]any{"creates": missing}, ran: true, changed: true},
			{name: "removes missing", raw: map[string]any{"removes": missing}, msgPrefix: "Did not run command since"},
			{name: "check plain", check: true, raw: map[string]any{}, skipped: true, msgPrefix: "Command would have run"},
			{name: "check creates missing", check: true, raw: map[string]any{"creates": missing}, changed: true},
			{name: "check creates exists", check: true, raw: map[string]any{"creates": exists}, msgPrefix: "Would not run command since"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				os.Remove(where)
				mc := connContext(t, c, nil)
				mc.PlaybookDir, mc.Check = dir, tc.check
				mc.Env = map[string]string{"RB_WHERE": where}
				raw := map[string]any{"cmd": "show.sh"}
				for k, v := range tc.raw {
					raw[k] = v
				}
				r := helperMustRun(t, mc, "script", raw)
				_, err := os.Stat(where)
				if ran := err == nil; ran != tc.ran || r.Changed != tc.changed || r.Skipped != tc.skipped || r.Failed {
					t.Fatalf("ran=%v: %+v", ran, r)
				}
				if !strings.HasPrefix(r.Msg, tc.msgPrefix) {
					t.Fatalf("msg = %q", r.Msg)
				}
			})
		}
	})
}

func TestScriptErrors(t *testing.T) {
	mc := helperContext(t, nil)
	mc.PlaybookDir = t.TempDir()
	_, err := helperRun(t, mc, "script", map[string]any{"cmd": "nowhere.sh arg"})
	if err == nil || !strings.Contains(err.Error(), "could not find nowhere.sh") || !strings.Contains(err.Error(), filepath.Join(mc.PlaybookDir, "files", "nowhere.sh")) {
		t.Fatalf("missing script: %v", err)
	}
	for _, raw := range []map[string]any{{}, {"cmd": "  "}, {"cmd": "'unterminated"}} {
		if _, err := helperRun(t, mc, "script", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
