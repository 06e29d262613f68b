package playbook_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// TestModuleExamplesParse checks that every module's example, which
// `runbook doc` and the README show for people to copy, is valid playbook
// text: as a task file, and as the tasks of a play. Values are expressions
// ({{ name }}, {{ groups.master[0] }}), not Go templates ({{ .name }}).
func TestModuleExamplesParse(t *testing.T) {
	dir := t.TempDir()
	for _, name := range module.Names() {
		m, _ := module.Lookup(name)
		ex := m.Spec().Example
		if strings.TrimSpace(ex) == "" {
			t.Errorf("module %s has no example", name)
			continue
		}
		tasks := filepath.Join(dir, name+"-tasks.yaml")
		if err := os.WriteFile(tasks, []byte(ex), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := playbook.LoadTasks(tasks); err != nil {
			t.Errorf("the example of %s is not a valid task file: %v", name, err)
			continue
		}
		play := "- hosts: all\n  gather_facts: false\n  tasks:\n" + indent(ex, "    ") + "\n"
		path := filepath.Join(dir, name+"-play.yaml")
		if err := os.WriteFile(path, []byte(play), 0o644); err != nil {
			t.Fatal(err)
		}
		pb, err := playbook.Load(path)
		if err != nil {
			t.Errorf("the example of %s is not valid in a play: %v\n%s", name, err, play)
			continue
		}
		if !usesModule(pb.Plays[0].Tasks, name) {
			t.Errorf("the example of %s has no %s task", name, name)
		}
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

func usesModule(tasks []*playbook.Task, name string) bool {
	for _, t := range tasks {
		if t.Module == name || usesModule(t.Block, name) || usesModule(t.Rescue, name) || usesModule(t.Always, name) {
			return true
		}
	}
	return false
}
