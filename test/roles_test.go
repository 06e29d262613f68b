package test

import (
	"strings"
	"testing"
)

// Roles (issue 18): roles:, import_role and include_role, run by runbook
// and, when installed, by ansible-playbook, which must agree. The role
// files are shared by the cases.
var roleFiles = map[string]string{
	"group_vars/all.yml":          "d_vs_inv: inventory\n",
	"roles/web/defaults/main.yml": "port: 80\nd_vs_inv: default\nd_vs_play: default\nshared: webdefault\n",
	"roles/web/vars/main.yml":     "rv_vs_play: rolevars\nrv_vs_entry: rolevars\nrv_vs_setfact: rolevars\n",
	"roles/web/meta/main.yml":     "dependencies:\n  - role: base\n",
	"roles/web/files/app.conf":    "static content\n",
	"roles/web/tasks/main.yml": `
- name: show
  debug: {msg: "{{ port }} {{ d_vs_inv }} {{ d_vs_play }} {{ rv_vs_play }} {{ rv_vs_entry }} {{ rv_vs_setfact }} {{ param }} {{ pvs }} {{ role_name }} {{ shared }}"}
- name: install
  copy: {src: app.conf, dest: "{{ playbook_dir }}/app.conf"}
  notify: restart web
- name: read
  command: cat {{ playbook_dir }}/app.conf
  register: conf
  changed_when: false
- name: content
  debug: {msg: "{{ conf.stdout }}"}
`,
	"roles/web/handlers/main.yml":  "- name: restart web\n  debug: {msg: \"restart {{ port }}\"}\n",
	"roles/base/defaults/main.yml": "shared: basedefault\n",
	"roles/base/tasks/main.yaml":   "- name: base task\n  debug: {msg: \"base {{ shared }}\"}\n",
	"roles/other/defaults/alt.yml": "o_default: altdefault\no_var: altdefault\n",
	"roles/other/vars/alt.yml":     "o_var: altvars\n",
	"roles/other/tasks/main.yml":   "- name: other main\n  debug: {msg: main}\n",
	"roles/other/tasks/alt.yml": `
- name: other alt
  debug: {msg: "{{ o_default }} {{ o_var }} {{ role_name }}"}
- name: notify alt
  command: "true"
  notify: alt handler
`,
	"roles/other/handlers/alt.yml": "- name: alt handler\n  debug: {msg: alt handled}\n",
}

func roleCases() []quietCase {
	return []quietCase{{
		name: "roles: with defaults, vars, params, a dependency, files and handlers",
		playbook: `
- hosts: h1
  gather_facts: false
  vars:
    d_vs_play: play
    rv_vs_play: play
  pre_tasks:
    - set_fact: {rv_vs_setfact: setfact, pvs: setfact}
  roles:
    - role: web
      vars: {rv_vs_entry: entry}
      param: p1
      pvs: param
    - base
  tasks:
    - name: after
      debug: {msg: "{{ shared }} {{ rv_vs_play }} {{ port }}"}
  handlers:
    - name: play handler
      debug: {msg: play handler}
`,
		results: []string{
			"set_fact h1 ok",
			"base : base task h1 ok base basedefault",
			"web : show h1 ok 80 inventory play rolevars rolevars setfact p1 param web webdefault",
			"web : install h1 changed",
			"web : read h1 ok",
			"web : content h1 ok static content",
			"after h1 ok basedefault rolevars 80",
			"web : restart web h1 ok restart 80",
		},
		recap: map[string][5]int{"h1": {1, 0, 0, 0, 0}},
	}, {
		name: "import_role and include_role: when, loop, tags and *_from",
		playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - import_role: {name: base}
      when: inventory_hostname == 'h1'
    - name: include base
      include_role: {name: base}
      when: inventory_hostname == 'h1'
    - name: include alt
      include_role:
        name: other
        tasks_from: alt
        vars_from: alt
        defaults_from: alt
        handlers_from: alt
    - name: include in a loop
      include_role: name=base
      loop: [1, 2]
      when: inventory_hostname == 'h2'
`,
		results: []string{
			"base : base task h1 ok base basedefault", "base : base task h2 skipped",
			"base : base task h1 ok base basedefault",
			"other : other alt h1 ok altdefault altvars other", "other : other alt h2 ok altdefault altvars other",
			"other : notify alt h1 changed", "other : notify alt h2 changed",
			"base : base task h2 ok base basedefault",
			"base : base task h2 ok base basedefault",
			"other : alt handler h1 ok alt handled", "other : alt handler h2 ok alt handled",
		},
		recap: map[string][5]int{"h1": {1, 0, 1, 0, 0}, "h2": {1, 0, 2, 0, 0}},
	}}
}

func TestRolesMatchAnsible(t *testing.T) {
	for _, tc := range roleCases() {
		t.Run(tc.name, func(t *testing.T) {
			extra := map[string]string{"hosts.ini": quietHosts}
			for k, v := range roleFiles {
				extra[k] = v
			}
			tc.runBoth(t, extra, withoutIncludes)
		})
	}
}

// withoutIncludes drops the results of the include_role tasks themselves
// (named "include ..."): Ansible's json callback records an include as an
// ok result, runbook reports it as an include event; the recap (without
// ok) and the included tasks' results are what must agree.
func withoutIncludes(o quietOutcome) quietOutcome {
	var keep []string
	for _, r := range o.results {
		if !strings.HasPrefix(r, "include ") {
			keep = append(keep, r)
		}
	}
	o.results = keep
	return o
}
