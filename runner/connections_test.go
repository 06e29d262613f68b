package runner_test

import "testing"

// TestListedLocalhostIsLocal: a host named localhost in the inventory uses
// the local connection unless it sets ansible_connection or points
// ansible_host elsewhere.
func TestListedLocalhostIsLocal(t *testing.T) {
	_, rec := run{inventory: "localhost\n", playbook: "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - {name: t, command: echo local}\n"}.do(t)
	if e := rec.result(t, "t", "localhost"); e.Status != "changed" || e.Result["stdout"] != "local" {
		t.Errorf("localhost from the inventory: %s %v\n%s", e.Status, e.Result, rec.buf)
	}
	_, rec = run{inventory: "localhost ansible_host=192.0.2.1\n", playbook: "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - {name: t, command: echo local}\n"}.do(t)
	if e := rec.result(t, "t", "localhost"); e.Status != "unreachable" {
		t.Errorf("localhost with another ansible_host is not local: %s %v", e.Status, e.Result)
	}
}
