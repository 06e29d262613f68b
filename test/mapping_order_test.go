package test

import "testing"

// TestMappingOrderMatchesAnsible: with_dict, dict2items, d.items() and
// {% for %} go through a mapping in the order its YAML wrote it (play vars,
// a vars file, group_vars), as Ansible does; compared through the file
// each tool writes.
func TestMappingOrderMatchesAnsible(t *testing.T) {
	dir := workdir(t, map[string]string{
		"vars.yml":           "ports: {zeta: 3, alpha: 1, mid: 2}\n",
		"group_vars/all.yml": "users: {zed: admin, amy: dev, bob: ops}\n",
		"site.yaml": `
- hosts: all
  gather_facts: false
  vars_files: [vars.yml]
  vars:
    settings: {timeout: 30, bind: 0.0.0.0, debug: false}
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - debug: {msg: "{{ item.key }}"}
      with_dict: "{{ settings }}"
      register: w
    - copy:
        dest: "{{ out }}"
        content: |
          with_dict={{ w.results | map(attribute='item') | map(attribute='key') | join(',') }}
          dict2items={{ ports | dict2items | map(attribute='key') | join(',') }}
          items={% for k, v in users.items() %}{{ k }}:{{ v }} {% endfor %}

          for={% for k in settings %}{{ k }} {% endfor %}

`})
	runIdiomsWriting(t, dir, "with_dict=timeout,bind,debug\ndict2items=zeta,alpha,mid\nitems=zed:admin amy:dev bob:ops \nfor=timeout bind debug \n")
}
