package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// runIdiomsWriting runs site.yaml as runIdioms does, with -e
// runner_name=runbook, for a playbook that writes the file out-NAME
// (out-runbook; Ansible's run, without the variable: out-ansible). It
// checks runbook exits 0 and writes want, and that ansible-playbook, where
// installed, writes the same.
func runIdiomsWriting(t *testing.T, dir, want string) result {
	t.Helper()
	r := runIdioms(t, dir, "-e", "runner_name=runbook")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out-runbook"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Errorf("runbook wrote %q, want %q", data, want)
	}
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		ans, err := os.ReadFile(filepath.Join(dir, "out-ansible"))
		if err != nil || string(ans) != string(data) {
			t.Errorf("runbook wrote %q, ansible-playbook %q (%v)", data, ans, err)
		}
	}
	return r
}
