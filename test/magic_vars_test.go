package test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMagicVariablesAsAnsible checks the magic variables real playbooks
// branch on: ansible_version, ansible_run_tags (["all"] without --tags),
// ansible_play_role_names, inventory_file/inventory_dir, and that a debug
// msg that is None prints null rather than the default greeting.
func TestMagicVariablesAsAnsible(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":                "h1 ansible_connection=local\n",
		"roles/web/tasks/main.yml": "- debug: {msg: 'web role'}\n",
		"site.yml": `
- hosts: all
  gather_facts: false
  roles: [web]
  tasks:
    - name: magic
      tags: [t1]
      debug:
        msg: "v={{ ansible_version.major }}.{{ ansible_version.minor }} new={{ 'yes' if ansible_version.full is version('2.9', '>=') else 'no' }} tags={{ ansible_run_tags | join(',') }} roles={{ ansible_play_role_names | join(',') }} file={{ inventory_file | basename }} dir={{ 'same' if inventory_dir == playbook_dir else inventory_dir }}"
    - name: none msg
      tags: [t1]
      debug:
        msg: "{{ none }}"
`,
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "hosts.ini")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	want := "v=2.14 new=yes tags=all roles=web file=hosts.ini dir=same"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("want %q in:\n%s", want, r.stdout)
	}
	if s := section(t, r.stdout, "TASK [none msg]"); !strings.Contains(s, `"msg": null`) || strings.Contains(s, "Hello world") {
		t.Errorf("debug msg None:\n%s", s)
	}
	r = runbook(t, dir, "play", "site.yml", "-i", filepath.Join(dir, "hosts.ini"), "--tags", "t1")
	if !strings.Contains(r.stdout, "tags=t1 ") {
		t.Errorf("--tags t1: %v", r)
	}
}

// TestGroupNamesAndConnectionVars: group_names has the parent groups of a
// host's groups (a YAML inventory's children), and the connection
// variables Ansible's play context sets are there: ansible_host (the
// inventory name when unset), ansible_connection, and ansible_user from
// its ansible_ssh_user spelling.
func TestGroupNamesAndConnectionVars(t *testing.T) {
	dir := workdir(t, map[string]string{
		"inv.yml": `all:
  children:
    web:
      hosts:
        w1: {ansible_connection: local, ansible_ssh_user: deploy}
    prod:
      children:
        web:
`,
		"site.yml": `
- hosts: prod
  gather_facts: false
  tasks:
    - debug:
        msg: "groups={{ group_names | join(',') }} host={{ ansible_host }} conn={{ ansible_connection }} user={{ ansible_user }}"
`,
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "inv.yml")
	if want := "groups=prod,web host=w1 conn=local user=deploy"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("want %q: %v", want, r)
	}
}
