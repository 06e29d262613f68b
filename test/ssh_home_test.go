package test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// sudoUserInventory is sshInventory logging in as the package's sudo test
// user (with its become password) instead of root.
func sudoUserInventory(t *testing.T, dir string, s *sshd.Server, u *sshd.User) (inv, kh string) {
	t.Helper()
	inv, kh = sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
	text := strings.Replace(readFile(t, inv), "ansible_user=root", "ansible_user="+u.Name+" ansible_become_password="+u.Password, 1)
	if err := os.WriteFile(inv, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return inv, kh
}

// TestTildeIsTheTaskUsersHome: every module taking a path on the host
// expands ~/ to the home of the user the task runs as there (the login
// user, or the become user), as Ansible does; real OpenSSH and sudo.
func TestTildeIsTheTaskUsersHome(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	sub := "runbook-tilde-" + filepath.Base(t.TempDir())
	home := filepath.Join(u.Home, sub)
	t.Cleanup(func() { os.RemoveAll(home); os.RemoveAll(filepath.Join("/root", sub)) })
	dir := workdir(t, map[string]string{
		"templates/t.j2": "templated\n",
		"site.yaml": fmt.Sprintf(`
- hosts: web
  gather_facts: false
  tasks:
    - {name: file, file: {path: "~/%[1]s", state: directory}}
    - {name: copy, copy: {content: "copied\n", dest: "~/%[1]s/c"}}
    - {name: template, template: {src: t.j2, dest: "~/%[1]s/t"}}
    - {name: remote copy, copy: {src: "~/%[1]s/c", dest: "~/%[1]s/rc", remote_src: true}}
    - {name: stat, stat: {path: "~/%[1]s/c"}, register: st}
    - {name: slurp, slurp: {src: "~/%[1]s/t"}, register: sl}
    - {name: fetch, fetch: {src: "~/%[1]s/rc", dest: $DIR/fetched/, flat: true}}
    - {name: chdir, command: {cmd: pwd, chdir: "~/%[1]s"}, register: pwd}
    - {name: as root, become: true, file: {path: "~/%[1]s", state: directory}}
    - {name: root's, become: true, stat: {path: "~/%[1]s"}, register: rootst}
    - debug:
        msg: "st={{ st.stat.exists }}:{{ st.stat.path }} sl={{ sl.content }} pwd={{ pwd.stdout }} root={{ rootst.stat.path }}"
`, sub)})
	inv, kh := sudoUserInventory(t, dir, s, u)
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, fmt.Sprintf("st=True:%[1]s/c sl=%[2]s pwd=%[1]s root=/root/%[3]s", home,
		base64.StdEncoding.EncodeToString([]byte("templated\n")), sub))
	for f, want := range map[string]string{"c": "copied\n", "t": "templated\n", "rc": "copied\n"} {
		if got := readFile(t, filepath.Join(home, f)); got != want {
			t.Errorf("~/%s/%s holds %q", sub, f, got)
		}
	}
	if got := readFile(t, filepath.Join(dir, "fetched", "rc")); got != "copied\n" {
		t.Errorf("fetched %q", got)
	}
	if _, err := os.Stat(filepath.Join("/root", sub)); err != nil {
		t.Errorf("with become, ~ is not root's home: %v", err)
	}
}

// TestNULInModuleArgumentIsTheTasksError: a NUL byte in a module argument
// (a command line, a path) fails that task (exit 2) saying so; over real
// OpenSSH it once dropped the channel and read as an unreachable host.
func TestNULInModuleArgumentIsTheTasksError(t *testing.T) {
	s := sshd.Start(t, sshd.Options{})
	for name, task := range map[string]string{
		"command": `command: "echo a\0b"`,
		"shell":   `shell: "echo a\0b"`,
		"env":     `{command: "true", environment: {X: "a\0b"}}`,
		"stat":    `stat: {path: "/tmp/a\0b"}`,
		"copy":    `copy: {content: "x", dest: "/tmp/a\0b"}`,
		"slurp":   `slurp: {src: "/tmp/a\0b"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := workdir(t, map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - " + task + "\n"})
			inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
			r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
			if r.code != 2 || strings.Contains(r.stdout+r.stderr, "UNREACHABLE") || !strings.Contains(r.stdout+r.stderr, "NUL byte") {
				t.Fatalf("want exit 2, a failed task naming the NUL byte, no unreachable host\n%s", r)
			}
		})
	}
}
