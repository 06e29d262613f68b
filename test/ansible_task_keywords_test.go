package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Task keywords Ansible content uses: local_action/action, delegate_facts,
// throttle, vars_prompt, async/poll (issue 18). Each playbook runs with
// runbook and, when installed, ansible-playbook, with the same recap.

// TestLocalAction: local_action runs the module named in its value on the
// controller (free-form or a mapping with module:), and action: runs it on
// the host. The inventory host is on a closed loopback port, so only tasks
// that really run locally succeed.
func TestLocalAction(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: h1
  gather_facts: false
  tasks:
    - name: start without the file
      local_action: command rm -f $DIR/made
      changed_when: false
    - name: free-form
      local_action: command echo local-free-form
      register: r
    - assert: {that: ["r.stdout == 'local-free-form'"]}
      delegate_to: localhost
    - name: mapping
      local_action:
        module: ansible.builtin.copy
        content: "made here\n"
        dest: "$DIR/made"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: action runs the module on the host
      action: command echo on-host
      register: r
    - assert: {that: ["r.stdout == 'on-host'"]}
`})
	r := runOracle(t, dir, "h1 ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody\n")
	if b, err := os.ReadFile(filepath.Join(dir, "made")); err != nil || string(b) != "made here\n" {
		t.Errorf("local_action copy did not write on the controller: %q %v\n%s", b, err, r)
	}
	got := recap(t, r.stdout)["h1"]
	if r.code != 0 || got["ok"] != 4 || got["changed"] != 2 || got["unreachable"] != 0 {
		t.Errorf("exit %d, recap %v, want exit 0, h1 ok=4 changed=2\n%s", r.code, got, r)
	}
}

// TestLocalActionErrors: a local_action that names no module, an unknown
// one, or contradicts delegate_to is refused at parse time naming file:line.
func TestLocalActionErrors(t *testing.T) {
	for _, tc := range []struct{ task, want string }{
		{"local_action: {src: a, dest: b}", "site.yaml:4:21: local_action: needs module:"},
		{"local_action: comand echo hi", `site.yaml:4:21: local_action: unknown module "comand" (did you mean "command"?)`},
		{"local_action: command echo hi\n      delegate_to: db1", `site.yaml:4:7: task "command": local_action runs on localhost, and delegate_to: db1`},
	} {
		dir := workdir(t, map[string]string{"site.yaml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - " + tc.task + "\n"})
		r := runbook(t, dir, "play", "site.yaml", "-i", "localhost,")
		if r.code != 3 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: want exit 3 and %q:\n%s", tc.task, tc.want, r)
		}
	}
}

// TestThrottle: throttle: 1 runs the task on one host at a time (each holds
// a lock directory while it sleeps; a second host at once fails mkdir), on
// a task and inherited from a block; without it the hosts run at once (each
// leaves a mark and waits, at most ten seconds, until all three marks are
// there — which only hosts running together can do).
func TestThrottle(t *testing.T) {
	site := `
- hosts: all
  gather_facts: false
  tasks:
    - name: one at a time
      shell: mkdir $DIR/lock && sleep 0.3 && rmdir $DIR/lock
      throttle: 1
    - block:
        - shell: mkdir $DIR/lock2 && sleep 0.3 && rmdir $DIR/lock2
      throttle: 1
`
	hosts := "h1 ansible_connection=local\nh2 ansible_connection=local\nh3 ansible_connection=local\n"
	dir := workdir(t, map[string]string{"site.yaml": site})
	r := runOracle(t, dir, hosts)
	if r.code != 0 || strings.Count(r.stdout, "changed: [") != 6 {
		t.Fatalf("want every host to take the lock in turn:\n%s", r)
	}
	together := `
- hosts: all
  gather_facts: false
  tasks:
    - shell: |
        touch $DIR/mark-{{ inventory_hostname }}
        for i in $(seq 100); do
          [ "$(ls $DIR | grep -c '^mark-')" = 3 ] && exit 0
          sleep 0.1
        done
        exit 1
      THROTTLE
`
	for _, throttle := range []string{"", "throttle: 0"} {
		dir = workdir(t, map[string]string{"site.yaml": strings.ReplaceAll(together, "THROTTLE", throttle)})
		if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hosts), 0o644); err != nil {
			t.Fatal(err)
		}
		r = runbook(t, dir, "play", "site.yaml", "-i", "hosts")
		if r.code != 0 || strings.Count(r.stdout, "changed: [") != 3 {
			t.Errorf("%q: the hosts should run the task at once:\n%s", throttle, r)
		}
	}
}

// TestVarsPrompt: with standard input not a terminal, -e answers a prompt
// (not asked), a default is used — in hosts: too — and a
// prompt with neither is refused before anything runs, naming the play, the
// variable and -e.
func TestVarsPrompt(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- name: greet
  hosts: "{{ target }}"
  gather_facts: false
  vars_prompt:
    - name: who
      prompt: Whom to greet?
      default: world
      private: false
    - name: color
      prompt: Which color?
      default: blue
    - name: target
      prompt: Which hosts?
      default: localhost
  tasks:
    - debug: {msg: "hello {{ who }} in {{ color }}"}
`})
	r := runOracle(t, dir, "localhost ansible_connection=local\n", "-e", "color=red")
	mustContain(t, r, "hello world in red")

	dir = workdir(t, map[string]string{"site.yaml": `
- name: deploy
  hosts: all
  gather_facts: false
  vars_prompt:
    - name: release
      prompt: Which release?
  tasks:
    - command: touch $DIR/ran
`})
	r = runbook(t, dir, "play", "site.yaml", "-i", "localhost,")
	mustContain(t, r, `site.yaml:6:7: play "deploy": vars_prompt "release" needs an answer, and standard input is not a terminal`,
		"give it with -e release=VALUE")
	if _, err := os.Stat(filepath.Join(dir, "ran")); r.code == 0 || err == nil {
		t.Errorf("a play with an unanswerable prompt ran:\n%s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "localhost,", "-e", "release=1.2")
	if _, err := os.Stat(filepath.Join(dir, "ran")); r.code != 0 || err != nil {
		t.Errorf("-e did not answer the prompt:\n%s", r)
	}
}

// TestAsync: async with a poll interval waits for the task, async being its
// time limit (Ansible's message when it runs over).
func TestAsync(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - command: echo done
      async: 30
      poll: 1
      register: r
    - assert: {that: ["r.stdout == 'done'", "r is changed"]}
    - command: sleep 10
      async: 1
      poll: 1
      ignore_errors: true
      register: slow
    - assert: {that: ["slow is failed", "'did not complete within the requested time' in slow.msg"]}
`})
	r := runIdioms(t, dir)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r, "async task did not complete within the requested time - 1s")
}

// TestAsyncBackground: poll: 0 leaves the task running while the play goes
// on, and async_status (with until:) reports it unfinished, then finished
// with the task's own result — a failure too; a background task past its
// async limit fails; a background task cannot loop (refused at parse time).
func TestAsyncBackground(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - command: rm -f $DIR/go
      changed_when: false
    - name: start
      shell: while [ ! -e $DIR/go ]; do sleep 0.1; done; echo bg-done
      async: 30
      poll: 0
      register: job
    - assert: {that: ["job.ansible_job_id is defined", "job.finished == 0", "job.started == 1", "job is changed"]}
    - name: still running
      async_status: {jid: "{{ job.ansible_job_id }}"}
      register: early
    - assert: {that: ["early.finished == 0"]}
    - name: let it finish
      command: touch $DIR/go
    - name: wait
      async_status: {jid: "{{ job.ansible_job_id }}"}
      register: st
      until: st.finished
      retries: 50
      delay: 1
    - assert: {that: ["st.stdout == 'bg-done'", "st.rc == 0", "st is changed", "st.finished == 1"]}
    - name: a failing one
      command: sh -c 'echo oops >&2; exit 3'
      async: 30
      poll: 0
      register: bad
    - async_status: {jid: "{{ bad.ansible_job_id }}"}
      register: bst
      until: bst.finished
      retries: 50
      delay: 1
      ignore_errors: true
    - assert: {that: ["bst is failed", "bst.rc == 3"]}
    - async_status: {jid: "{{ bad.ansible_job_id }}", mode: cleanup}
    - name: one over its limit
      command: sleep 20
      async: 1
      poll: 0
      register: slow
    - async_status: {jid: "{{ slow.ansible_job_id }}"}
      register: sst
      until: sst.finished
      retries: 50
      delay: 1
      ignore_errors: true
    - assert: {that: ["sst is failed"]}
`})
	r := runIdioms(t, dir)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}

	dir = workdir(t, map[string]string{"site.yaml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: bg\n      command: sleep 1\n      loop: [1, 2]\n      async: 100\n      poll: 0\n"})
	r = runbook(t, dir, "play", "site.yaml", "-i", "localhost,")
	mustContain(t, r, `site.yaml:4:7: task "bg": async with poll: 0 cannot loop in runbook`)
	if r.code != 3 {
		t.Errorf("want exit 3:\n%s", r)
	}
}

// TestUntilKeepsFailure: until ends the retries but does not make a failed
// result succeed (ansible-core 2.14 reports it failed; runbook called it ok
// before), so async_status with until: reports a failed background task.
func TestUntilKeepsFailure(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - command: rm -f $DIR/flag
      changed_when: false
    - shell: test -e $DIR/flag || { touch $DIR/flag; exit 0; }; exit 3
      register: r
      until: r.rc == 3
      retries: 3
      delay: 0
      ignore_errors: true
    - assert: {that: ["r is failed", "r.attempts == 2"]}
`})
	r := runIdioms(t, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "ignored=1") {
		t.Fatalf("want exit 0 and ignored=1:\n%s", r)
	}
}
