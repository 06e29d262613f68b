package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestBecomeWriteReplacesPlantedSymlink: an unprivileged user makes
// ~/app.conf a link to a file only root may read; copy and template with
// become (real OpenSSH, real sudo, --diff) replace the link, leave the
// root-only file as it was and never print its content. follow: true is
// the playbook asking to write through a link, and does.
func TestBecomeWriteReplacesPlantedSymlink(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	const secret = "root-only line: must never be printed\n"
	open, closed := rootOnlyFiles(t, secret)
	home := t.TempDir()
	if err := os.Chmod(filepath.Dir(home), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, u.UID, u.GID); err != nil {
		t.Fatal(err)
	}
	plant := func(name, to string) string {
		p := filepath.Join(home, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, u.UID, u.GID); err != nil { // the user's own link
			t.Fatal(err)
		}
		return p
	}
	askedTarget := filepath.Join(filepath.Dir(open), "asked")
	if err := os.WriteFile(askedTarget, []byte("before\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	appConf, tmplConf, asked := plant("app.conf", closed), plant("tmpl.conf", open), plant("asked.conf", askedTarget)
	dir := workdir(t, map[string]string{
		"templates/t.j2": "templated\n",
		"site.yaml": fmt.Sprintf(`
- hosts: web
  gather_facts: false
  become: true
  tasks:
    - {name: copy, copy: {content: "from the playbook\n", dest: %s}}
    - {name: template, template: {src: t.j2, dest: %s}}
    - {name: asked to follow, copy: {content: "followed\n", dest: %s, follow: true}}
`, appConf, tmplConf, asked)})
	inv, kh := sudoUserInventory(t, dir, s, u)
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh, "--diff")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "must never be printed") {
		t.Errorf("--diff printed the content of the link's target:\n%s", r)
	}
	if got := readFile(t, closed); got != secret {
		t.Errorf("the root-only file behind the planted link was written: %q", got)
	}
	for p, want := range map[string]string{appConf: "from the playbook\n", tmplConf: "templated\n"} {
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || readFile(t, p) != want {
			t.Errorf("%s: %v (%v), want the link replaced by a file holding %q", p, fi.Mode(), err, want)
		}
	}
	if fi, err := os.Lstat(asked); err != nil || fi.Mode()&os.ModeSymlink == 0 || readFile(t, askedTarget) != "followed\n" {
		t.Errorf("follow: true: link %v (%v), its target holds %q", fi.Mode(), err, readFile(t, askedTarget))
	}
	if got := readFile(t, open); got != secret {
		t.Errorf("the root-only file behind the planted template link was written: %q", got)
	}
}
