package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Exit code 1 is for errors that are neither the playbook's, the inventory's
// nor the command line's fault: here, the machine refusing a write.
func TestUnexpectedErrorsExitOne(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"schema to a full device", []string{"schema", "-o", "/dev/full"}, "writing the schema"},
		{"export below a regular file", []string{"playbooks", "export", filepath.Join(file, "site")}, "not a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.args[0] == "schema" {
				if _, err := os.Stat("/dev/full"); err != nil {
					t.Skip("no /dev/full on this machine")
				}
			}
			r := runbook(t, dir, tc.args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r)
			}
			if !strings.Contains(r.stderr, "ERROR: ") || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r)
			}
		})
	}
}
