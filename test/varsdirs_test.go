package test

import (
	"strings"
	"testing"
)

// group_vars/ and host_vars/ next to an inventory or a playbook are loaded
// by ansible-playbook; runbook does not read them yet, and said nothing, so
// their variables were silently undefined (issue 16, item 19). Until they are
// supported it warns, on stderr, naming each directory.
func TestVarsDirectoriesAreWarnedAbout(t *testing.T) {
	dir := workdir(t, map[string]string{
		"inv/hosts.ini":          localHosts,
		"inv/group_vars/web.yml": "port: 8080\n",
		"host_vars/h1.yml":       "port: 9090\n",
		"site.yaml":              "- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ port ?? 'unset' }}\"}\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "inv/hosts.ini")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"[WARNING]: inv/group_vars/ found but NOT loaded",
		"[WARNING]: host_vars/ found but NOT loaded",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "NOT loaded") || strings.Count(r.stderr, "NOT loaded") != 2 {
		t.Errorf("want exactly the two warnings, on stderr:\n%s", r)
	}

	plain := workdir(t, map[string]string{"hosts.ini": localHosts, "site.yaml": "- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: {msg: hi}\n"})
	if r := runbook(t, plain, "play", "site.yaml", "-i", "hosts.ini"); r.code != 0 || strings.Contains(r.stderr, "WARNING") {
		t.Errorf("a warning without vars directories:\n%s", r)
	}
}
