package test

import (
	"strings"
	"testing"
)

// A --limit that does not parse is a usage error before anything runs; a
// pattern that matches no host is named in a warning.
func TestLimitErrorsAndEmptyMatches(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts":     localHosts,
		"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: {msg: hi}\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-l", "web:&")
	if r.code != 5 || !strings.Contains(r.stderr, `--limit "web:&"`) {
		t.Errorf("bad --limit: %s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-l", "nosuch")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, `the host pattern "web" with --limit "nosuch" matches no host`) {
		t.Errorf("empty match: %s", r)
	}
}
