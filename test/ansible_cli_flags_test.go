package test

import (
	"strings"
	"testing"
)

// TestAnsiblePlaybookFlags: ansible-playbook's -c/--connection, -b,
// --become-user and --become-method spellings work (or say why not);
// -c local makes a host without ansible_connection run locally, and
// ansible_connection reads it.
func TestAnsiblePlaybookFlags(t *testing.T) {
	dir := workdir(t, map[string]string{
		"site.yml": `
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
      changed_when: false
    - debug: {msg: "conn={{ ansible_connection }} who={{ who.stdout }} become={{ ansible_become | default('unset') }}"}
`,
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "web1,", "-c", "local")
	if r.code != 0 || !strings.Contains(r.stdout, "conn=local who=") {
		t.Fatalf("-c local: %v", r)
	}
	r = runbook(t, dir, "play", "site.yml", "-i", "web1,", "--connection=local", "-b", "--become-user", "root", "--become-method", "sudo")
	if r.code != 0 || !strings.Contains(r.stdout, "who=root") {
		t.Errorf("-b --become-user root: %v", r)
	}
	for _, bad := range [][]string{{"-c", "winrm"}, {"--become-method", "su"}} {
		r = runbook(t, dir, append([]string{"play", "site.yml", "-i", "web1,"}, bad...)...)
		if r.code != 5 || !strings.Contains(r.stderr, strings.TrimPrefix(bad[0], "--")) {
			t.Errorf("%v must be a usage error naming the flag: %v", bad, r)
		}
	}
}
