package runner_test

import (
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
