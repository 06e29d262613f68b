package playbook_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// A YAML merge key followed by an override of a merged key is how YAML
// reuse is written (ansible-core accepts it, the override winning); it was
// refused as "key appears twice". A key written twice by hand still is.
func TestMergeKeyOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{"site.yaml": `
- hosts: all
  vars:
    base: &base {a: 1, b: 2, c: 3}
    other: &other {c: 30, d: 40}
    derived:
      <<: *base
      b: 20
    before:
      b: 21
      <<: *base
    listed:
      <<: [*other, *base]
      a: 10
  tasks:
    - &defaults
      name: first
      debug: {msg: one}
      tags: [x]
    - <<: *defaults
      name: second
`})
	pb, err := playbook.Load(filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vars := pb.Plays[0].Vars
	for name, want := range map[string]map[string]any{
		"derived": {"a": 1, "b": 20, "c": 3},
		"before":  {"a": 1, "b": 21, "c": 3},
		"listed":  {"a": 10, "b": 2, "c": 30, "d": 40},
	} {
		if !reflect.DeepEqual(vars[name], want) {
			t.Errorf("%s = %v, want %v", name, vars[name], want)
		}
	}
	tasks := pb.Plays[0].Tasks
	if len(tasks) != 2 || tasks[1].Name != "second" || !reflect.DeepEqual(tasks[1].Tags, []string{"x"}) {
		t.Errorf("merged task = %+v", tasks[1])
	}

	dir = writeFiles(t, map[string]string{"site.yaml": "- hosts: all\n  vars:\n    base: &b {a: 1}\n    m:\n      <<: *b\n      x: 1\n      x: 2\n"})
	_, err = playbook.Load(filepath.Join(dir, "site.yaml"))
	if err == nil || !strings.Contains(err.Error(), "site.yaml:7:7") || !strings.Contains(err.Error(), `"x" appears twice`) {
		t.Errorf("a key written twice: err = %v", err)
	}
}
