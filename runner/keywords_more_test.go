package runner_test

import (
	"testing"
)

// TestVarsListOfMappings: vars: given as a list of mappings on a play, a
// block, a task, a role entry and an import_playbook is merged in order
// (a later mapping wins), as in Ansible.
func TestVarsListOfMappings(t *testing.T) {
	_, rec := run{
		inventory: "h1 ansible_connection=local\n",
		playbook: `
- import_playbook: inner.yaml
  vars:
    - {imp: one}
    - {imp: two}
- hosts: all
  gather_facts: false
  vars:
    - {a: 1, b: 1}
    - {b: 2}
  roles:
    - role: r
      vars: [{rv: x}, {rv: y}]
  tasks:
    - block:
        - name: show
          debug: {msg: "{{ a }}{{ b }}{{ c }}{{ d }}"}
          vars: [{d: 4}]
      vars:
        - {c: 3}
`,
		files: map[string]string{
			"inner.yaml":            "- hosts: all\n  gather_facts: false\n  tasks:\n    - {name: imported, debug: {msg: '{{ imp }}'}}\n",
			"roles/r/tasks/main.yml": "- {name: in role, debug: {msg: '{{ rv }}'}}\n",
		},
	}.do(t)
	for task, want := range map[string]string{"show": "1234", "imported": "two", "r : in role": "y"} {
		if got := msgOf(rec.result(t, task, "h1")); got != want {
			t.Errorf("%s: msg %q, want %q", task, got, want)
		}
	}
}
