package test

import "testing"

// The modules of issue 18 that act on the run rather than on a file (ping,
// include_vars, group_by, add_host, pause), run by runbook and, when
// installed, by ansible-playbook: both must give the same results.
func TestRunModulesMatchAnsible(t *testing.T) {
	tc := quietCase{
		files: map[string]string{
			"hosts.ini":             "[web]\nh1 ansible_connection=local kind=a\nh2 ansible_connection=local kind=b\n",
			"vars/extra.yml":        "from_file: loaded\n",
			"group_vars/kind_a.yml": "gv: kind_a_gv\n",
			"group_vars/added.yml":  "gv: added_gv\n",
			"host_vars/h3.yml":      "hv: h3_hv\n",
		},
		playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: ping
      ping:
    - name: vars
      include_vars: extra.yml
    - name: show vars
      debug: {msg: "{{ from_file }}"}
    - name: group
      group_by: {key: "kind_{{ kind }}"}
    - name: add
      add_host: {name: h3, groups: added, ansible_connection: local, flavour: new}
    - name: wait
      pause: {seconds: 1}
- hosts: kind_a
  gather_facts: false
  tasks:
    - name: in kind_a
      debug: {msg: "{{ gv }} {{ group_names[0] }}"}
      when: "'web' in group_names"
- hosts: added
  gather_facts: false
  tasks:
    - name: in added
      debug: {msg: "{{ flavour }} {{ gv }} {{ hv }} {{ groups['added'][0] }}"}
`,
		results: []string{
			"ping h1 ok", "ping h2 ok",
			"vars h1 ok", "vars h2 ok",
			"show vars h1 ok loaded", "show vars h2 ok loaded",
			"group h1 changed", "group h2 changed",
			"add h1 changed",
			"wait h1 ok",
			"in kind_a h1 ok kind_a_gv kind_a",
			"in added h3 ok new added_gv h3_hv h3",
		},
		recap: map[string][5]int{"h1": {2, 0, 0, 0, 0}, "h2": {1, 0, 0, 0, 0}, "h3": {}},
	}
	tc.runBoth(t, nil, nil)
}

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
