package test

import (
	"strings"
	"testing"
)

func TestModulesAndDoc(t *testing.T) {
	dir := t.TempDir()
	r := runbook(t, dir, "modules")
	for _, m := range []string{"command", "shell", "debug", "set_fact", "assert", "fail", "setup"} {
		if !strings.Contains(r.stdout, m+" ") {
			t.Errorf("modules list lacks %s:\n%s", m, r.stdout)
		}
	}
	r = runbook(t, dir, "doc", "command")
	mustContain(t, r, "PARAMETERS", "creates (path)", "CHECK MODE: partial", "EXAMPLE")
	r = runbook(t, dir, "doc", "comand")
	if r.code != 5 || !strings.Contains(r.stderr, `did you mean "command"`) {
		t.Errorf("unknown module: %s", r)
	}
	r = runbook(t, dir, "doc", "debug", "--markdown")
	mustContain(t, r, "### `debug`", "| `msg` |")
}
