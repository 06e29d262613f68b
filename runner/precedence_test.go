package runner_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
)

// TestIncludeVarsPrecedence: include_vars ranks above task vars and below
// set_fact, whichever of the two ran last (Ansible's precedence 18 and 19).
func TestIncludeVarsPrecedence(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars: {a: play, b: play, c: play}
  tasks:
    - set_fact: {b: set_fact}
    - include_vars: iv.yaml
    - name: show
      debug: {msg: "{{ a }} {{ b }} {{ c }}"}
      vars: {c: task}
    - set_fact: {a: set_fact}
    - name: after
      debug: {msg: "{{ a }} {{ hostvars[inventory_hostname].b }}"}
`
	_, rec := run{inventory: "[web]\nh1 ansible_connection=local\n", playbook: pb, files: map[string]string{"iv.yaml": "a: included\nb: included\nc: included\n"}}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "included set_fact included" {
		t.Errorf("show: got %q", got)
	}
	if got := msgOf(rec.result(t, "after", "h1")); got != "set_fact set_fact" {
		t.Errorf("after: got %q", got)
	}
}

// TestVariablePrecedence defines v at every level up to one and checks that
// that level wins: group < host < facts < play vars < vars_files < block
// vars < task vars < set_fact/register < extra vars.
func TestVariablePrecedence(t *testing.T) {
	levels := []string{"group", "host", "play", "vars_files", "block", "task", "set_fact", "extra"}
	for top := range levels {
		has := func(l string) bool {
			for _, x := range levels[:top+1] {
				if x == l {
					return true
				}
			}
			return false
		}
		inv := "[web]\nh1 ansible_connection=local"
		if has("host") {
			inv += " v=host"
		}
		inv += "\n"
		if has("group") {
			inv += "[web:vars]\nv=group\n"
		}
		var pb strings.Builder
		pb.WriteString("- hosts: web\n  gather_facts: false\n")
		if has("play") {
			pb.WriteString("  vars: {v: play}\n")
		}
		if has("vars_files") {
			pb.WriteString("  vars_files: [vf.yaml]\n")
		}
		pb.WriteString("  tasks:\n")
		if has("set_fact") {
			pb.WriteString("    - set_fact: {v: set_fact}\n      vars: {v: ignored}\n")
		}
		pb.WriteString("    - block:\n        - name: show\n          debug: {msg: \"{{ v }}\"}\n")
		if has("task") {
			pb.WriteString("          vars: {v: task}\n")
		}
		if has("block") {
			pb.WriteString("      vars: {v: block}\n")
		}
		opts := runner.Options{}
		if has("extra") {
			opts.ExtraVars = map[string]any{"v": "extra"}
		}
		_, rec := run{inventory: inv, playbook: pb.String(), files: map[string]string{"vf.yaml": "v: vars_files\n"}, opts: opts}.do(t)
		if got := msgOf(rec.result(t, "show", "h1")); got != levels[top] {
			t.Errorf("with v up to %q: got %q", levels[top], got)
		}
	}
}

func TestFactsOverInventoryButUnderPlayVars(t *testing.T) {
	inv := "[web]\nh1 ansible_connection=local ansible_system=inventory\n"
	_, rec := run{inventory: inv, playbook: "- hosts: web\n  tasks:\n    - {name: show, debug: {msg: '{{ ansible_system }}'}}\n"}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "Linux" {
		t.Errorf("facts should override inventory vars: %q", got)
	}
	_, rec = run{inventory: inv, playbook: "- hosts: web\n  vars: {ansible_system: play}\n  tasks:\n    - {name: show, debug: {msg: '{{ ansible_system }}'}}\n"}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "play" {
		t.Errorf("play vars should override facts: %q", got)
	}
}

func TestRegisteredOverPlayVarsAndLazyTemplates(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  vars:
    base: /srv
    path: "{{ base }}/app"
    r: from-play
  tasks:
    - {name: reg, command: echo registered, register: r}
    - {name: show, debug: {msg: "{{ r.stdout }} {{ path }} {{ magic }}"}, vars: {magic: "{{ inventory_hostname }}"}}
`}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "registered /srv/app h1" {
		t.Errorf("got %q", got)
	}
}
