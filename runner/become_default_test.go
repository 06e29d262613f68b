package runner_test

import (
	"os/exec"
	"os/user"
	"testing"

	"github.com/runbook-dev/runbook/runner"
)

// TestBecomeDefaultsFromConfig: Options.Become and BecomeUser (ansible.cfg's
// [privilege_escalation]) apply to tasks that say nothing, below the play's
// become: and the ansible_become_user variable.
func TestBecomeDefaultsFromConfig(t *testing.T) {
	me, err := user.Current()
	if err != nil || me.Uid != "0" {
		t.Skip("needs root to become another user without a password")
	}
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("needs sudo")
	}
	yes := true
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - {command: id -un, register: a}
    - {command: id -un, register: b, vars: {ansible_become_user: daemon}}
    - {command: id -un, register: c, become: false}
    - name: show
      debug: {msg: "{{ a.stdout }} {{ b.stdout }} {{ c.stdout }}"}
`
	_, rec := run{inventory: "[web]\nh1 ansible_connection=local\n", playbook: pb, opts: runner.Options{Become: &yes, BecomeUser: "nobody"}}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "nobody daemon root" {
		t.Errorf("got %q, want %q", got, "nobody daemon root")
	}
}
