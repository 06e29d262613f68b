package runner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/transport"
)

// loginRecorder connects locally and records, per connect, the login user
// the engine asked for (ansible_user in the connection's variables).
type loginRecorder struct {
	mu     sync.Mutex
	logins []string // "host user"
}

func (c *loginRecorder) Connect(_ context.Context, host string, vars map[string]any) (transport.Transport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	user := "(default)"
	if u, ok := vars["ansible_user"]; ok {
		user = fmt.Sprint(u)
	}
	c.logins = append(c.logins, host+" "+user)
	return transport.NewLocal(), nil
}

// TestRemoteUserPrecedence: remote_user on play, block and task sets the
// login user; the innermost wins, and an ansible_user variable beats every
// one of them (Ansible: connection variables override keywords). Each new
// login user is a new connection; the same one is reused.
func TestRemoteUserPrecedence(t *testing.T) {
	logins := recordLogins(t, "plain\ninv ansible_user=lola\n", `
- hosts: all
  gather_facts: false
  remote_user: "{{ play_login }}"
  vars: {play_login: admin}
  tasks:
    - command: "true"
    - block:
        - command: "true"
        - command: "true"
          remote_user: deploy
      remote_user: ops
    - command: "true"
`)
	want := []string{"inv lola", "plain admin", "plain ops", "plain deploy"}
	got := map[string]bool{}
	for _, l := range logins {
		if got[l] {
			t.Errorf("connected twice as %q: connections are not reused", l)
		}
		got[l] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no login %q; logins: %v", w, logins)
		}
	}
	if len(logins) != len(want) {
		t.Errorf("logins %v, want exactly %v", logins, want)
	}
}

// TestMetaResetConnection: meta: reset_connection closes the host's
// connection, so the next task connects again; where its when: is false
// the connection is kept.
func TestMetaResetConnection(t *testing.T) {
	logins := recordLogins(t, "h1\nh2\n", `
- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
    - meta: reset_connection
      when: inventory_hostname == 'h1'
    - command: "true"
`)
	count := map[string]int{}
	for _, l := range logins {
		count[l]++
	}
	if count["h1 (default)"] != 2 || count["h2 (default)"] != 1 {
		t.Errorf("connects %v, want h1 twice (reset) and h2 once", count)
	}
}

// recordLogins runs the playbook on the inventory's hosts and returns the
// connects the engine made, "host user" each.
func recordLogins(t *testing.T, inventory, playbook string) []string {
	t.Helper()
	rec := &loginRecorder{}
	run{inventory: inventory, playbook: playbook, opts: runner.Options{Connector: rec}}.do(t)
	return rec.logins
}
