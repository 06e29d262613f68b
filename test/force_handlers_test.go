package test

import (
	"os"
	"path/filepath"
	"testing"
)

// A handler notified before a host fails runs on it only with
// --force-handlers (or the play's force_handlers), as in Ansible.
func TestForceHandlersFlag(t *testing.T) {
	playbook := `- hosts: web
  gather_facts: false
  tasks:
    - {name: change, command: "touch {{ inventory_hostname }}.changed", notify: mark}
    - {name: break h1, command: "false", when: inventory_hostname == 'h1'}
  handlers:
    - {name: mark, command: "touch {{ inventory_hostname }}.handled"}
`
	for _, force := range []bool{false, true} {
		dir := workdir(t, map[string]string{"site.yaml": playbook, "hosts": localHosts})
		args := []string{"play", "site.yaml", "-i", "hosts"}
		if force {
			args = append(args, "--force-handlers")
		}
		r := runbook(t, dir, args...)
		if r.code != 2 {
			t.Fatalf("force=%v: exit %d, want 2 (h1 failed)\n%s", force, r.code, r)
		}
		_, err := os.Stat(filepath.Join(dir, "h1.handled"))
		if ran := err == nil; ran != force {
			t.Errorf("force=%v: handler ran on the failed host: %v\n%s", force, ran, r)
		}
		if _, err := os.Stat(filepath.Join(dir, "h2.handled")); err != nil {
			t.Errorf("force=%v: handler did not run on the healthy host\n%s", force, r)
		}
	}
}
