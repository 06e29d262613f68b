package test

import "testing"

// The typical content of issue 18 runs unchanged and gives Ansible's
// results: an INI inventory with group_vars/ beside it, a role with
// defaults, a template in templates/, a file written from a variable and a
// handler, conditions on variables. Run twice in the same directory: the
// second run changes nothing and runs no handler. (The template holds no
// variable: runbook renders .tmpl files as Go templates, Ansible as Jinja2.)
func TestTypicalAnsibleContentRunsUnchanged(t *testing.T) {
	files := map[string]string{
		"hosts.ini":                       "# see inventory/\n",
		"inventory/hosts.ini":             "[app]\nh1 ansible_connection=local\nh2 ansible_connection=local\n",
		"inventory/group_vars/app.yml":    "app_port: 8080\napp_enabled: true\n",
		"inventory/host_vars/h2.yml":      "app_enabled: false\n",
		"roles/app/defaults/main.yml":     "app_port: 80\napp_enabled: false\napp_name: demo\n",
		"roles/app/templates/app.conf.j2": "name={{ \"demo\" }}\n",
		"roles/app/handlers/main.yml":     "- name: restart app\n  debug: {msg: \"restart {{ app_name }}\"}\n",
		"roles/app/tasks/main.yml": `
- name: config
  template: {src: app.conf.j2, dest: "{{ playbook_dir }}/{{ inventory_hostname }}.conf"}
  notify: restart app
  when: app_enabled
- name: port
  copy: {content: "port={{ app_port }}\n", dest: "{{ playbook_dir }}/{{ inventory_hostname }}.port"}
  notify: restart app
- name: read
  command: cat {{ playbook_dir }}/{{ inventory_hostname }}.port
  register: port
  changed_when: false
- name: show
  debug: {msg: "{{ port.stdout }}"}
  when: port.stdout != '' and app_port == 8080
`,
	}
	tc := quietCase{
		playbook: "- hosts: app\n  gather_facts: false\n  roles:\n    - app\n",
		args:     []string{"-i", "inventory/hosts.ini"},
		results: []string{
			"app : config h1 changed", "app : config h2 skipped",
			"app : port h1 changed", "app : port h2 changed",
			"app : read h1 ok", "app : read h2 ok",
			"app : show h1 ok port=8080", "app : show h2 ok port=8080",
			"app : restart app h1 ok restart demo", "app : restart app h2 ok restart demo",
		},
		recap: map[string][5]int{"h1": {2, 0, 0, 0, 0}, "h2": {1, 0, 1, 0, 0}},
	}
	again := tc
	again.results = []string{
		"app : config h1 ok", "app : config h2 skipped",
		"app : port h1 ok", "app : port h2 ok",
		"app : read h1 ok", "app : read h2 ok",
		"app : show h1 ok port=8080", "app : show h2 ok port=8080",
	}
	again.recap = map[string][5]int{"h1": {}, "h2": {0, 0, 1, 0, 0}}
	files["site.yaml"] = tc.playbook
	dir := workdir(t, files)
	tc.check(t, "runbook", runbookQuiet(t, dir, tc.args))
	again.check(t, "runbook (second run)", runbookQuiet(t, dir, tc.args))
	dir = workdir(t, files)
	if a, ok := ansibleQuiet(t, dir, tc.args); ok {
		tc.check(t, "ansible-playbook", a)
		a, _ = ansibleQuiet(t, dir, tc.args)
		again.check(t, "ansible-playbook (second run)", a)
	}
}
