package test

import (
	"strings"
	"testing"
)

// TestBadInputRuntimeErrors: a value that turns out wrong only while
// running fails the host (exit 2) with a message naming the task, its
// file:line and the host, printed in the text output (not only counted in
// the recap), and saying what to do.
func TestBadInputRuntimeErrors(t *testing.T) {
	play := func(tasks string) map[string]string {
		return map[string]string{"hosts": localHosts, "t_bad.yaml": "- debug: {msg: a\n",
			"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: the task\n" + tasks}
	}
	args := []string{"play", "site.yaml", "-i", "hosts", "-l", "h1"}
	cases := []errorCase{
		{"loop over a string", play("      debug: {msg: \"{{ item }}\"}\n      loop: \"{{ s }}\"\n      vars: {s: abc}\n"), args, 2,
			[]string{"fatal: [h1]: FAILED!", `task \"the task\" (site.yaml:4:7) on host h1: loop: expected a list, got the string \"abc\"`}},
		{"loop over a mapping", play("      debug: {msg: \"{{ item }}\"}\n      loop: \"{{ m }}\"\n      vars: {m: {a: 1}}\n"), args, 2,
			[]string{"fatal: [h1]: FAILED!", "(site.yaml:4:7) on host h1: loop: expected a list, got a mapping", "dict2items(...)"}},
		{"loop over a number", play("      debug: {msg: \"{{ item }}\"}\n      loop: \"{{ n }}\"\n      vars: {n: 5}\n"), args, 2,
			[]string{"fatal: [h1]: FAILED!", "loop: expected a list, got 5 (a number)"}},
		{"loop over an undefined variable", play("      debug: {msg: \"{{ item }}\"}\n      loop: \"{{ nope }}\"\n"), args, 2,
			[]string{"fatal: [h1]: FAILED!", `(site.yaml:4:7) on host h1: loop: undefined variable \"nope\"`}},
		{"division by zero", play("      debug: {msg: \"{{ 1 / n }}\"}\n      vars: {n: 0}\n"), args, 2,
			[]string{"fatal: [h1]: FAILED!", `(site.yaml:4:7) on host h1: arguments: at msg: error evaluating expression \"1 / n\"`, "a division by zero?"}},
		{"include_tasks of a file with a syntax error", play("      include_tasks: \"{{ f }}\"\n      vars: {f: t_bad.yaml}\n"), args, 2,
			[]string{"fatal: [h1]: FAILED!", `(site.yaml:4:7) on host h1: include_tasks: t_bad.yaml:2: YAML syntax error`}},
	}
	runErrorCases(t, cases, func(t *testing.T, r result) {
		if strings.Contains(r.stdout, "<unencodable>") {
			t.Errorf("a value no output can print was passed on\n%s", r)
		}
	})
	// The same loop failure in a JSON line carries the message as well.
	r := runbook(t, workdir(t, cases[0].files), append(args, "--output", "json")...)
	mustContain(t, r, `"status":"failed","loop":true`, `loop: expected a list, got the string \"abc\"`)
}

// TestBadInputRegisterClash: registering under a name runbook sets itself
// (hostvars, groups, inventory_hostname …) would silently lose the result:
// it is refused before anything runs, at the register's file:line.
func TestBadInputRegisterClash(t *testing.T) {
	for _, name := range []string{"hostvars", "groups", "inventory_hostname", "group_names", "omit"} {
		t.Run(name, func(t *testing.T) {
			dir := workdir(t, map[string]string{"hosts": localHosts,
				"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: touch ran\n      register: " + name + "\n"})
			r := runbook(t, dir, "play", "site.yaml", "-i", "hosts")
			noCrash(t, r)
			if r.code != 3 {
				t.Errorf("exit %d, want 3\n%s", r.code, r)
			}
			mustContain(t, r, "site.yaml:5:17", `register: "`+name+`" is a variable runbook sets itself`, "choose another name")
			if strings.Contains(r.stdout, "PLAY [") {
				t.Errorf("the play started\n%s", r)
			}
		})
	}
}
