package runner_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
)

// ansible_check_mode reflects --check only: ansible-core 2.14 keeps it false
// under a task's or a play's check_mode: true (checked against it), and
// playbooks rely on that to tell a dry run from a forced check task.
func TestCheckModeVarFollowsTheRunNotTheTask(t *testing.T) {
	pb := `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: task-level, debug: {msg: "{{ ansible_check_mode }}"}, check_mode: true}
    - {name: plain, debug: {msg: "{{ ansible_check_mode }}"}}
- hosts: h1
  gather_facts: false
  check_mode: true
  tasks:
    - {name: play-level, debug: {msg: "{{ ansible_check_mode }}"}}
`
	for _, check := range []bool{false, true} {
		_, rec := run{playbook: pb, opts: runner.Options{Check: check}}.do(t)
		for _, task := range []string{"task-level", "plain", "play-level"} {
			if got := msgOf(rec.result(t, task, "h1")); got != strconv.FormatBool(check) {
				t.Errorf("--check=%v: %s sees ansible_check_mode=%s", check, task, got)
			}
		}
	}
}

func TestCheckModeFollowsCommandRules(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists")
	if err := os.WriteFile(exists, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: plain, command: "touch ` + dir + `/made"}
    - {name: creates missing, command: "touch ` + dir + `/made", args: {creates: ` + dir + `/made}}
    - {name: creates present, command: "touch ` + dir + `/x", args: {creates: ` + exists + `}}
    - {name: forced, command: "touch ` + dir + `/forced", check_mode: false}
    - {name: flag, debug: {msg: "{{ ansible_check_mode }}"}}
`, opts: runner.Options{Check: true}}.do(t)
	want := map[string]string{"plain": "skipped", "creates missing": "changed", "creates present": "ok", "forced": "changed"}
	for task, status := range want {
		if e := rec.result(t, task, "h1"); e.Status != status {
			t.Errorf("%s: %s, want %s", task, e.Status, status)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); !os.IsNotExist(err) {
		t.Error("check mode ran a command it should only have predicted")
	}
	if _, err := os.Stat(filepath.Join(dir, "forced")); err != nil {
		t.Error("check_mode: false must run for real")
	}
	if msgOf(rec.result(t, "flag", "h1")) != "true" || out.ExitCode() != 0 {
		t.Errorf("ansible_check_mode not true or exit %d", out.ExitCode())
	}
	if !strings.Contains(rec.buf.String(), "TASK [plain] [CHECK MODE]") {
		t.Errorf("no [CHECK MODE] marker:\n%s", rec.buf)
	}
}
