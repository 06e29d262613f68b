package playbooks_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/playbooks"
)

func TestNamesAndHas(t *testing.T) {
	want := []string{"post-distribute.yaml", "pre-distribute.yaml", "recover-master0.yaml", "registry-deploy.yaml"}
	if got := playbooks.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v", got)
	}
	for _, n := range []string{"recover-master0", "recover-master0.yaml", "recover-master0.yml"} {
		if !playbooks.Has(n) {
			t.Errorf("Has(%q) = false", n)
		}
	}
	for _, n := range []string{"", "./recover-master0.yaml", "dir/recover-master0.yaml", "tasks/launch-registry.yaml", "nope"} {
		if playbooks.Has(n) {
			t.Errorf("Has(%q) = true", n)
		}
	}
	for _, n := range want {
		// `runbook playbooks list` shows the summary: a whole sentence, not
		// the comment's first line cut mid-phrase.
		if s := playbooks.Summary(n); !strings.HasPrefix(s, strings.TrimSuffix(n, ".yaml")+" — ") || !strings.HasSuffix(s, ".") || strings.Contains(s, "#") {
			t.Errorf("%s: summary %q is not its opening sentence", n, s)
		}
	}
}

func TestExportRefusesToOverwriteEdits(t *testing.T) {
	dir := t.TempDir()
	written, err := playbooks.Export(dir, false)
	if err != nil || len(written) == 0 {
		t.Fatalf("Export: %v %v", written, err)
	}
	again, err := playbooks.Export(dir, false)
	if err != nil || len(again) != 0 {
		t.Fatalf("re-export of an identical tree wrote %v, %v", again, err)
	}
	edited := filepath.Join(dir, "templates", "sealer-registry.service.tmpl")
	other := filepath.Join(dir, "registry-deploy.yaml")
	os.WriteFile(edited, []byte("site edit\n"), 0o644)
	os.Remove(other)
	if _, err := playbooks.Export(dir, false); !errors.Is(err, playbooks.ErrExists) || !strings.Contains(err.Error(), edited) {
		t.Fatalf("export over an edit: %v", err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Fatal("a refused export wrote files")
	}
	if data, _ := os.ReadFile(edited); string(data) != "site edit\n" {
		t.Fatal("edit overwritten")
	}
	if _, err := playbooks.Export(dir, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(edited); string(data) == "site edit\n" {
		t.Fatal("--force did not restore the file")
	}
}

func TestMaterializeIsStableAndRepairs(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p1, c1, err := playbooks.Materialize("recover-master0")
	if err != nil {
		t.Fatal(err)
	}
	defer c1()
	if filepath.Base(p1) != "recover-master0.yaml" {
		t.Fatalf("path %s", p1)
	}
	task := filepath.Join(filepath.Dir(p1), "tasks", "launch-registry.yaml")
	os.WriteFile(task, []byte("damaged"), 0o644)
	p2, c2, err := playbooks.Materialize("recover-master0.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer c2()
	if p2 != p1 {
		t.Fatalf("same build, different copies: %s %s", p1, p2)
	}
	if data, _ := os.ReadFile(task); string(data) == "damaged" {
		t.Fatal("a damaged cached copy was not repaired")
	}
	if _, _, err := playbooks.Materialize("tasks/launch-registry.yaml"); err == nil {
		t.Fatal("a task file materialised as a playbook")
	}
}

// The shipped examples run by their path in the tree (runbook play
// examples/NAME.yaml), like the top-level playbooks; no other path does.
func TestExamplesAreBuiltins(t *testing.T) {
	for name, want := range map[string]bool{
		"examples/standby-dns-switch.yaml": true, "examples/registry-mirrors": true,
		"examples/nope.yaml": false, "examples/../recover-master0.yaml": false, "tasks/point-node.yaml": false,
		"examples/": false,
	} {
		if got := playbooks.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
}
