package test

import "testing"

// A pause waiting for the operator is refused when runbook's input is not a
// terminal (as in these tests), saying what to write instead, rather than
// hanging or going on unasked.
func TestPauseWithoutTerminalIsRefused(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini": localHosts,
		"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: confirm\n      pause: {prompt: \"registry checked?\"}\n    - command: touch ran\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts.ini")
	if r.code != 2 {
		t.Errorf("exit %d, want 2:\n%s", r.code, r)
	}
	mustContain(t, r, "TASK [confirm]", "(site.yaml:4:7) on host h1", "needs a terminal", "give seconds: or minutes:")
}
