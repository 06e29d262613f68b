package runner_test

import (
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
