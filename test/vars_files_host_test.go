package test

import (
	"strings"
	"testing"
)

// TestVarsFilesPerHost: vars_files templated with host variables are read
// per host; a fact-templated entry is skipped until the facts are gathered
// and read after; a host whose file is missing fails with the play's
// file:line while the others go on.
func TestVarsFilesPerHost(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":       "h1 ansible_connection=local site=prod\nh2 ansible_connection=local site=missing\n",
		"vars/prod.yml":   "port: 8443\n",
		"vars/Debian.yml": "family_file: debian\n",
		"vars/RedHat.yml": "family_file: redhat\n",
		"vars/Alpine.yml": "family_file: alpine\n",
		"site.yml": `
- hosts: all
  gather_facts: false
  vars_files:
    - "vars/{{ ansible_os_family }}.yml"
    - ["vars/{{ site }}.yml"]
  tasks:
    - name: before facts
      debug: {msg: "port={{ port }} family={{ family_file | default('not yet') }}"}
    - setup:
    - name: after facts
      debug: {msg: "family={{ family_file | default('none') }}"}
`,
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "hosts.ini")
	if r.code != 2 {
		t.Fatalf("want exit 2 (h2 failed): %v", r)
	}
	before := section(t, r.stdout, "TASK [before facts]")
	if !strings.Contains(before, "port=8443 family=not yet") {
		t.Errorf("h1 before facts:\n%s", before)
	}
	if !strings.Contains(before, "site.yml:6:7") || !strings.Contains(before, "none of these files exists") || !strings.Contains(before, "vars/missing.yml") {
		t.Errorf("h2 must fail naming the vars_files entry and the file it looked for:\n%s", before)
	}
	after := section(t, r.stdout, "TASK [after facts]")
	if strings.Contains(after, "family=none") || !strings.Contains(after, "family=") {
		t.Errorf("after gathering, the fact-templated file is read:\n%s", after)
	}
	if strings.Contains(after, "h2") {
		t.Errorf("h2 failed and must have left the play:\n%s", after)
	}
}
