package runner_test

import (
	"testing"
)

// TestRecapListsOnlyPlayHosts: a host reached only as a delegate, or only
// through hostvars, is not in the recap (as in Ansible, whose recap lists
// the hosts that were processed); play hosts are, even with no task run.
func TestRecapListsOnlyPlayHosts(t *testing.T) {
	out, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: delegated, command: "true", delegate_to: localhost}
    - {name: peek, debug: {msg: "{{ hostvars['h2'].inventory_hostname }}"}}
- hosts: h3
  gather_facts: false
  tasks:
    - {name: tagged away, debug: {msg: x}, tags: never}
`}.do(t)
	var hosts []string
	for _, s := range out.Stats {
		hosts = append(hosts, s.Host)
	}
	if len(hosts) != 2 || hosts[0] != "h1" || hosts[1] != "h3" {
		t.Errorf("recap hosts = %v, want [h1 h3]\n%s", hosts, rec.buf)
	}
	if s := rec.stats("h1"); s.OK != 2 || s.Changed != 1 {
		t.Errorf("the delegated result counts for h1: %+v", s)
	}
}
