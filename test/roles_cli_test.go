package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The typical Ansible layout of issue 18 runs unchanged: an INI inventory
// in inventory/ with group_vars/ beside it, a role with defaults, a
// template in its templates/ and a handler, a condition on a variable. The
// second run changes nothing; --check --diff with another value shows the
// change without making it.
func TestRoleWithTemplateAndHandlerIsIdempotent(t *testing.T) {
	dir := workdir(t, map[string]string{
		"inventory/hosts.ini":               "[app]\nh1 ansible_connection=local\n",
		"inventory/group_vars/app.yml":      "app_port: 8080\napp_enabled: true\n",
		"roles/app/defaults/main.yml":       "app_port: 80\napp_name: demo\napp_dir: \"{{ playbook_dir }}/out\"\n",
		"roles/app/templates/app.conf.tmpl": "name={{ .app_name }}\nport={{ .app_port }}\nrole={{ .role_name }}\n",
		"roles/app/tasks/main.yml": `
- name: config directory
  file: {path: "{{ app_dir }}", state: directory}
- name: config
  template: {src: app.conf.tmpl, dest: "{{ app_dir }}/app.conf"}
  notify: restart app
  when: app_enabled
`,
		"roles/app/handlers/main.yml": "- name: restart app\n  command: touch {{ app_dir }}/restarted\n",
		"site.yml":                    "- hosts: app\n  gather_facts: false\n  roles:\n    - app\n",
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "inventory/hosts.ini")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, "TASK [app : config]", "RUNNING HANDLER [app : restart app]", "changed=3")
	conf, err := os.ReadFile(filepath.Join(dir, "out", "app.conf"))
	if err != nil || string(conf) != "name=demo\nport=8080\nrole=app\n" {
		t.Fatalf("app.conf = %q (%v)", conf, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "restarted")); err != nil {
		t.Errorf("the handler did not run: %v", err)
	}

	r = runbook(t, dir, "play", "site.yml", "-i", "inventory/hosts.ini")
	if r.code != 0 || !strings.Contains(r.stdout, "changed=0") || strings.Contains(r.stdout, "RUNNING HANDLER") {
		t.Errorf("second run is not idempotent:\n%s", r)
	}

	r = runbook(t, dir, "play", "site.yml", "-i", "inventory/hosts.ini", "--check", "--diff", "-e", "app_port=9090")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, "-port=8080", "+port=9090", "changed=1")
	if conf, _ := os.ReadFile(filepath.Join(dir, "out", "app.conf")); !strings.Contains(string(conf), "port=8080") {
		t.Errorf("--check wrote the file: %q", conf)
	}
}

// Roles are found in roles/ next to the playbook, then in
// ANSIBLE_ROLES_PATH; role_path is the role's directory; a role default may
// read hostvars.
func TestRolesPathAndRolePath(t *testing.T) {
	shared := workdir(t, map[string]string{
		"common/tasks/main.yml":    "- debug: {msg: \"path={{ role_path }} me={{ me }}\"}\n",
		"common/defaults/main.yml": "me: \"{{ hostvars[inventory_hostname].inventory_hostname }}\"\n",
	})
	t.Setenv("ANSIBLE_ROLES_PATH", filepath.Join(shared, "nowhere")+":"+shared)
	dir := workdir(t, map[string]string{
		"hosts.ini": localHosts,
		"site.yml":  "- hosts: h1\n  gather_facts: false\n  roles: [common]\n",
	})
	r := runbook(t, dir, "play", "site.yml", "-i", "hosts.ini")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, "TASK [common : debug]", "path="+filepath.Join(shared, "common")+" me=h1")
}

// Role errors are found before anything runs and name the file and line of
// the call (exit 3), saying where the role was looked for or what to write.
func TestRoleErrorsNameTheCall(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  []string
	}{
		"missing role": {
			files: map[string]string{"site.yml": "- hosts: h1\n  gather_facts: false\n  roles:\n    - nosuch\n"},
			want:  []string{"site.yml:4:7", `role "nosuch" not found`, "roles/nosuch", "ANSIBLE_ROLES_PATH"},
		},
		"missing tasks_from": {
			files: map[string]string{
				"roles/r/tasks/main.yml": "- debug: {msg: hi}\n",
				"site.yml":               "- hosts: h1\n  gather_facts: false\n  tasks:\n    - include_role: {name: r, tasks_from: nope}\n",
			},
			want: []string{"site.yml:4", "tasks_from: nope not found"},
		},
		"templated import_role": {
			files: map[string]string{"site.yml": "- hosts: h1\n  gather_facts: false\n  tasks:\n    - import_role: {name: \"{{ x }}\"}\n"},
			want:  []string{"site.yml:4", "use include_role for a templated one"},
		},
		"unknown argument": {
			files: map[string]string{
				"roles/r/tasks/main.yml": "- debug: {msg: hi}\n",
				"site.yml":               "- hosts: h1\n  gather_facts: false\n  tasks:\n    - import_role: {name: r, task_from: x}\n",
			},
			want: []string{"site.yml:4", `"task_from"`, `did you mean "tasks_from"`},
		},
		"bad task in a role": {
			files: map[string]string{
				"roles/r/tasks/main.yml": "- debug: {msg: hi}\n- nosuchmodule: {}\n",
				"site.yml":               "- hosts: h1\n  gather_facts: false\n  roles: [r]\n",
			},
			want: []string{"roles/r/tasks/main.yml:2:3", "nosuchmodule"},
		},
		"role depending on itself": {
			files: map[string]string{
				"roles/r/meta/main.yml": "dependencies: [r]\n",
				"site.yml":              "- hosts: h1\n  gather_facts: false\n  roles: [r]\n",
			},
			want: []string{"import cycle"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			tc.files["hosts.ini"] = localHosts
			r := runbook(t, workdir(t, tc.files), "play", "site.yml", "-i", "hosts.ini")
			if r.code != 3 {
				t.Errorf("exit %d, want 3:\n%s", r.code, r)
			}
			mustContain(t, r, tc.want...)
		})
	}
}

// A roles: entry's tags and when: apply to every task of the role (and its
// dependencies); --list-tasks and --start-at-task see the role's tasks as
// "ROLE : NAME".
func TestRoleTagsListAndStartAt(t *testing.T) {
	files := map[string]string{
		"hosts.ini":                localHosts,
		"roles/dep/tasks/main.yml": "- name: dep task\n  debug: {msg: dep}\n",
		"roles/r/meta/main.yml":    "dependencies: [dep]\n",
		"roles/r/tasks/main.yml":   "- name: first\n  debug: {msg: first}\n- name: second\n  debug: {msg: second}\n",
		"site.yml": `
- hosts: web
  gather_facts: false
  roles:
    - role: r
      tags: [rtag]
      when: inventory_hostname == 'h1'
  tasks:
    - name: plain
      debug: {msg: plain}
`,
	}
	dir := workdir(t, files)
	r := runbook(t, dir, "play", "site.yml", "-i", "hosts.ini", "--list-tasks")
	mustContain(t, r, "dep : dep task\tTAGS: [rtag]", "r : first\tTAGS: [rtag]", "r : second\tTAGS: [rtag]", "plain\tTAGS: []")
	r = runbook(t, dir, "play", "site.yml", "-i", "hosts.ini", "--tags", "rtag")
	if r.code != 0 || strings.Contains(r.stdout, "TASK [plain]") {
		t.Errorf("--tags rtag:\n%s", r)
	}
	mustContain(t, r, "TASK [dep : dep task]", "TASK [r : second]", "h1                         : ok=3", "h2                         : ok=0    changed=0    unreachable=0    failed=0    skipped=3")
	r = runbook(t, dir, "play", "site.yml", "-i", "hosts.ini", "--start-at-task", "r : second")
	if r.code != 0 || strings.Contains(r.stdout, "TASK [r : first]") || strings.Contains(r.stdout, "dep task") {
		t.Errorf("--start-at-task 'r : second':\n%s", r)
	}
	mustContain(t, r, "TASK [r : second]", "TASK [plain]")
}
