package playbook_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// TestIncludeTasksForms: include_tasks takes Ansible's three spellings of
// its file (a name, free-form file=NAME, a mapping with file:), each
// resolving to the same file (found by the conformance suite: the mapping
// was refused as "must be a string"); apply: and unknown parameters are
// refused naming file:line.
func TestIncludeTasksForms(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"sub.yml": "- debug: {msg: sub}\n",
		"site.yml": `- hosts: all
  tasks:
    - include_tasks: sub.yml
    - include_tasks: file=sub.yml
    - include_tasks:
        file: sub.yml
    - ansible.builtin.include_tasks: {file: "{{ which }}.yml"}
`,
	})
	pb, err := playbook.Load(filepath.Join(dir, "site.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "sub.yml")
	for i, task := range pb.Plays[0].Tasks[:3] {
		if task.IncludeTasks != want {
			t.Errorf("task %d includes %q, want %q", i, task.IncludeTasks, want)
		}
	}
	if got := pb.Plays[0].Tasks[3].IncludeTasks; got != "{{ which }}.yml" {
		t.Errorf("templated file: %q", got)
	}
	for _, tc := range []struct{ task, want string }{
		{"include_tasks: {file: sub.yml, apply: {tags: [x]}}", "site.yml:3:38: include_tasks: apply: is not supported: put the keywords on a block"},
		{"include_tasks: {fiel: sub.yml}", `site.yml:3:23: include_tasks: unknown parameter "fiel" (it takes file:)`},
		{"include_tasks: {file: [a]}", `site.yml:3:29: "file" must be a string, got a list`},
	} {
		dir := writeFiles(t, map[string]string{"sub.yml": "- debug: {msg: sub}\n", "site.yml": "- hosts: all\n  tasks:\n    - " + tc.task + "\n"})
		_, err := playbook.Load(filepath.Join(dir, "site.yml"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.task, err, tc.want)
		}
	}
}
