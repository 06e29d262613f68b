// Package plays holds the benchmark playbooks: one catalogue of tasks
// written in the YAML that runbook and ansible-playbook both accept, and
// the task lists of each benchmark.
package plays

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Task is one benchmark task, written in the YAML both runbook and
// ansible-playbook accept. When runbook lacks module, fallback (a
// command/shell task with the same effect) is used by both tools, so the
// two always run the same playbook. Lines are relative to the task's
// indentation; "@APP@" is the controller-side config file.
type Task struct {
	name     string
	module   string // "" for modules that always exist (command, shell, debug, set_fact, assert)
	body     []string
	fallback []string
}

// Catalogue holds every task the benchmarks use, by key. To extend a
// benchmark add an entry here and its key to overheadTasks or fleetTasks.
var Catalogue = map[string]Task{
	"mkdir": {"make the directory", "file",
		[]string{"file: {path: \"{{ d }}/etc\", state: directory}"},
		[]string{"command: mkdir -p {{ d }}/etc"}},
	"kernel": {"kernel version", "",
		[]string{"command: uname -r", "changed_when: false"}, nil},
	"hostname": {"write the hostname", "",
		[]string{"shell: echo {{ inventory_hostname }} > {{ d }}/etc/hostname"}, nil},
	"config": {"install the config file", "copy",
		[]string{"copy: {src: \"@APP@\", dest: \"{{ d }}/etc/app.conf\", mode: \"0644\"}"},
		[]string{`shell: printf 'port=80\nname=bench\n' > {{ d }}/etc/app.conf`}},
	"motd": {"render the motd", "template",
		[]string{"template: {src: \"{{ motd_template }}\", dest: \"{{ d }}/etc/motd\"}"},
		[]string{"shell: printf 'Welcome to %s\\nrun %s\\n' {{ inventory_hostname }} {{ run }} > {{ d }}/etc/motd"}},
	"port": {"set the port", "lineinfile",
		[]string{"lineinfile: {path: \"{{ d }}/etc/app.conf\", regexp: \"^port=\", line: \"port=8080\"}"},
		[]string{"shell: sed -i 's/^port=.*/port=8080/' {{ d }}/etc/app.conf"}},
	"debugline": {"ensure a line", "lineinfile",
		[]string{"lineinfile: {path: \"{{ d }}/etc/app.conf\", line: \"debug=false\"}"},
		[]string{"shell: grep -qx debug=false {{ d }}/etc/app.conf || echo debug=false >> {{ d }}/etc/app.conf"}},
	"statconf": {"stat the config", "stat",
		[]string{"stat: {path: \"{{ d }}/etc/app.conf\"}", "register: st"},
		[]string{"command: stat {{ d }}/etc/app.conf", "changed_when: false"}},
	"sshstatus": {"ssh service status", "systemd",
		[]string{"systemd: {name: ssh}", "register: sshd_unit", "failed_when: sshd_unit.status.ActiveState != 'active'"},
		[]string{"command: systemctl is-active ssh", "changed_when: false"}},
	"readhost": {"read the hostname", "",
		[]string{"command: cat {{ d }}/etc/hostname", "register: hn", "changed_when: false"}, nil},
	"setfact": {"build a greeting", "",
		[]string{"set_fact: {greeting: \"hello {{ hn.stdout }}\"}"}, nil},
	"debug": {"show the greeting", "",
		[]string{"debug: {msg: \"{{ greeting }}\"}"}, nil},
	"assert": {"check the host name", "",
		[]string{"assert:", "  that:", "    - inventory_hostname != \"\""}, nil},
	"list": {"count the files", "",
		[]string{"shell: ls -l {{ d }}/etc | wc -l", "changed_when: false"}, nil},
	"extra": {"write a small file", "copy",
		[]string{"copy: {content: \"key=value\\n\", dest: \"{{ d }}/etc/extra.conf\"}"},
		[]string{`shell: printf 'key=value\n' > {{ d }}/etc/extra.conf`}},
	"motd2": {"render a second file", "template",
		[]string{"template: {src: \"{{ motd_template }}\", dest: \"{{ d }}/etc/motd2\"}"},
		[]string{"shell: printf 'Welcome to %s\\nrun %s\\n' {{ inventory_hostname }} {{ run }} > {{ d }}/etc/motd2"}},
	"statmotd": {"stat the motd", "stat",
		[]string{"stat: {path: \"{{ d }}/etc/motd\"}"},
		[]string{"command: stat {{ d }}/etc/motd", "changed_when: false"}},
	"checksum": {"checksum the config", "",
		[]string{"command: sha256sum {{ d }}/etc/app.conf", "changed_when: false"}, nil},
	"slurp": {"read a file back", "slurp",
		[]string{"slurp: {src: \"{{ d }}/etc/hostname\"}"},
		[]string{"command: cat {{ d }}/etc/hostname", "changed_when: false"}},
	"chmod": {"tighten the config", "file",
		[]string{"file: {path: \"{{ d }}/etc/app.conf\", state: file, mode: \"0600\"}"},
		[]string{"command: chmod 0600 {{ d }}/etc/app.conf"}},
	"sums": {"record checksums", "",
		[]string{"shell: cd {{ d }}/etc && sha256sum app.conf extra.conf > sums"}, nil},
	"ls": {"list the directory", "",
		[]string{"command: ls {{ d }}/etc", "changed_when: false"}, nil},
}

// The 20-task playbook of the task-overhead benchmark (issue 3, issue 8
// item 1: commands, a copied file, templates, lineinfile, stat and a
// systemd status query, run on the lab's real systemd nodes) and the
// 10-task playbook of the fleet benchmark (item 2; the fleet's hosts have
// no systemd).
var (
	Overhead = []string{"mkdir", "kernel", "hostname", "config", "motd", "port", "debugline", "statconf",
		"sshstatus", "readhost", "setfact", "debug", "assert", "list", "extra", "motd2", "statmotd",
		"checksum", "slurp", "chmod"}
	Fleet = []string{"mkdir", "kernel", "hostname", "config", "extra", "debugline", "readhost",
		"statconf", "sums", "ls"}
)

// Render renders the tasks for group, using fallbacks for modules that
// runbook lacks; it returns the YAML and the keys that fell back.
func Render(group string, keys []string, have map[string]bool, app string) (string, []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "- name: benchmark\n  hosts: %s\n  gather_facts: false\n  vars:\n    d: \"{{ sandbox }}/{{ run }}\"\n  tasks:\n", group)
	var fell []string
	for _, k := range keys {
		t, ok := Catalogue[k]
		if !ok {
			panic("unknown benchmark task " + k)
		}
		lines := t.body
		if t.module != "" && !have[t.module] {
			lines, fell = t.fallback, append(fell, k+" ("+t.module+")")
		}
		fmt.Fprintf(&b, "    - name: %s\n", t.name)
		for _, l := range lines {
			b.WriteString("      " + strings.ReplaceAll(l, "@APP@", app) + "\n")
		}
	}
	return b.String(), fell
}

// Assets are a written benchmark playbook and what each tool needs to run it.
type Assets struct {
	Playbook  string
	Fallbacks []string // tasks run as command/shell because runbook lacked the module
	Runbook   []string // -e arguments for runbook
	Ansible   []string // -e arguments for ansible-playbook
}

// Write writes the playbook, the config file and one motd template
// per tool into dir.
func Write(dir, group string, keys []string, have map[string]bool) (Assets, error) {
	app := filepath.Join(dir, "app.conf")
	gotmpl := filepath.Join(dir, "motd.gotmpl")
	j2 := filepath.Join(dir, "motd.j2")
	pb, fell := Render(group, keys, have, app)
	path := filepath.Join(dir, "site.yaml")
	files := map[string]string{
		path:   pb,
		app:    "port=80\nname=bench\n",
		gotmpl: "Welcome to {{ .inventory_hostname }}\nrun {{ .run }}\n",
		j2:     "Welcome to {{ inventory_hostname }}\nrun {{ run }}\n",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			return Assets{}, err
		}
	}
	return Assets{Playbook: path, Fallbacks: fell, Runbook: []string{"-e", "motd_template=" + gotmpl},
		Ansible: []string{"-e", "motd_template=" + j2}}, nil
}
