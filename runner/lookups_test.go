package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
)

// TestLookupPasswordIsMasked: a password the password lookup generates is
// a secret: the run's output masks it wherever it appears, whatever the
// variable holding it is called; the hosts of a play share the one stored.
func TestLookupPasswordIsMasked(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - {name: stored, debug: {msg: "pw={{ lookup('password', 'creds/app length=16') }}"}}
    - {name: fresh, set_fact: {plain_name: "{{ lookup('password', '/dev/null') }}"}}
    - {name: show, debug: {var: plain_name}}
`}.do(t)
	out := rec.buf.String()
	stored := msgOf(rec.result(t, "stored", "h1"))
	for _, h := range []string{"h2", "h3"} {
		if got := msgOf(rec.result(t, "stored", h)); got != stored {
			t.Errorf("%s got %q, h1 %q: want one password", h, got, stored)
		}
	}
	fresh := rec.result(t, "fresh", "h1").Result["ansible_facts"].(map[string]any)["plain_name"].(string)
	for _, pw := range []string{strings.TrimPrefix(stored, "pw="), fresh} {
		if len(pw) < 16 || strings.Contains(out, pw) {
			t.Errorf("password %q is shown (or empty):\n%s", pw, out)
		}
	}
}

// TestLookupsRunInCheckMode: lookups run in check mode, pipe's command
// too, as Ansible runs them while templating the task.
func TestLookupsRunInCheckMode(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: pipe, debug: {msg: "{{ lookup('pipe', 'touch ` + marker + ` && echo ran') }}"}}
`, opts: runner.Options{Check: true}}.do(t)
	if got := msgOf(rec.result(t, "pipe", "h1")); got != "ran" {
		t.Errorf("msg = %q, want ran", got)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the command did not run in check mode: %v", err)
	}
}

// TestWithLookupLoops: with_<lookup> loops over the lookup of that name
// (with_inventory_hostnames, with_nested, with_lines), and a failing one
// fails the task naming the keyword.
func TestWithLookupLoops(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: hosts, debug: {msg: x}, with_inventory_hostnames: "web:!h2", register: r_h}
    - {name: nested, debug: {msg: x}, with_nested: [[1, 2], [a]], register: r_n}
    - {name: lines, debug: {msg: x}, with_lines: "printf 'a\\nb\\n'", register: r_l}
    - {name: bad, debug: {msg: x}, with_lines: "exit 4", ignore_errors: true}
    - name: show
      debug:
        msg: >-
          {{ r_h.results | map(attribute='item') | join(',') }}
          {{ r_n.results | map(attribute='item') | map('join', '') | join(',') }}
          {{ r_l.results | map(attribute='item') | join(',') }}
`}.do(t)
	if got, want := msgOf(rec.result(t, "show", "h1")), "h1,h3 1a,2a a,b"; got != want {
		t.Errorf("items = %q, want %q", got, want)
	}
	if got := msgOf(rec.result(t, "bad", "h1")); !strings.Contains(got, `with_lines: command "exit 4" returned 4`) {
		t.Errorf("failure = %q", got)
	}
}
