package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestIncludeVarsPrecedenceMatchesAnsible: a variable from include_vars
// beats play and task vars but not set_fact, even a set_fact that ran
// before the include_vars (Ansible's precedence 18 and 19); the file each
// tool writes is compared.
func TestIncludeVarsPrecedenceMatchesAnsible(t *testing.T) {
	dir := workdir(t, map[string]string{
		"iv.yml": "a: included\nb: included\nc: included\nd: included\n",
		"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    a: play
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - set_fact: {b: set_fact_before}
    - include_vars: iv.yml
    - set_fact:
        seen: "a={{ a }} b={{ b }} c={{ c }}"
      vars: {c: task}
    - set_fact: {d: set_fact_after}
    - copy:
        dest: "{{ out }}"
        content: "{{ seen }} d={{ d }}\n"
`})
	r := runIdioms(t, dir, "-e", "runner_name=runbook")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out-runbook"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a=included b=set_fact_before c=included d=set_fact_after\n"; string(data) != want {
		t.Errorf("runbook wrote %q, want %q", data, want)
	}
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		ans, err := os.ReadFile(filepath.Join(dir, "out-ansible"))
		if err != nil || string(ans) != string(data) {
			t.Errorf("runbook wrote %q, ansible-playbook %q (%v)", data, ans, err)
		}
	}
}
