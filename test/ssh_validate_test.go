package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestValidateOverSSHWithBecome: through real OpenSSH and sudo, a non-root
// user's become task validates the new content of a root-only file (0600
// root, in a 0700 root directory) before it replaces it: the refused
// content never lands, the accepted one keeps the file's mode and owner,
// and no temporary file stays beside it.
func TestValidateOverSSHWithBecome(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	_, closed := rootOnlyFiles(t, "ok\nold\n")
	dir := workdir(t, map[string]string{"site.yaml": fmt.Sprintf(`
- hosts: web
  gather_facts: false
  become: true
  vars:
    check: "sh -c 'test \"$(head -n1 \"$1\")\" = ok' check %%s"
  tasks:
    - name: refused
      lineinfile: {path: %[1]s, line: bad, insertbefore: BOF, validate: "{{ check }}"}
      ignore_errors: true
    - name: accepted
      lineinfile: {path: %[1]s, line: new, validate: "{{ check }}"}
    - name: copy refused
      copy: {content: "bad\n", dest: %[1]s, validate: "{{ check }}"}
      ignore_errors: true
`, closed)})
	inv, kh := sudoUserInventory(t, dir, s, u)
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if r.code != 0 || !strings.Contains(r.stdout, "changed=1") || !strings.Contains(r.stdout, "ignored=2") {
		t.Fatalf("want exit 0, changed=1 ignored=2:\n%s", r)
	}
	mustContain(t, r, "failed to validate")
	checkRootOnlyFile(t, closed, "ok\nold\nnew\n")
}

// checkRootOnlyFile checks that p is 0600 root:root with content want, alone
// in its directory (no temporary file left beside it).
func checkRootOnlyFile(t *testing.T, p, want string) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if sys := st.Sys().(*syscall.Stat_t); st.Mode().Perm() != 0o600 || sys.Uid != 0 || sys.Gid != 0 || readFile(t, p) != want {
		t.Errorf("%s: mode %v owner %d:%d content %q, want 0600 root:root %q", p, st.Mode(), sys.Uid, sys.Gid, readFile(t, p), want)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
