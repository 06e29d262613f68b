package test

import (
	"strings"
	"testing"
)

// TestIncludeOfUnavailableModule: a task file that uses a module runbook
// lacks, included only where a condition holds (roles' setup-Ubuntu.yml),
// does not stop the run; including it fails the host with what to write
// instead. A typo in an included file still stops the playbook at load.
func TestIncludeOfUnavailableModule(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":         "h1 ansible_connection=local os=Debian\nh2 ansible_connection=local os=Ubuntu\n",
		"setup-Ubuntu.yml":  "- apt_repository: {repo: 'ppa:nginx/stable'}\n",
		"setup-Debian.yml":  "- debug: {msg: debian setup}\n",
		"setup-FreeBSD.yml": "- pkgng: {name: nginx}\n", // a collection module's short name
		"typo.yml":          "- debug: {msg: x}\n  whne: true\n",
		"site.yml": `
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: setup-Ubuntu.yml
      when: os == 'Ubuntu'
    - include_tasks: setup-Debian.yml
      when: os == 'Debian'
    - include_tasks: setup-FreeBSD.yml
      when: os == 'FreeBSD'
`,
		"typo-site.yml": "- hosts: all\n  tasks:\n    - include_tasks: typo.yml\n      when: false\n",
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "hosts.ini")
	if r.code != 2 || !strings.Contains(r.stdout, "debian setup") {
		t.Fatalf("h1 runs Debian's file, h2 fails: %v", r)
	}
	if !strings.Contains(r.stdout, `apt_repository\" (ansible.builtin) is not built into runbook: write the source`) {
		t.Errorf("h2's failure must say the module is not built in and what instead: %v", r)
	}
	r = runbook(t, dir, "play", "typo-site.yml", "-i", "hosts.ini")
	if r.code != 3 || !strings.Contains(r.stderr, "typo.yml:2:3") {
		t.Errorf("a typo in an included file is still a load error: %v", r)
	}
}
