package modules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// TestCopySymlinkDestIsReplacedNotFollowed: a symbolic link at dest, as an
// unprivileged user could plant it, is replaced by the file (copy, template,
// remote_src, backup), its target is neither changed nor shown by --diff,
// a link to a directory is refused; follow: true writes through the link.
func TestCopySymlinkDestIsReplacedNotFollowed(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		for _, become := range []bool{false, true} {
			t.Run(map[bool]string{false: "login user", true: "become"}[become], func(t *testing.T) {
				if become && os.Geteuid() != 0 {
					t.Skip("become to root needs root here")
				}
				copySymlinkDest(t, c, become)
			})
		}
	})
}

// copySymlinkDest is one pass of the test, as the login user or with become.
func copySymlinkDest(t *testing.T, c testConn, become bool) {
	const secret = "root only: do not print\n"
	dir := t.TempDir()
	target := filepath.Join(dir, "secret")
	if err := os.WriteFile(target, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	plant := func(name, to string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mc := connContext(t, c, map[string]any{})
	mc.Diff = true
	if become {
		mc.Become = &transport.Become{} // the privileged write of the finding
	}
	src := filepath.Join(dir, "src.conf")
	if err := os.WriteFile(src, []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(dir, "app.tmpl")
	if err := os.WriteFile(tmpl, []byte("rendered\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		module string
		args   map[string]any
		want   string
	}{
		{"copy", map[string]any{"content": "from the playbook\n", "backup": true}, "from the playbook\n"},
		{"template", map[string]any{"src": tmpl}, "rendered\n"},
		{"copy", map[string]any{"src": src, "remote_src": true}, "from the host\n"},
	}
	for i, tc := range cases {
		link := plant("link"+string(rune('a'+i)), target)
		tc.args["dest"] = link
		r := helperMustRun(t, mc, tc.module, tc.args)
		fi, err := os.Lstat(link)
		if err != nil || !fi.Mode().IsRegular() || readString(t, link) != tc.want || !r.Changed {
			t.Fatalf("%s: dest %v (err %v) holds %q, changed %v; want the link replaced by a file", tc.module, fi.Mode(), err, readString(t, link), r.Changed)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: the new file has mode %v, want 0644 (nothing taken from the link's target)", tc.module, fi.Mode().Perm())
		}
		for _, d := range r.Diff {
			if strings.Contains(d.Before+d.After, "do not print") {
				t.Errorf("%s: --diff shows the link target's content: %+v", tc.module, d)
			}
		}
		if b, ok := r.Data["backup_file"].(string); ok {
			if t2, err := os.Readlink(b); err != nil || t2 != target {
				t.Errorf("backup %s is not a copy of the link (%q, %v)", b, t2, err)
			}
		}
		// The second run finds the file it wrote: nothing to do.
		if r := helperMustRun(t, mc, tc.module, tc.args); r.Changed {
			t.Errorf("%s: second run changed", tc.module)
		}
	}
	if got := readString(t, target); got != secret {
		t.Fatalf("the link target was written: %q", got)
	}

	dirLink := plant("dirlink", t.TempDir())
	_, err := helperRun(t, mc, "copy", map[string]any{"src": src, "dest": dirLink})
	if err == nil || !strings.Contains(err.Error(), "follow: true") {
		t.Fatalf("copy into a link to a directory: %v, want a refusal naming follow", err)
	}

	followed := plant("followed", target)
	helperMustRun(t, mc, "copy", map[string]any{"content": "through\n", "dest": followed, "follow": true})
	if fi, _ := os.Lstat(followed); fi.Mode()&os.ModeSymlink == 0 || readString(t, target) != "through\n" {
		t.Fatalf("follow: true: link %v, target %q", fi.Mode(), readString(t, target))
	}
	helperMustRun(t, mc, "copy", map[string]any{"src": src, "dest": dirLink, "follow": true})
	if readString(t, filepath.Join(dirLink, "src.conf")) != "from the host\n" {
		t.Fatal("follow: true did not copy into the linked directory")
	}
}

// TestCopyCheckModeMissingDirectory: in check mode a file whose directory
// does not exist yet (a package an earlier task installs would create it)
// is predicted changed, as Ansible does, with a message saying a real run
// needs that directory; a real run fails naming it.
func TestCopyCheckModeMissingDirectory(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "etc", "nginx", "nginx.conf")
	mc := helperContext(t, nil)
	mc.Check = true
	r := helperMustRun(t, mc, "copy", map[string]any{"content": "x\n", "dest": dest})
	if !r.Changed || r.Failed || !strings.Contains(r.Msg, "does not exist yet") {
		t.Fatalf("check mode: %+v", r)
	}
	if _, err := os.Stat(filepath.Dir(dest)); !os.IsNotExist(err) {
		t.Fatalf("check mode created the directory: %v", err)
	}
	mc.Check = false
	if _, err := helperRun(t, mc, "copy", map[string]any{"content": "x\n", "dest": dest}); err == nil || !strings.Contains(err.Error(), "destination directory") {
		t.Fatalf("a real run must fail naming the directory: %v", err)
	}
}
