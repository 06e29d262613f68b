package playbook_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// TestFQCNModuleNames: ansible.builtin.NAME and ansible.legacy.NAME are the
// built-in module or action NAME; other collections are refused with a
// clear message.
func TestFQCNModuleNames(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"more.yaml": "- ansible.builtin.debug: {msg: imported}\n",
		"site.yaml": `
- hosts: all
  tasks:
    - ansible.builtin.copy: {content: x, dest: /tmp/x}
    - ansible.legacy.command: echo hi
    - ansible.builtin.meta: flush_handlers
    - ansible.builtin.import_tasks: more.yaml
    - ansible.builtin.include_tasks: more.yaml
`,
	})
	pb, err := playbook.Load(dir + "/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	if tasks[0].Module != "copy" || tasks[1].Module != "command" || tasks[1].Args["cmd"] == nil && tasks[1].Args["_raw_params"] == nil {
		t.Errorf("modules: %q %q %v", tasks[0].Module, tasks[1].Module, tasks[1].Args)
	}
	if tasks[2].Meta != "flush_handlers" || tasks[3].Import == "" || len(tasks[3].Block) != 1 || tasks[3].Block[0].Module != "debug" || tasks[4].IncludeTasks == "" {
		t.Errorf("actions: meta %q, import %q %v, include %q", tasks[2].Meta, tasks[3].Import, tasks[3].Block, tasks[4].IncludeTasks)
	}
	for _, tc := range []struct{ key, want string }{
		{"community.general.ufw", "collections are not supported"},
		{"ansible.builtin.cpoy", `only ansible.builtin and ansible.legacy names are built in: did you mean "copy"?`},
		{"ansible.posix.copy", `did you mean "copy"?`},
	} {
		src := "- hosts: all\n  tasks:\n    - " + tc.key + ": {}\n"
		_, err := playbook.Parse("site.yaml", []byte(src), "/tmp/site.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "site.yaml:3:7") {
			t.Errorf("%s: %v, want %q at site.yaml:3:7", tc.key, err, tc.want)
		}
	}
}

// TestWithLoopKeywords: the with_* keywords parse into the task's loop;
// a bad with_sequence, a value of the wrong shape or two loop keywords are
// errors naming file:line:column.
func TestWithLoopKeywords(t *testing.T) {
	src := `
- hosts: all
  tasks:
    - {debug: {}, with_dict: {a: 1}}
    - {debug: {}, with_sequence: count=2}
    - {debug: {}, with_subelements: ["{{ u }}", keys]}
`
	pb, err := playbook.Parse("site.yaml", []byte(src), "/tmp/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i, kind := range []string{"with_dict", "with_sequence", "with_subelements"} {
		if got := pb.Plays[0].Tasks[i].LoopKind; got != kind || !pb.Plays[0].Tasks[i].HasLoop {
			t.Errorf("task %d: LoopKind %q, want %q", i, got, kind)
		}
	}
	for _, tc := range []struct{ task, want string }{
		{"{debug: {}, with_sequence: start=1}", "site.yaml:3:34: with_sequence: end= or count= is required"},
		{"{debug: {}, with_sequence: end=x}", `site.yaml:3:34: with_sequence: end: "x" is not a whole number`},
		{"{debug: {}, with_sequence: 'count=2 end=3'}", "give end= or count=, not both"},
		{"{debug: {}, with_sequence: 'end=3 format=%d-%d'}", "must hold exactly one % verb"},
		{"{debug: {}, with_dict: [1]}", `site.yaml:3:30: "with_dict" must be a mapping`},
		{"{debug: {}, with_subelements: [a]}", `"with_subelements" must be a list [items, 'subkey']`},
		{"{debug: {}, loop: [1], with_list: [2]}", `site.yaml:3:30: a task may have only one loop keyword (loop:, with_items:, with_dict:, …); it has loop and with_list`},
	} {
		_, err := playbook.Parse("site.yaml", []byte("- hosts: all\n  tasks:\n    - "+tc.task+"\n"), "/tmp/site.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.task, err, tc.want)
		}
	}
}
