package runner_test

import (
	"testing"
)

// TestVarsListOfMappings: vars: given as a list of mappings on a play, a
// block, a task and a role entry is merged in order (a later mapping wins),
// as in Ansible; import_playbook's vars stay a mapping, as Ansible requires.
func TestVarsListOfMappings(t *testing.T) {
	_, rec := run{
		inventory: "h1 ansible_connection=local\n",
		playbook: `
- import_playbook: inner.yaml
  vars: {imp: two}
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
			"inner.yaml":             "- hosts: all\n  gather_facts: false\n  tasks:\n    - {name: imported, debug: {msg: '{{ imp }}'}}\n",
			"roles/r/tasks/main.yml": "- {name: in role, debug: {msg: '{{ rv }}'}}\n",
		},
	}.do(t)
	for task, want := range map[string]string{"show": "1234", "imported": "two", "r : in role": "y"} {
		if got := msgOf(rec.result(t, task, "h1")); got != want {
			t.Errorf("%s: msg %q, want %q", task, got, want)
		}
	}
}

// TestAnyErrorsFatalOnTaskAndBlock: a task's any_errors_fatal: false beats
// the play's true (h1's failure ends only h1), and a block's true ends the
// play for every host when h2 fails inside it; h3 runs nothing after. The
// recap is ansible-playbook 2.14's for the same playbook.
func TestAnyErrorsFatalOnTaskAndBlock(t *testing.T) {
	_, rec, _ := run{
		playbook: `
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: not fatal here
      fail: {msg: boom}
      when: inventory_hostname == 'h1'
      any_errors_fatal: false
    - block:
        - name: fatal in block
          fail: {msg: boom}
          when: inventory_hostname == 'h2'
      any_errors_fatal: true
    - name: after
      debug: {msg: after}
- hosts: all
  gather_facts: false
  tasks:
    - {name: second play, debug: {msg: second}}
`,
	}.try(t)
	for host, want := range map[string][2]int{"h1": {1, 0}, "h2": {1, 1}, "h3": {0, 2}} {
		s := rec.stats(host)
		if s.OK != 0 || s.Failed != want[0] || s.Skipped != want[1] {
			t.Errorf("%s: ok=%d failed=%d skipped=%d, want ok=0 failed=%d skipped=%d", host, s.OK, s.Failed, s.Skipped, want[0], want[1])
		}
	}
	if r := rec.results("after"); len(r) != 0 {
		t.Errorf("the task after the fatal block ran: %v", r)
	}
}
