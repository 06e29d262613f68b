package playbook_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/runbook-dev/runbook/modules" // registers the built-in modules
	"github.com/runbook-dev/runbook/runner/playbook"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseValidPlaybook(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"site.yaml": `
- name: web
  hosts: [web, db]
  serial: [1, "50%"]
  max_fail_percentage: 20
  vars: {port: 80}
  vars_files: [vars.yaml]
  tasks:
    - name: hello
      debug: msg="hi {{ port }}"
      tags: a,b
      when: port > 1
      loop: [1, 2]
      loop_control: {loop_var: x, index_var: i, label: "{{ x }}"}
    - block:
        - command: echo hi creates=/tmp/x
          args: {chdir: /tmp}
      rescue:
        - fail: {msg: boom}
      always:
        - meta: flush_handlers
    - import_tasks: more.yaml
      tags: imported
    - include_tasks: "{{ file }}"
  handlers:
    - name: restart
      listen: web restart
      debug: {msg: restarting}
- import_playbook: other.yaml
`,
		"vars.yaml":  "a: 1\n",
		"more.yaml":  "- shell: echo more\n  notify: restart\n",
		"other.yaml": "- hosts: all\n  gather_facts: false\n  tasks: [{debug: {}}]\n",
	})
	pb, err := playbook.Load(filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Plays) != 2 {
		t.Fatalf("plays = %d, want 2 (import_playbook inlined)", len(pb.Plays))
	}
	p := pb.Plays[0]
	if p.Hosts != "web,db" || len(p.Serial) != 2 || *p.MaxFailPercentage != 20 {
		t.Errorf("play keywords: hosts=%q serial=%v", p.Hosts, p.Serial)
	}
	t0 := p.Tasks[0]
	if t0.Module != "debug" || t0.Args["msg"] != "hi {{ port }}" {
		t.Errorf("free-form debug args = %v", t0.Args)
	}
	if strings.Join(t0.Tags, ",") != "a,b" || t0.LoopControl.LoopVar != "x" || !t0.HasLoop {
		t.Errorf("task keywords: %+v", t0)
	}
	cmd := p.Tasks[1].Block[0]
	if cmd.Args["creates"] != "/tmp/x" || cmd.Args["chdir"] != "/tmp" {
		t.Errorf("command args = %v, want creates taken out of the free-form and args: merged", cmd.Args)
	}
	imp := p.Tasks[2]
	if !imp.IsBlock() || imp.Import == "" || imp.Block[0].Module != "shell" {
		t.Errorf("import_tasks not inlined as a block: %+v", imp)
	}
	if p.Tasks[3].IncludeTasks != "{{ file }}" {
		t.Errorf("include_tasks = %q", p.Tasks[3].IncludeTasks)
	}
	if p.Handlers[0].Listen[0] != "web restart" {
		t.Errorf("listen = %v", p.Handlers[0].Listen)
	}
}

func TestParseErrorsNamePosition(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown task keyword", "- hosts: all\n  tasks:\n    - debug: {}\n      whne: x\n", []string{"site.yaml:4:7", `"whne"`, `did you mean "when"`}},
		{"unknown module", "- hosts: all\n  tasks:\n    - comand: ls\n", []string{"site.yaml:3:7", `"comand"`, `did you mean "command"`}},
		{"two modules", "- hosts: all\n  tasks:\n    - debug: {}\n      command: ls\n", []string{"site.yaml:3:7", "command and debug"}},
		{"no action", "- hosts: all\n  tasks:\n    - name: nothing\n", []string{"site.yaml:3:7", "has no action"}},
		{"unknown play keyword", "- hosts: all\n  taks: []\n", []string{"site.yaml:2:3", `"taks"`, `did you mean "tasks"`}},
		{"missing hosts", "- name: x\n  tasks: []\n", []string{"site.yaml:1:3", "no hosts"}},
		{"wrong type", "- hosts: all\n  gather_facts: maybe\n", []string{"site.yaml:2:17", "gather_facts", "boolean"}},
		{"retries type", "- hosts: all\n  tasks:\n    - debug: {}\n      retries: lots\n", []string{"site.yaml:4:16", "retries", "whole number"}},
		{"bad module param", "- hosts: all\n  tasks:\n    - debug: {mgs: hi}\n", []string{"site.yaml:3:14", `"mgs"`, `did you mean "msg"`}},
		{"param type", "- hosts: all\n  tasks:\n    - debug: {verbosity: [1]}\n", []string{"site.yaml:3:14", "verbosity", "whole number"}},
		{"yaml syntax", "- hosts: all\n  tasks: [\n", []string{"site.yaml:", "YAML syntax error"}},
		{"not a list", "hosts: all\n", []string{"site.yaml:1:1", "list of plays"}},
		{"bad expression", "- hosts: all\n  tasks:\n    - debug: {}\n      when: x ==\n", []string{"site.yaml:4:13", "invalid expression"}},
		{"bad template", "- hosts: all\n  tasks:\n    - debug: {msg: \"{{ x \"}\n", []string{"site.yaml:3:20", "invalid template"}},
		{"go template", "- hosts: all\n  tasks:\n    - debug: {msg: \"hi {{ .name }}\"}\n", []string{"site.yaml:3:20", `invalid template "hi {{ .name }}": invalid expression`, "Go template syntax"}},
		{"go template index", "- hosts: all\n  tasks:\n    - debug: {}\n      when: x != (index .groups.master 0)\n", []string{"site.yaml:4:13", "groups.master[0]"}},
		{"unknown handler", "- hosts: all\n  tasks:\n    - debug: {}\n      notify: restat\n  handlers:\n    - name: restart\n      debug: {}\n", []string{"site.yaml:3:7", `"restat"`, `did you mean "restart"`}},
		{"rescue without block", "- hosts: all\n  tasks:\n    - debug: {}\n      rescue: []\n", []string{"site.yaml:3:7", "need a block"}},
		{"duplicate key", "- hosts: all\n  tasks:\n    - debug: {}\n      when: a\n      when: b\n", []string{"site.yaml:5:7", "appears twice"}},
		{"bad meta", "- hosts: all\n  tasks:\n    - meta: flush_handler\n", []string{"site.yaml:3:13", `did you mean "flush_handlers"`}},
		{"missing vars file", "- hosts: all\n  vars_files: [nope.yaml]\n", []string{"site.yaml:2:16", "nope.yaml"}},
		{"import cycle", "- hosts: all\n  tasks:\n    - import_tasks: site.yaml\n", []string{"site.yaml"}},
		{"self import playbook", "- import_playbook: site.yaml\n", []string{"import cycle"}},
		{"loop on block", "- hosts: all\n  tasks:\n    - block: [{debug: {}}]\n      loop: [1]\n", []string{"site.yaml:3:7", "cannot loop"}},
		{"max fail range", "- hosts: all\n  max_fail_percentage: 150\n", []string{"site.yaml:2:24", "between 0 and 100"}},
		{"register name", "- hosts: all\n  tasks:\n    - debug: {}\n      register: a-b\n", []string{"site.yaml:4:17", "valid variable name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"site.yaml": tc.yaml})
			wd, _ := os.Getwd()
			if err := os.Chdir(dir); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = os.Chdir(wd) }()
			_, err := playbook.Load("site.yaml")
			if err == nil {
				t.Fatalf("no error for %s", tc.name)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadVarsFileErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"v.yaml": "a: 1\nb: [\n", "list.yaml": "- 1\n"})
	if _, err := playbook.LoadVarsFile(filepath.Join(dir, "v.yaml")); err == nil || !strings.Contains(err.Error(), "v.yaml:") {
		t.Errorf("syntax error should name the file and line, got %v", err)
	}
	if _, err := playbook.LoadVarsFile(filepath.Join(dir, "list.yaml")); err == nil || !strings.Contains(err.Error(), "list.yaml:1:1") {
		t.Errorf("a list is not a vars file; got %v", err)
	}
}

func FuzzParsePlaybook(f *testing.F) {
	seeds := []string{
		"- hosts: all\n  tasks:\n    - debug: {msg: hi}\n",
		"- hosts: all\n  tasks:\n    - block: [{command: ls}]\n      rescue: [{fail: {}}]\n",
		"- hosts: a:&b\n  serial: 30%\n  tasks: [{shell: 'echo {{ x }}', when: [a, b]}]\n",
		"&a [*a]", "- !!binary xx", "- hosts: [1, {a: b}]",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		_, _ = playbook.Parse("fuzz.yaml", []byte(data), "/nonexistent/fuzz.yaml")
	})
}

func TestOctalLiteralsKeepTheirZero(t *testing.T) {
	dir := writeFiles(t, map[string]string{"site.yaml": "- hosts: all\n  tasks:\n    - file: {path: /x, mode: 0644}\n    - file: {path: /y, mode: 755}\n"})
	pb, err := playbook.Load(filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if m := pb.Plays[0].Tasks[0].Args["mode"]; m != "0644" {
		t.Errorf("mode: 0644 decoded as %#v, want the string \"0644\"", m)
	}
	if m := pb.Plays[0].Tasks[1].Args["mode"]; m != 755 {
		t.Errorf("mode: 755 decoded as %#v", m)
	}
}
