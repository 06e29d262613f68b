package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// group_vars/ and host_vars/ next to the inventory and next to the playbook
// are loaded with Ansible's precedence (issue 18). Each variable below is
// set in two adjacent layers, so its value says which of the two wins:
// inventory-file group vars < inventory group_vars/all < playbook
// group_vars/all < inventory group_vars/GROUP < playbook group_vars/GROUP <
// inventory-file host vars < inventory host_vars/HOST < playbook
// host_vars/HOST. Files may be NAME (a file or a directory of files),
// NAME.yml, NAME.yaml or NAME.json: the first that exists is read.
// ansible-playbook, when installed, must agree.
func TestVarsDirectoriesPrecedenceMatchesAnsible(t *testing.T) {
	tc := quietCase{
		files: varsDirsFiles,
		playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: show
      debug: {msg: "{{ a0 }} {{ a }} {{ b }} {{ c }} {{ d }} {{ e }} {{ h }}"}
    - name: host
      debug: {msg: "{{ f }} {{ g }}"}
      when: inventory_hostname == 'h1'
`,
		args: []string{"-i", "inv/hosts.ini"},
		results: []string{
			"show h1 ok invgvall invgvall pbgvall invgvweb pbgvweb hostinv topgv",
			"show h2 ok invgvall invgvall pbgvall invgvweb pbgvweb pbgvweb topgv",
			"host h1 ok invhv pbhv", "host h2 skipped",
		},
		recap: map[string][5]int{"h1": {}, "h2": {0, 0, 1, 0, 0}},
	}
	tc.runBoth(t, nil, nil)
}

// varsDirsFiles set each variable in two adjacent layers (see above).
var varsDirsFiles = map[string]string{
	"inv/hosts.ini": "[web]\nh1 ansible_connection=local e=hostinv f=hostinv\nh2 ansible_connection=local\n" +
		"[web:vars]\na=webinv\n[all:vars]\na0=allinv\n[top:children]\nweb\n",
	"inv/group_vars/all.yml":       "a: invgvall\nb: invgvall\na0: invgvall\n",
	"group_vars/all.yml":           "b: pbgvall\nc: pbgvall\n",
	"inv/group_vars/web/01.yml":    "c: invgvweb\nd: invgvweb\nh: webgv\n",
	"inv/group_vars/web/02":        "d: invgvweb2\n",
	"inv/group_vars/web/.swp":      "d: hidden\n",
	"group_vars/web.yml":           "d: pbgvweb\ne: pbgvweb\n",
	"group_vars/top.json":          `{"h": "topgv"}`,
	"inv/host_vars/h1.yml":         "f: invhv\ng: invhv\n",
	"host_vars/h1":                 "g: pbhv\n",
	"group_vars/nosuchgroup":       "a: never\n",
	"inv/group_vars/web/00-db.yml": "db_password: s3cret\n",
	"inv/host_vars/h1.yaml":        "f: shadowed\n", // only the first of h1, h1.yml, h1.yaml, h1.json is read
}

// runbook inventory --host shows a host's variables with the group_vars/
// and host_vars/ next to the inventory and in the current directory, as
// ansible-inventory does (secrets masked).
func TestInventoryCommandShowsVarsDirectories(t *testing.T) {
	dir := workdir(t, varsDirsFiles)
	r := runbook(t, dir, "inventory", "-i", "inv/hosts.ini", "--host", "h1")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if got["db_password"] != "********" || strings.Contains(r.stdout, "s3cret") {
		t.Errorf("the password from group_vars is not masked:\n%s", r)
	}
	delete(got, "db_password")
	want := map[string]any{"a": "invgvall", "a0": "invgvall", "ansible_connection": "local", "b": "pbgvall", "c": "invgvweb",
		"d": "pbgvweb", "e": "hostinv", "f": "invhv", "g": "pbhv", "h": "topgv"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runbook inventory --host h1 = %v\nwant %v", got, want)
	}
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		return
	}
	cmd := exec.Command(bin, "-i", "inv/hosts.ini", "--host", "h1")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "ANSIBLE_HOME="+filepath.Join(dir, ".ansible"))
	out, err := cmd.Output()
	var a map[string]any
	if err != nil || json.Unmarshal(out, &a) != nil {
		t.Fatalf("ansible-inventory: %v\n%s", err, out)
	}
	delete(a, "db_password")
	if !reflect.DeepEqual(a, want) {
		t.Errorf("ansible-inventory --host h1 = %v\nwant %v", a, want)
	}
}

// runBoth runs the case's playbook (site.yaml, with its files and extra)
// with runbook and, when installed, ansible-playbook, and checks both
// outcomes after adjust (nil: as they are).
func (tc quietCase) runBoth(t *testing.T, extra map[string]string, adjust func(quietOutcome) quietOutcome) {
	t.Helper()
	if adjust == nil {
		adjust = func(o quietOutcome) quietOutcome { return o }
	}
	files := map[string]string{"site.yaml": tc.playbook}
	for _, m := range []map[string]string{extra, tc.files} {
		for k, v := range m {
			files[k] = v
		}
	}
	tc.check(t, "runbook", adjust(runbookQuiet(t, workdir(t, files), tc.args)))
	if a, ok := ansibleQuiet(t, workdir(t, files), tc.args); ok {
		tc.check(t, "ansible-playbook", adjust(a))
	}
}

// The variables of group_vars/ reach what the run computes from them: a
// templated variable, hostvars of another host, the implicit localhost
// (group_vars/all and host_vars/localhost) and a required_vars check.
func TestVarsDirectoriesFeedTheRun(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":               localHosts,
		"group_vars/all/main.yml": "port: 80\nurl: \"http://{{ inventory_hostname }}:{{ port }}\"\n",
		"group_vars/all/peer.yml": "peer: \"{{ hostvars['h2'].port }}\"\n",
		"group_vars/web.yaml":     "port: 8080\n",
		"host_vars/localhost.yml": "where: controller\n",
		"site.yaml": `
- hosts: web
  gather_facts: false
  required_vars: {port: the port}
  tasks:
    - debug: {msg: "{{ url }} {{ peer }}"}
      when: inventory_hostname == 'h1'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: {msg: "{{ port }} {{ where }}"}
`,
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts.ini")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, `"msg": "http://h1:8080 8080"`, `"msg": "80 controller"`)
	if strings.Contains(r.stderr, "NOT loaded") {
		t.Errorf("the old warning is still given:\n%s", r)
	}
}

// A group_vars file that does not parse stops the run before anything
// runs, naming the file and line (exit 3), instead of leaving its
// variables undefined.
func TestVarsDirectoriesBadFileIsAnError(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":          localHosts,
		"group_vars/web.yml": "port: [80,\n",
		"site.yaml":          "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: touch ran\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts.ini")
	if r.code != 3 || !strings.Contains(r.stderr, "group_vars/web.yml:2") {
		t.Errorf("want exit 3 naming group_vars/web.yml:2:\n%s", r)
	}
	if strings.Contains(r.stdout, "TASK") {
		t.Errorf("a task ran:\n%s", r)
	}
}
