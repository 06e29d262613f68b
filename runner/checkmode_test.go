package runner_test

import (
	"strconv"
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
