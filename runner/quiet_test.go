package runner_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
)

// Engine differences from ansible-core 2.14 that changed what a playbook
// did without a word (issue 16, items 16-20). test/ansible_quiet_test.go
// runs the same cases through ansible-playbook when it is installed.

func TestNotifiedHandlerRunsWhateverTags(t *testing.T) {
	play := `
- hosts: h1
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      tags: [cfg]
      notify: [restart, tagged, never]
    - name: other
      command: "true"
      tags: [other]
  handlers:
    - name: restart
      debug: {msg: restarted}
    - name: tagged
      debug: {msg: tagged}
      tags: [other]
    - name: never
      debug: {msg: never}
      tags: [never]
`
	for _, opts := range []runner.Options{
		{Tags: []string{"cfg"}},
		{Tags: []string{"cfg"}, SkipTags: []string{"other", "never"}},
	} {
		_, rec := run{playbook: play, opts: opts}.do(t)
		for _, h := range []string{"restart", "tagged", "never"} {
			if len(rec.results(h)) != 1 {
				t.Errorf("--tags %v --skip-tags %v: notified handler %q did not run:\n%s", opts.Tags, opts.SkipTags, h, rec.buf)
			}
		}
		if len(rec.results("other")) != 0 {
			t.Errorf("--tags %v: task 'other' ran", opts.Tags)
		}
	}
}

func TestSelfReferencingVariableFailsTheTaskUsingIt(t *testing.T) {
	out, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  vars:
    s: "{{ s }}x"
    unused: "{{ unused }}y"
    a: "{{ b }}"
    b: "{{ a }}-"
    c: "{{ s | upper() }}"
    ok: "{{ 'fine' }}"
  tasks:
    - name: fine
      debug: {msg: "{{ ok }}"}
    - name: loop
      debug: {msg: "{{ a }}"}
      ignore_errors: true
    - name: derived
      debug: {msg: "{{ c }}"}
      ignore_errors: true
    - name: in a condition
      debug: {msg: never}
      when: s == "x"
      ignore_errors: true
    - name: task vars
      vars: {ok: "{{ ok }}/sub"}
      debug: {msg: "{{ ok }}"}
      ignore_errors: true
    - name: use s
      debug: {msg: "{{ s }}"}
    - name: after
      debug: {msg: after}
`}.do(t)
	if got := msgOf(rec.result(t, "fine", "h1")); got != "fine" {
		t.Errorf("fine = %q", got)
	}
	for task, want := range map[string]string{
		"loop":           `variable "a" is "{{ b }}", which refers back to itself (a -> b -> a)`,
		"derived":        `variable "s" is "{{ s }}x", which refers back to itself (s -> s)`,
		"in a condition": `variable "s"`,
		"task vars":      `variable "ok" is "{{ ok }}/sub", which refers back to itself (ok -> ok)`,
		"use s":          `site.yaml:28:7) on host h1: arguments: recursive loop detected: variable "s"`,
	} {
		e := rec.result(t, task, "h1")
		if e.Status != "failed" || !strings.Contains(msgOf(e), "recursive loop detected") || !strings.Contains(msgOf(e), want) {
			t.Errorf("%s: %s %q, want a failure saying %q", task, e.Status, msgOf(e), want)
		}
	}
	if len(rec.results("after")) != 0 || out.ExitCode() != runner.ExitHostFailed {
		t.Errorf("exit %d, after ran %d times", out.ExitCode(), len(rec.results("after")))
	}
}

func TestRescueSeesTheFailedTaskAndResult(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - name: boom
          command: /bin/false
          tags: [t1]
      rescue:
        - name: show
          debug:
            msg: "{{ ansible_failed_task.name }} {{ ansible_failed_task.action }} rc={{ ansible_failed_result.rc }} msg={{ ansible_failed_result.msg }}"
    - block:
        - name: secret
          command: /bin/false
          no_log: true
      rescue:
        - name: censored
          debug: {msg: "{{ ansible_failed_result.cmd ?? 'hidden' }}"}
`}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "boom command rc=1 msg=non-zero return code" {
		t.Errorf("rescue sees %q", got)
	}
	if got := msgOf(rec.result(t, "censored", "h1")); got != "hidden" {
		t.Errorf("a no_log task's result in rescue: %q", got)
	}
}

func TestClearHostErrorsInAlways(t *testing.T) {
	out, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: fail h1
      fail: {msg: x}
      when: inventory_hostname == "h1"
    - block:
        - name: boom h2
          fail: {msg: bad}
          when: inventory_hostname == "h2"
      always:
        - name: clear
          meta: clear_host_errors
    - name: after
      debug: {msg: after}
- hosts: web
  gather_facts: false
  tasks:
    - name: play2
      debug: {msg: p2}
`}.do(t)
	hosts := func(task string) (hs []string) {
		for _, e := range rec.results(task) {
			hs = append(hs, e.Host)
		}
		sort.Strings(hs)
		return hs
	}
	// As ansible-core 2.14: h2, cleared in always:, goes on; h1, which had
	// left the play before, stays out of it but is back in the next play.
	if got := hosts("after"); !reflect.DeepEqual(got, []string{"h2", "h3"}) {
		t.Errorf("after ran on %v, want h2 h3", got)
	}
	if got := hosts("play2"); !reflect.DeepEqual(got, []string{"h1", "h2", "h3"}) {
		t.Errorf("play2 ran on %v, want every host", got)
	}
	// The recap still counts the failures, but, cleared, they do not make
	// the exit code (as ansible-playbook: exit 0).
	if rec.stats("h1").Failed != 1 || rec.stats("h2").Failed != 1 || out.ExitCode() != runner.ExitOK {
		t.Errorf("recap h1 %+v h2 %+v exit %d", rec.stats("h1"), rec.stats("h2"), out.ExitCode())
	}
}

func TestImportTasksNotifyIsInherited(t *testing.T) {
	_, rec := run{
		files: map[string]string{"sub.yaml": "- name: inner change\n  command: 'true'\n- name: inner ok\n  command: 'true'\n  changed_when: false\n"},
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - import_tasks: sub.yaml
      notify: restart
  handlers:
    - name: restart
      debug: {msg: restarted}
`}.do(t)
	if len(rec.results("restart")) != 1 {
		t.Errorf("the handler notified by import_tasks did not run:\n%s", rec.buf)
	}
}
