package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The built-in playbooks: listed, exported with everything they use, run
// by name when no such file exists, and an edited export runs as edited.
func TestBuiltinPlaybooksListExportAndRun(t *testing.T) {
	dir := t.TempDir()
	r := runbook(t, dir, "playbooks", "list")
	for _, name := range []string{"registry-deploy.yaml", "pre-distribute.yaml", "post-distribute.yaml", "recover-master0.yaml"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("playbooks list lacks %s:\n%s", name, r)
		}
	}
	out := filepath.Join(dir, "site")
	r = runbook(t, dir, "playbooks", "export", out)
	if r.code != 0 {
		t.Fatalf("export: %s", r)
	}
	for _, p := range []string{"recover-master0.yaml", "tasks/launch-registry.yaml", "vars/registry.yaml",
		"common/check-target.yaml", "templates/sealer-registry.service.tmpl", "templates/registry_config.yml.tmpl"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("export lacks %s: %v", p, err)
		}
	}
	// Every exported playbook parses, templates and task files included.
	for _, pb := range []string{"registry-deploy.yaml", "pre-distribute.yaml", "post-distribute.yaml", "recover-master0.yaml"} {
		if r := runbook(t, out, "play", pb, "--syntax-check"); r.code != 0 {
			t.Errorf("%s: %s", pb, r)
		}
		// By name from an empty directory: the built-in.
		if r := runbook(t, dir, "play", pb, "--syntax-check"); r.code != 0 {
			t.Errorf("built-in %s: %s", pb, r)
		}
	}
	for _, ex := range []string{"examples/registry-mirrors.yaml", "examples/standby-dns-switch.yaml"} {
		if r := runbook(t, out, "play", ex, "--syntax-check"); r.code != 0 {
			t.Errorf("%s: %s", ex, r)
		}
	}
	// Re-exporting over an edit is refused, and nothing is overwritten.
	edited := filepath.Join(out, "recover-master0.yaml")
	data, _ := os.ReadFile(edited)
	site := strings.Replace(string(data), "- import_playbook: common/check-target.yaml", "- import_playbook: common/check-target.yaml\n\n- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: {msg: site edit}\n", 1)
	if err := os.WriteFile(edited, []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runbook(t, dir, "playbooks", "export", out)
	if r.code == 0 || !strings.Contains(r.stderr, "recover-master0.yaml") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("export over an edit: %s", r)
	}
	if now, _ := os.ReadFile(edited); string(now) != site {
		t.Error("export overwrote an edited playbook")
	}
	r = runbook(t, out, "play", "recover-master0.yaml", "--list-tasks")
	mustContain(t, r, "debug")
	// A missing required variable is a usage error naming it, before any
	// host is contacted (the inventory's hosts do not exist).
	r = runbook(t, dir, "play", "recover-master0.yaml", "-i", "127.0.10.250,")
	if r.code != 5 || !strings.Contains(r.stderr, `"host"`) || !strings.Contains(r.stderr, "-e host=") {
		t.Errorf("missing -e host: %s", r)
	}
	r = runbook(t, dir, "play", "no-such-playbook.yaml")
	if r.code != 3 || !strings.Contains(r.stderr, "recover-master0.yaml") {
		t.Errorf("unknown playbook: %s", r)
	}
}
