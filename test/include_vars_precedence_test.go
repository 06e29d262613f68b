package test

import "testing"

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
	runIdiomsWriting(t, dir, "a=included b=set_fact_before c=included d=set_fact_after\n")
}
