package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// errorCase is one error an operator can meet: the command, the exit code,
// and the parts of the message that locate the problem (file:line, host,
// task) and say what to do next.
type errorCase struct {
	name  string
	files map[string]string
	args  []string
	code  int
	want  []string
}

// runErrorCases runs each case and checks the binary did not crash, its exit
// code and its message; also, when given, checks more of each result.
func runErrorCases(t *testing.T, cases []errorCase, also ...func(t *testing.T, r result)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runbook(t, workdir(t, tc.files), tc.args...)
			noCrash(t, r)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r)
			}
			mustContain(t, r, tc.want...)
			for _, check := range also {
				check(t, r)
			}
		})
	}
}

const okPlay = "- hosts: web\n  gather_facts: false\n  tasks: [{debug: {msg: hi}}]\n"

// TestUsageErrorsSayWhatToDo: command-line mistakes exit 5 and show the
// usage, the closest command or flag, or the accepted values.
func TestUsageErrorsSayWhatToDo(t *testing.T) {
	site := map[string]string{"site.yaml": okPlay, "hosts": localHosts}
	runErrorCases(t, []errorCase{
		{"no playbook", nil, []string{"play"}, 5, []string{"accepts 1 arg(s), received 0", "Usage: runbook play PLAYBOOK [flags]", "'runbook play --help'"}},
		{"two playbooks", nil, []string{"play", "a.yaml", "b.yaml"}, 5, []string{"received 2", "Usage: runbook play PLAYBOOK"}},
		{"misspelt command", nil, []string{"plya", "site.yaml"}, 5, []string{`unknown command "plya"`, "play", "runbook --help"}},
		{"misspelt subcommand", nil, []string{"playbooks", "lst"}, 5, []string{`unknown command "lst"`, `did you mean "list"?`, "takes a command: export, list"}},
		{"unknown shell", nil, []string{"completion", "tcsh"}, 5, []string{`unknown command "tcsh"`, "bash, fish, powershell, zsh"}},
		{"misspelt flag", site, []string{"play", "site.yaml", "--acept-new-host-keys"}, 5, []string{"unknown flag: --acept-new-host-keys", "did you mean --accept-new-host-keys?", "'runbook play --help'"}},
		{"unknown flag", site, []string{"play", "site.yaml", "--zzz"}, 5, []string{"unknown flag: --zzz", "'runbook play --help'"}},
		{"bad forks", site, []string{"play", "site.yaml", "-i", "hosts", "--forks", "0"}, 5, []string{"--forks must be at least 1"}},
		{"inventory needs a mode", nil, []string{"inventory"}, 5, []string{"give exactly one of --list, --graph or --host NAME"}},
		{"missing playbook", nil, []string{"play", "nope.yaml"}, 3, []string{"the playbook nope.yaml could not be found", "'runbook playbooks list'"}},
		{"bad extra var", site, []string{"play", "site.yaml", "-i", "hosts", "-e", "foo"}, 5, []string{`"foo" is not key=value`, "use -e key=value, -e @file.yaml"}},
		{"unquoted spaces in -e", site, []string{"play", "site.yaml", "-i", "hosts", "-e", "a=1", "-e", "motd=two words"}, 5, []string{"-e #2 (motd=…): word 2 (after motd=…) is not key=value", `-e 'motd="two words"'`}},
		{"bad -e object", site, []string{"play", "site.yaml", "-i", "hosts", "-e", `{"a": [1}`}, 5, []string{"-e: not a valid JSON/YAML object", "-e:1"}},
		{"missing vars file", site, []string{"play", "site.yaml", "-i", "hosts", "-e", "@vars.yaml"}, 3, []string{"-e @vars.yaml", "vars.yaml"}},
	})
}

// TestPlaybookErrorsNameFileAndLine: nothing runs when a playbook is
// invalid (exit 3), and the error names file:line:column and the fix.
func TestPlaybookErrorsNameFileAndLine(t *testing.T) {
	play := func(tasks string) map[string]string {
		return map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n" + tasks, "hosts": localHosts}
	}
	args := []string{"play", "site.yaml", "-i", "hosts"}
	runErrorCases(t, []errorCase{
		{"unknown module", play("    - name: list\n      comand: ls\n"), args, 3, []string{"site.yaml:5:7", `"comand"`, `did you mean "command"`}},
		{"unknown keyword", play("    - debug: {msg: hi}\n      whne: x\n"), args, 3, []string{"site.yaml:5:7", `did you mean "when"`}},
		{"wrong type", play("    - debug: {msg: hi}\n      retries: lots\n"), args, 3, []string{"site.yaml:5:16", "retries", "whole number"}},
		{"YAML syntax", play("    - debug: {msg: hi\n"), args, 3, []string{"site.yaml:", "YAML syntax error"}},
		{"Go template", play("    - debug: {msg: \"{{ .name }}\"}\n"), args, 3, []string{"site.yaml:4:20", "Go template syntax", "`name` not `.name`"}},
		{"bad choice", play("    - file: {path: /tmp/x, state: dirctory}\n"), args, 3, []string{"site.yaml:4:13", `value "dirctory" is not one of`, `did you mean "directory"?`}},
		{"missing parameter", play("    - copy: {src: a}\n"), args, 3, []string{"site.yaml:4:13", `parameter "dest": required parameter is missing`, "'runbook doc copy'"}},
		{"unknown parameter", play("    - debug: {mgs: hi}\n"), args, 3, []string{"site.yaml:4:14", `did you mean "msg"?`, "supported: msg, var, verbosity"}},
		{"two modules", play("    - {debug: {msg: a}, command: ls}\n"), args, 3, []string{"site.yaml:4:7", "only one action", "command and debug"}},
		{"unknown play keyword", map[string]string{"site.yaml": "- hosts: web\n  serail: 1\n  tasks: []\n", "hosts": localHosts}, args, 3, []string{"site.yaml:2:3", `unknown play keyword "serail"`, `did you mean "serial"?`}},
		{"wrong play value", map[string]string{"site.yaml": "- hosts: web\n  serial: {a: 1}\n  tasks: []\n", "hosts": localHosts}, args, 3, []string{"site.yaml:2:11", "serial must be"}},
		{"bad loop_control", play("    - {debug: {msg: a}, loop: [1], loop_control: {lop_var: x}}\n"), args, 3, []string{"site.yaml:4:51", `did you mean "loop_var"?`}},
		{"error in an imported file", map[string]string{"site.yaml": "- hosts: web\n  tasks:\n    - import_tasks: t.yaml\n", "t.yaml": "- debug: {msg: a}\n  whn: x\n", "hosts": localHosts}, args, 3, []string{"t.yaml:2:3", `did you mean "when"?`}},
	})
}

// TestNothingRunsWhenInvalid: an error anywhere in the playbook (here in
// the second play) stops the run before the first task.
func TestNothingRunsWhenInvalid(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": `- hosts: web
  gather_facts: false
  tasks:
    - {command: "touch $DIR/ran"}
- hosts: web
  tasks:
    - {debug: {msg: a}, retries: many}
`})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if r.code != 3 || !strings.Contains(r.stderr, "site.yaml:7:") {
		t.Errorf("want exit 3 naming line 7: %s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("a task ran although the playbook did not validate")
	}
}

// TestInventoryErrorsSayWhatToDo: an inventory problem names the source
// (and line) and what was expected.
func TestInventoryErrorsSayWhatToDo(t *testing.T) {
	runErrorCases(t, []errorCase{
		{"address without comma", map[string]string{"site.yaml": okPlay}, []string{"play", "site.yaml", "-i", "127.0.11.9"}, 3, []string{"127.0.11.9: inventory source does not exist", "-i 127.0.11.9,"}},
		{"missing file", map[string]string{"site.yaml": okPlay}, []string{"play", "site.yaml", "-i", "hosts.ini"}, 3, []string{"hosts.ini: inventory source does not exist", "a host list such as -i 'h1,h2,'"}},
		{"bad INI line", map[string]string{"hosts": "[web]\nh1 foo\n"}, []string{"inventory", "-i", "hosts", "--list"}, 3, []string{"hosts:2:", `"foo" is not key=value`}},
		{"unknown host", nil, []string{"inventory", "-i", "web1,web2,", "--host", "web3"}, 3, []string{`host "web3" is not in the inventory`, `did you mean "web1"?`, "'runbook inventory --graph'"}},
	})
}

// TestRunErrorsNameTaskAndHost: a failure while running names the task,
// its file:line and the host, and how to fix it.
func TestRunErrorsNameTaskAndHost(t *testing.T) {
	play := func(task string) map[string]string {
		return map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: greet\n" + task, "hosts": localHosts}
	}
	args := []string{"play", "site.yaml", "-i", "hosts"}
	runErrorCases(t, []errorCase{
		{"undefined variable", play("      debug: {msg: \"{{ greeting }}\"}\n"), args, 2,
			[]string{`task \"greet\" (site.yaml:4:7) on host h1`, `undefined variable \"greeting\"`, "-e greeting=VALUE", "greeting ?? default"}},
		{"undefined fact", play("      debug: {msg: hi}\n      when: ansible_distribution == 'Debian'\n"), args, 2,
			[]string{`task \"greet\" (site.yaml:4:7) on host h2`, "when: undefined variable", "gather_facts"}},
		{"bad value after rendering", play("      file: {path: /tmp/x, state: \"{{ s }}\"}\n      vars: {s: dirctory}\n"), args, 2,
			[]string{`task \"greet\" (site.yaml:4:7) on host h1`, `did you mean \"directory\"?`}},
		{"evaluation error", play("      debug: {msg: \"{{ 1 / s }}\"}\n      vars: {s: a}\n"), args, 2,
			[]string{`task \"greet\" (site.yaml:4:7) on host h1`, `error evaluating expression \"1 / s\"`}},
		{"module error", play("      copy: {content: x, dest: /nonexistent-runbook-dir/x}\n"), args, 2,
			[]string{`fatal: [h1]: FAILED!`, `task \"greet\" (site.yaml:4:7) on host h1: copy on h1: /nonexistent-runbook-dir/x`}},
		{"unknown connection", map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks: [{command: 'true'}]\n", "hosts": "[web]\nh1 ansible_connection=ssh2\n"}, args, 4,
			[]string{"fatal: [h1]: UNREACHABLE!", `unsupported ansible_connection \"ssh2\" (supported: local, ssh)`}},
	})
}

func TestErrorCasesStayShort(t *testing.T) {
	// The usage hint is one line after the error: no wall of help text.
	r := runbook(t, t.TempDir(), "play")
	if lines := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; lines > 2 {
		t.Errorf("a usage error takes %d lines:\n%s", lines, r.stderr)
	}
}
