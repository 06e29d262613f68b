package runner_test

import "testing"

// test/ansible_quiet_test.go checks ansible_failed_task and
// ansible_failed_result against Ansible (issue 16, item 20); a no_log
// task's result stays hidden there.
func TestRescueDoesNotRevealANoLogResult(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - name: secret
          command: /bin/false
          no_log: true
      rescue:
        - name: censored
          debug: {msg: "{{ ansible_failed_task.name }} {{ ansible_failed_result.cmd ?? 'hidden' }}"}
`}.do(t)
	if got := msgOf(rec.result(t, "censored", "h1")); got != "secret hidden" {
		t.Errorf("a no_log task's result in rescue: %q", got)
	}
}
