package test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
)

// becomeUser is this package's sudo test user (the transport's own tests
// use other names: each package sets its own password).
const becomeUser = "runbookplay"

// rootOnlyFiles makes base/open/secret (0600 root, in a directory anyone
// may traverse) and base/closed/secret (0600 root, in a 0700 root
// directory) with content.
func rootOnlyFiles(t *testing.T, content string) (open, closed string) {
	t.Helper()
	base := t.TempDir()
	for _, d := range []struct {
		dir  string
		mode os.FileMode
	}{{base, 0o755}, {filepath.Join(base, "open"), 0o755}, {filepath.Join(base, "closed"), 0o700}} {
		if err := os.MkdirAll(d.dir, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.dir, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	// t.TempDir's parent is 0700: open it for the test user.
	if err := os.Chmod(filepath.Dir(base), 0o755); err != nil {
		t.Fatal(err)
	}
	open, closed = filepath.Join(base, "open", "secret"), filepath.Join(base, "closed", "secret")
	for _, p := range []string{open, closed} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return open, closed
}

// TestBecomeReadsRootOnlyFiles: a non-root SSH user with become reads,
// stats and checksums files only root may read, through real OpenSSH and
// real sudo (password on stdin); an atomic write keeps mode and owner; the
// become password shows in no output at -vvvv and in no process's
// arguments on the host while the play runs.
func TestBecomeReadsRootOnlyFiles(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	const content = "top secret\n"
	open, closed := rootOnlyFiles(t, content)
	sum := sha1.Sum([]byte(content)) // stat's checksum is SHA-1 by default, as in Ansible
	want := hex.EncodeToString(sum[:])
	dir := workdir(t, map[string]string{"site.yaml": fmt.Sprintf(`
- hosts: web
  gather_facts: false
  become: true
  tasks:
    - {name: stat open, stat: {path: %[1]s}, register: so}
    - {name: stat closed, stat: {path: %[2]s}, register: sc}
    - {name: stat as login user, stat: {path: %[1]s}, become: false, register: su}
    - {name: slurp, slurp: {src: %[2]s}, register: sl}
    - {name: fetch, fetch: {src: %[2]s, dest: $DIR/fetched, flat: true}}
    - {name: same content, copy: {content: %[3]q, dest: %[2]s}, register: same}
    - {name: hold, command: sleep 1}
    - {name: new content, copy: {content: "rewritten\n", dest: %[2]s}, register: rewritten}
    - name: report
      debug:
        msg: "so={{ so.stat.checksum }}/{{ so.stat.mode }}/{{ so.stat.uid }}/{{ so.stat.pw_name }}/{{ so.stat.readable }}/{{ so.stat.writeable }} su={{ su.stat.readable }}/{{ su.stat.writeable }}/{{ su.stat.checksum | default('none') }} sc={{ sc.stat.checksum }}/{{ sc.stat.exists }} sl={{ sl.content }} same={{ same.changed }} rewritten={{ rewritten.changed }}"
`, open, closed, content)})
	inv, kh := sudoUserInventory(t, dir, s, u)

	stop := sshd.WatchArgs(u.Password)
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh, "-vvvv")
	if seen := stop(); seen != "" {
		t.Errorf("the become password was in a process's arguments: %s", seen)
	}
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, fmt.Sprintf("so=%s/0600/0/root/True/True su=False/False/none sc=%s/True sl=%s same=False rewritten=True", want, want,
		base64.StdEncoding.EncodeToString([]byte(content))))
	if strings.Contains(r.stdout+r.stderr, u.Password) {
		t.Errorf("the become password is in the -vvvv output:\n%s", r)
	}
	if got := readFile(t, filepath.Join(dir, "fetched")); got != content {
		t.Errorf("fetched %q", got)
	}
	checkRootOnlyFile(t, closed, "rewritten\n")
}

// TestBecomeWithoutItCannotRead: the same reads without become fail (the
// test above proves become, not a lax file).
func TestBecomeWithoutItCannotRead(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	_, closed := rootOnlyFiles(t, "x")
	dir := workdir(t, map[string]string{"site.yaml": fmt.Sprintf(
		"- hosts: web\n  gather_facts: false\n  tasks:\n    - {name: slurp, slurp: {src: %s}}\n", closed)})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
	invText := strings.Replace(readFile(t, inv), "ansible_user=root", "ansible_user="+u.Name, 1)
	if err := os.WriteFile(inv, []byte(invText), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 (task failed)\n%s", r.code, r)
	}
	mustContain(t, r, "fatal: [a]: FAILED!", "ermission denied")
}

// TestWrongBecomePasswordFailsClearly: a wrong become password fails the
// host quickly with a message naming the fix, never a hang, and the
// wrong password is not printed.
func TestWrongBecomePasswordFailsClearly(t *testing.T) {
	sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	const wrong = "Wr0ngBecomePassw0rd"
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  become: true\n  tasks: [{command: id -u}]\n"})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
	invText := strings.Replace(readFile(t, inv), "ansible_user=root", "ansible_user="+becomeUser+" ansible_become_password="+wrong, 1)
	if err := os.WriteFile(inv, []byte(invText), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh, "-vvvv")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r)
	}
	mustContain(t, r, "fatal: [a]: FAILED!", "incorrect sudo password for "+becomeUser+"@a", "ansible_become_password")
	if strings.Contains(r.stdout+r.stderr, wrong) {
		t.Errorf("the wrong password is printed:\n%s", r)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v", took)
	}
}
