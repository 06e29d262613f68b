package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/playbook/schema"
)

// parse runs the strict parser on a playbook with a task file beside it.
func parse(t *testing.T, doc string) error {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"more.yaml":  "- debug: {msg: more}\n",
		"other.yaml": "- hosts: all\n  tasks: []\n",
		"vars.yaml":  "a: 1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "site.yaml")
	_, err := playbook.Parse(path, []byte(doc), path)
	return err
}

// play wraps tasks (indented by 4) in a play.
func play(tasks string) string { return "- hosts: all\n  tasks:\n" + tasks }

var goodPlaybooks = map[string]string{
	"kitchen sink": `
- name: web
  hosts: [web, db]
  serial: [1, "50%"]
  max_fail_percentage: "20%"
  any_errors_fatal: yes
  become: true
  become_user: root
  gather_facts: no
  check_mode: false
  diff: 1
  tags: a,b
  environment: {LANG: C}
  ignore_unreachable: false
  force_handlers: true
  no_log: false
  vars: {port: 80}
  vars_files: [vars.yaml, [missing.yaml, vars.yaml]]
  required_vars: {host: the master to recover onto}
  pre_tasks:
    - setup:
  tasks:
    - name: hello
      debug: msg="hi {{ port }}"
      tags: [a]
      when: port > 1
      loop: [1, 2]
      loop_control: {loop_var: x, index_var: i, label: "{{ x }}"}
      register: out
      notify: restart
      ignore_errors: true
      changed_when: false
      failed_when: [out.rc != 0, "'ERR' in out.stdout"]
      until: out != nil
      retries: "5"
      delay: 0.5
      run_once: true
      delegate_to: localhost
      no_log: true
      vars: {a: 1}
    - block:
        - command: echo hi creates=/tmp/x
          args: {chdir: /tmp}
        - shell: "echo {{ x }} | cat"
      rescue:
        - fail: {msg: boom}
      always:
        - meta: flush_handlers
    - import_tasks: more.yaml
      tags: imported
    - include_tasks: "{{ file }}"
      loop: "{{ files }}"
    - file: {dest: /tmp/d, state: directory, mode: 0755, recurse: "{{ deep }}"}
    - copy: src=a dest=/tmp/b backup=yes
    - template:
      args: {src: a.tmpl, dest: /tmp/a}
    - systemd: {name: x, daemon-reload: on, state: "{{ svc_state }}"}
    - wait_for: {port: 5000, timeout: "30"}
    - set_fact: {anything: goes, cacheable: false}
  post_tasks: []
  handlers:
    - name: restart
      listen: [web restart]
      debug: {msg: restarting}
    - listen: other
      block:
        - name: nested handler
          debug:
- import_playbook: other.yaml
  tags: [x]
`,
	"Ansible's names and include forms": play(`    - ansible.builtin.copy: {content: x, dest: /tmp/x}
    - ansible.legacy.command: echo hi
    - ansible.builtin.template:
        src: a.j2
        dest: /tmp/a
    - ansible.builtin.include_tasks: more.yaml
    - ansible.builtin.import_tasks: more.yaml
    - ansible.builtin.meta: flush_handlers
    - include_tasks: file=more.yaml
    - include_tasks: {file: more.yaml}
`),
}

func init() {
	goodPlaybooks["FQCN module and action names"] = play(`    - ansible.builtin.copy: {src: a, dest: /tmp/b}
    - ansible.legacy.command: echo hi
      args: {chdir: /tmp}
    - ansible.builtin.template:
      args: {src: a.j2, dest: /tmp/a}
    - ansible.builtin.debug: {msg: hi}
    - ansible.builtin.include_tasks: more.yaml
    - ansible.builtin.import_tasks: more.yaml
    - ansible.legacy.include_role: {name: "{{ role }}"}
    - ansible.builtin.meta: flush_handlers
`)
	badPlaybooks["FQCN misspelt module param"] = play("    - ansible.builtin.copy: {src: a, dset: /tmp/b}\n")
	badPlaybooks["FQCN missing required param"] = play("    - ansible.legacy.template: {src: a}\n")
	badPlaybooks["FQCN and short name together"] = play("    - ansible.builtin.debug: {msg: hi}\n      debug: {msg: hi}\n")
	badPlaybooks["FQCN of a collection"] = play("    - community.general.copy: {src: a, dest: /b}\n")
	badPlaybooks["FQCN args misspelt"] = play("    - ansible.builtin.command: echo hi\n      args: {chdri: /tmp}\n")
}

var badPlaybooks = map[string]string{
	"misspelt module param":       play("    - copy: {src: a, dset: /tmp/b}\n"),
	"misspelt param in args":      play("    - command: echo hi\n      args: {chdri: /tmp}\n"),
	"unknown task keyword":        play("    - debug: {msg: hi}\n      wehn: x\n"),
	"unknown module":              play("    - debgu: {msg: hi}\n"),
	"unknown play keyword":        "- hosts: all\n  task: []\n",
	"play without hosts":          "- name: x\n  tasks: []\n",
	"two modules in one task":     play("    - debug: {msg: hi}\n      command: echo hi\n"),
	"module and block":            play("    - debug: {msg: hi}\n      block: []\n"),
	"no action":                   play("    - name: nothing\n"),
	"missing required param":      play("    - template: {src: a}\n"),
	"required param as null":      play("    - template:\n"),
	"choice not allowed":          play("    - file: {path: /x, state: dir}\n"),
	"bool param not a bool":       play("    - copy: {src: a, dest: /b, backup: maybe}\n"),
	"int param not a number":      play("    - wait_for: {port: 5000, timeout: soon}\n"),
	"dict param a list":           play("    - set_fact: {cacheable: no}\n      environment: [a]\n"),
	"free-form on key=value only": play("    - copy: just some text\n"),
	"unknown meta action":         play("    - meta: flush_handler\n"),
	"listen on a task":            play("    - debug: {msg: hi}\n      listen: x\n"),
	"handler without name":        "- hosts: all\n  handlers:\n    - debug: {msg: hi}\n",
	"rescue without block":        play("    - debug: {msg: hi}\n      rescue: []\n"),
	"block with a loop":           play("    - block: []\n      loop: [1]\n"),
	"loop and with_items":         play("    - debug: {msg: hi}\n      loop: [1]\n      with_items: [2]\n"),
	"unknown loop_control key":    play("    - debug: {msg: hi}\n      loop: [1]\n      loop_control: {loop_vars: x}\n"),
	"register not a variable":     play("    - debug: {msg: hi}\n      register: my-result\n"),
	"retries not a number":        play("    - debug: {msg: hi}\n      retries: many\n"),
	"become not a bool":           play("    - debug: {msg: hi}\n      become: sudo\n"),
	"import_playbook extra key":   "- import_playbook: other.yaml\n  hosts: all\n",
	"serial negative":             "- hosts: all\n  serial: -1\n",
	"tasks not a list":            "- hosts: all\n  tasks: {debug: {}}\n",
	"playbook not a list":         "hosts: all\n",
	"FQCN missing required param": play("    - ansible.builtin.template: {src: a}\n"),
	"FQCN and module in one task": play("    - ansible.builtin.debug: {msg: hi}\n      command: echo hi\n"),
	"include_tasks unknown key":   play("    - include_tasks: {fiel: more.yaml}\n"),
}

// TestSchemaAgreesWithParser checks each case against both the strict
// parser and the schema: the good ones must pass both, the bad ones fail
// both (so each bad case really is one the parser rejects).
func TestSchemaAgreesWithParser(t *testing.T) {
	s := compile(t, schema.Playbook)
	for name, doc := range goodPlaybooks {
		if err := parse(t, doc); err != nil {
			t.Fatalf("%s: the parser rejects it: %v", name, err)
		}
		if err := validate(s, []byte(doc)); err != nil {
			t.Errorf("%s: the schema rejects what the parser accepts:\n%v", name, err)
		}
	}
	for name, doc := range badPlaybooks {
		if err := parse(t, doc); err == nil {
			t.Errorf("%s: the parser accepts it; the case is wrong", name)
		}
		if err := validate(s, []byte(doc)); err == nil {
			t.Errorf("%s: the schema accepts what the parser rejects:\n%s", name, doc)
		}
	}
}

// TestSchemaDescribesModules checks what an editor shows: each module's
// parameters with their documentation, choices, defaults and aliases.
func TestSchemaDescribesModules(t *testing.T) {
	b := schema.Build(schema.Playbook)
	file := b.Definitions["module.file.args"]
	if file == nil {
		t.Fatal("no definition for the file module's parameters")
	}
	for _, p := range []string{"path", "dest", "name", "state", "mode", "owner"} {
		if file.Properties[p] == nil {
			t.Errorf("file: no property %q", p)
		}
	}
	if file.AdditionalProperties != false {
		t.Errorf("file: additionalProperties = %v, want false", file.AdditionalProperties)
	}
	if d := file.Properties["dest"].Description; !strings.HasPrefix(d, "Alias of path.") {
		t.Errorf("file dest: description %q does not say it is an alias", d)
	}
	state := file.Properties["state"]
	if len(state.AnyOf) == 0 || !strings.Contains(strings.Join(anyStrings(state.AnyOf[0].Enum), ","), "directory") {
		t.Errorf("file state: no enum of the choices: %+v", state)
	}
	if cmd := b.Definitions["module.command.args"].Properties["stdin_add_newline"]; cmd == nil || cmd.Default != true || cmd.Description == "" {
		t.Errorf("command stdin_add_newline: want default true and a description, got %+v", cmd)
	}
	if sf := b.Definitions["module.set_fact.args"]; sf.AdditionalProperties != nil {
		t.Errorf("set_fact takes any key, but additionalProperties = %v", sf.AdditionalProperties)
	}
	task := b.Definitions["task"]
	for _, k := range append(playbook.TaskKeywords(), "command", "copy") {
		if k == "listen" {
			if task.Properties[k] != nil {
				t.Error("tasks must not take listen: (handlers only)")
			}
			continue
		}
		if task.Properties[k] == nil {
			t.Errorf("task: no property %q", k)
		}
	}
}

func anyStrings(vs []any) []string {
	var out []string
	for _, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
