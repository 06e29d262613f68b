package playbook_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules"
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
		{"include_tasks: {file: sub.yml, apply: [x]}", "site.yml:3:45: include_tasks: apply must be a mapping of task keywords"},
		{"include_tasks: {file: sub.yml, apply: {loop: [1]}}", `site.yml:3:46: include_tasks: apply: "loop" cannot be applied to included tasks`},
		{"include_tasks: {file: sub.yml, apply: {tagz: [x]}}", `site.yml:3:46: unknown task keyword or module "tagz"`},
		{"include_role: {name: r, apply: {notify: h}}", `include_role: apply: "notify" cannot be applied to included tasks`},
		{"import_role: {name: r, apply: {tags: [x]}}", `import_role has no apply:`},
		{"include_tasks: {fiel: sub.yml}", `site.yml:3:23: include_tasks: unknown parameter "fiel" (it takes file:, apply:)`},
		{"include_tasks: {file: [a]}", `site.yml:3:29: "file" must be a string, got a list`},
	} {
		dir := writeFiles(t, map[string]string{"sub.yml": "- debug: {msg: sub}\n", "roles/r/tasks/main.yml": "- debug: {msg: r}\n",
			"site.yml": "- hosts: all\n  tasks:\n    - " + tc.task + "\n"})
		_, err := playbook.Load(filepath.Join(dir, "site.yml"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.task, err, tc.want)
		}
	}
}

// TestMissingBuiltinSaysWhatInstead: an ansible.builtin module runbook does
// not have stops the playbook at its line with what to write instead, under
// its short name and its FQCN; no name in the list is a built-in module.
func TestMissingBuiltinSaysWhatInstead(t *testing.T) {
	for _, task := range []string{"apt_repository: {repo: x}", "ansible.builtin.apt_repository: {repo: x}", "ansible.legacy.git: {repo: x, dest: /d}"} {
		dir := writeFiles(t, map[string]string{"site.yml": "- hosts: all\n  tasks:\n    - " + task + "\n"})
		_, err := playbook.Load(filepath.Join(dir, "site.yml"))
		if err == nil || !strings.Contains(err.Error(), "site.yml:3:7: module ") || !strings.Contains(err.Error(), "is not built into runbook: ") {
			t.Errorf("%s: %v", task, err)
		}
	}
	for _, name := range playbook.MissingBuiltinNames() {
		if _, ok := module.Lookup(name); ok {
			t.Errorf("%s is built in now: drop it from missingBuiltins", name)
		}
	}
}
