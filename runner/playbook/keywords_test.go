package playbook_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// candidateKeys is every keyword any list knows, plus a few from Ansible
// the parser does not take: each is probed where it may or may not belong.
func candidateKeys() []string {
	all := map[string]bool{"when": true, "become_method": true, "strategy": true, "roles": true, "until": true}
	for _, l := range [][]string{playbook.PlayKeywords(), playbook.TaskKeywords(), playbook.ImportPlaybookKeywords(), playbook.LoopControlKeywords()} {
		for _, k := range l {
			all[k] = true
		}
	}
	out := make([]string, 0, len(all))
	for k := range all {
		out = append(out, k)
	}
	return out
}

// TestSchemaKeywordListsMatchParser probes the parser with every candidate
// key: the exported lists (which the JSON Schema is built from) must hold
// exactly the keys the parser accepts where it reads them by hand.
func TestSchemaKeywordListsMatchParser(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("- hosts: all\n  tasks: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"import_playbook": "other.yaml", "vars": "{a: 1}", "tags": "[t]"}
	value := func(k string) string {
		if v, ok := values[k]; ok {
			return v
		}
		return "x"
	}
	probe := func(doc string) error {
		_, err := playbook.Parse("probe.yaml", []byte(doc), filepath.Join(dir, "probe.yaml"))
		return err
	}
	in := func(list []string, k string) bool {
		for _, x := range list {
			if x == k {
				return true
			}
		}
		return false
	}
	for _, k := range candidateKeys() {
		doc := "- import_playbook: other.yaml\n"
		if k != "import_playbook" {
			doc += fmt.Sprintf("  %s: %s\n", k, value(k))
		}
		err := probe(doc)
		unknown := err != nil && strings.Contains(err.Error(), "unknown import_playbook keyword")
		if want := in(playbook.ImportPlaybookKeywords(), k); want == unknown {
			t.Errorf("import_playbook key %q: listed=%v but the parser says: %v", k, want, err)
		}

		doc = fmt.Sprintf("- hosts: all\n  tasks:\n    - debug: {}\n      loop: [1]\n      loop_control: {%s: x}\n", k)
		err = probe(doc)
		unknown = err != nil && strings.Contains(err.Error(), "unknown loop_control keyword")
		if want := in(playbook.LoopControlKeywords(), k); want == unknown {
			t.Errorf("loop_control key %q: listed=%v but the parser says: %v", k, want, err)
		}
	}
	for _, k := range playbook.PlayKeywords() {
		err := probe(fmt.Sprintf("- hosts: all\n  %s: %s\n", k, value(k)))
		if err != nil && strings.Contains(err.Error(), "unknown play keyword") {
			t.Errorf("play keyword %q is listed but the parser rejects it: %v", k, err)
		}
	}
	for _, k := range playbook.TaskKeywords() {
		err := probe(fmt.Sprintf("- hosts: all\n  tasks:\n    - debug: {}\n      %s: %s\n", k, value(k)))
		if err != nil && strings.Contains(err.Error(), "unknown task keyword") {
			t.Errorf("task keyword %q is listed but the parser rejects it: %v", k, err)
		}
	}
}
