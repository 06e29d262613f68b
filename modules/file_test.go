package modules_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// Helpers shared by the tests of the file modules (copy, template, file,
// fetch, stat, slurp).

// fsSnapshot records every path under root with its type, mode, owner,
// size, content hash or link target, and mtime: equal snapshots mean
// nothing was touched.
func fsSnapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		extra := ""
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			extra, _ = os.Readlink(p)
		case fi.Mode().IsRegular():
			extra = sha256File(t, p)
		}
		out[p] = fmt.Sprintf("%v %d:%d %d %s %d ino=%d", fi.Mode(), st.Uid, st.Gid, fi.Size(), extra, fi.ModTime().UnixNano(), st.Ino)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertSameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok || a != b {
			t.Errorf("check mode touched %s:\n before %s\n after  %q", p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("check mode created %s", p)
		}
	}
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Of(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeString(t *testing.T, p, s string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask
		t.Fatal(err)
	}
}

// statOf returns mode bits, owner and inode of p.
func statOf(t *testing.T, p string) (os.FileMode, int, int, uint64) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fi.Mode(), int(st.Uid), int(st.Gid), st.Ino
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown)")
	}
}

// runTwiceAndCheck runs a task in check mode (asserting nothing under root
// changes and the predicted changed value), for real, then again (ok).
func runTwiceAndCheck(t *testing.T, mc *modules.Context, root, module string, raw map[string]any) *modules.Result {
	t.Helper()
	before := fsSnapshot(t, root)
	mc.Check = true
	predicted := helperMustRun(t, mc, module, raw)
	assertSameSnapshot(t, before, fsSnapshot(t, root))
	mc.Check = false
	r := helperMustRun(t, mc, module, raw)
	if !r.Changed || predicted.Changed != r.Changed {
		t.Fatalf("%s: first run changed=%v, check mode predicted %v", module, r.Changed, predicted.Changed)
	}
	again := helperMustRun(t, mc, module, raw)
	if again.Changed || again.Failed {
		t.Fatalf("%s: second run not ok: %+v", module, again)
	}
	mc.Check = true
	if c := helperMustRun(t, mc, module, raw); c.Changed {
		t.Fatalf("%s: check mode after the run predicts a change: %+v", module, c)
	}
	mc.Check = false
	return r
}

func TestFileDirectoryIdempotentWithCheckModeAndDiff(t *testing.T) {
	requireRoot(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		p := filepath.Join(dir, "srv", "app")
		mc := connContext(t, c, nil)
		mc.Diff = true
		raw := map[string]any{"path": p, "state": "directory", "mode": "0750", "owner": "nobody", "group": "nogroup"}
		r := runTwiceAndCheck(t, mc, dir, "file", raw)
		mode, uid, gid, _ := statOf(t, p)
		if !mode.IsDir() || mode.Perm() != 0o750 || uid != 65534 || gid != 65534 {
			t.Fatalf("directory: %v %d:%d", mode, uid, gid)
		}
		h := "localhost:" + p + " (state)"
		if len(r.Diff) != 1 || r.Diff[0].BeforeHeader != h || r.Diff[0].Before != "path: "+p+"\nstate: absent\n" || r.Diff[0].After != "path: "+p+"\nstate: directory\n" {
			t.Errorf("diff = %+v", r.Diff)
		}
		if r.Data["state"] != "directory" || r.Data["mode"] != "0750" || r.Data["uid"] != 65534 {
			t.Errorf("data = %v", r.Data)
		}
		// Back to root with a symbolic mode.
		r = helperMustRun(t, mc, "file", map[string]any{"path": p, "owner": "root", "group": "root", "mode": "g-rx"})
		if mode, uid, gid, _ := statOf(t, p); !r.Changed || mode.Perm() != 0o700 || uid != 0 || gid != 0 {
			t.Fatalf("back to root: %v %d:%d", mode, uid, gid)
		}
		if r.Diff[0].Before != "mode: 0750\nowner: 65534\ngroup: 65534\n" || r.Diff[0].After != "mode: 0700\nowner: 0\ngroup: 0\n" {
			t.Errorf("attribute diff = %+v", r.Diff)
		}
		writeString(t, filepath.Join(dir, "plain"), "x", 0o644)
		_, err := helperRun(t, mc, "file", map[string]any{"path": filepath.Join(dir, "plain"), "state": "directory"})
		if err == nil || !strings.Contains(err.Error(), "exists as a file, not a directory") {
			t.Errorf("file as directory: %v", err)
		}
	})
}

func TestFileRecurse(t *testing.T) {
	requireRoot(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		writeString(t, filepath.Join(dir, "tree", "a"), "a", 0o600)
		writeString(t, filepath.Join(dir, "tree", "sub", "b.sh"), "b", 0o700)
		writeString(t, filepath.Join(dir, "tree", "sub", "new\nline"), "c", 0o600)
		mc := connContext(t, c, nil)
		raw := map[string]any{"path": filepath.Join(dir, "tree"), "recurse": true, "mode": "u=rwX,g=rX,o=", "owner": "nobody"}
		runTwiceAndCheck(t, mc, dir, "file", raw)
		for p, want := range map[string]os.FileMode{"tree": 0o750, "tree/a": 0o640, "tree/sub": 0o750, "tree/sub/b.sh": 0o750, "tree/sub/new\nline": 0o640} {
			if mode, uid, _, _ := statOf(t, filepath.Join(dir, p)); mode.Perm() != want || uid != 65534 {
				t.Errorf("%q: %v uid %d, want %v", p, mode.Perm(), uid, want)
			}
		}
		helperMustRun(t, mc, "file", map[string]any{"path": filepath.Join(dir, "tree"), "recurse": true, "owner": "root"})
		if _, uid, _, _ := statOf(t, filepath.Join(dir, "tree", "sub", "b.sh")); uid != 0 {
			t.Errorf("owner not restored")
		}
	})
}

func TestFileAbsentTouchAndFile(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		mc := connContext(t, c, nil)
		// touch: creates, then always changed; check mode writes nothing.
		p := filepath.Join(dir, "stamp")
		before := fsSnapshot(t, dir)
		mc.Check = true
		if r := helperMustRun(t, mc, "file", map[string]any{"path": p, "state": "touch", "mode": "0600"}); !r.Changed || r.Data["mode"] != "0600" {
			t.Fatalf("check touch: %+v", r)
		}
		assertSameSnapshot(t, before, fsSnapshot(t, dir))
		mc.Check = false
		helperMustRun(t, mc, "file", map[string]any{"path": p, "state": "touch", "mode": "0600"})
		if mode, _, _, _ := statOf(t, p); mode.Perm() != 0o600 {
			t.Fatalf("touch mode %v", mode)
		}
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		if r := helperMustRun(t, mc, "file", map[string]any{"path": p, "state": "touch"}); !r.Changed {
			t.Error("touch of an existing file is not changed")
		}
		if fi, _ := os.Stat(p); fi.ModTime().Before(time.Now().Add(-time.Minute)) {
			t.Error("touch did not update the time")
		}
		// state file: sets the mode of an existing file, fails on a missing one.
		r := helperMustRun(t, mc, "file", map[string]any{"path": p, "mode": "a+r"})
		if mode, _, _, _ := statOf(t, p); !r.Changed || mode.Perm() != 0o644 || r.Data["state"] != "file" {
			t.Fatalf("state file: %v %+v", mode, r)
		}
		_, err := helperRun(t, mc, "file", map[string]any{"path": filepath.Join(dir, "nope"), "state": "file"})
		if err == nil || !strings.Contains(err.Error(), "file on localhost: "+filepath.Join(dir, "nope")+": file is absent, cannot continue") {
			t.Errorf("missing file: %v", err)
		}
		// absent: a whole tree.
		writeString(t, filepath.Join(dir, "gone", "x", "y"), "y", 0o644)
		r = runTwiceAndCheck(t, mc, dir, "file", map[string]any{"path": filepath.Join(dir, "gone"), "state": "absent"})
		if _, err := os.Lstat(filepath.Join(dir, "gone")); !os.IsNotExist(err) || r.Data["state"] != "absent" {
			t.Fatalf("not removed: %v %v", err, r.Data)
		}
	})
}

func TestFileLinks(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		writeString(t, filepath.Join(dir, "releases", "1", "bin"), "v1", 0o755)
		writeString(t, filepath.Join(dir, "releases", "2", "bin"), "v2", 0o755)
		link := filepath.Join(dir, "current")
		mc := connContext(t, c, nil)
		mc.Diff = true
		runTwiceAndCheck(t, mc, dir, "file", map[string]any{"path": link, "src": "releases/1", "state": "link"})
		if target, _ := os.Readlink(link); target != "releases/1" || readString(t, filepath.Join(link, "bin")) != "v1" {
			t.Fatalf("link -> %q", target)
		}
		r := runTwiceAndCheck(t, mc, dir, "file", map[string]any{"path": link, "src": "releases/2", "state": "link"})
		if target, _ := os.Readlink(link); target != "releases/2" {
			t.Fatalf("link not retargeted: %q", target)
		}
		if r.Diff[0].Before != "path: "+link+"\nstate: link\nsrc: releases/1\n" || r.Diff[0].After != "path: "+link+"\nstate: link\nsrc: releases/2\n" {
			t.Errorf("diff = %+v", r.Diff)
		}
		// A regular file is replaced only with force; a missing src needs force.
		plain := filepath.Join(dir, "plain")
		writeString(t, plain, "x", 0o644)
		_, err := helperRun(t, mc, "file", map[string]any{"path": plain, "src": "releases/1", "state": "link"})
		if err == nil || !strings.Contains(err.Error(), "refusing to replace an existing file") {
			t.Errorf("file replaced without force: %v", err)
		}
		helperMustRun(t, mc, "file", map[string]any{"path": plain, "src": "releases/1", "state": "link", "force": true})
		if target, _ := os.Readlink(plain); target != "releases/1" {
			t.Errorf("force: %q", target)
		}
		_, err = helperRun(t, mc, "file", map[string]any{"path": filepath.Join(dir, "l2"), "src": "nowhere", "state": "link"})
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("missing src: %v", err)
		}
		// Hard links: same inode, idempotent.
		hard := filepath.Join(dir, "hard")
		runTwiceAndCheck(t, mc, dir, "file", map[string]any{"path": hard, "src": filepath.Join(dir, "releases", "1", "bin"), "state": "hard"})
		_, _, _, i1 := statOf(t, hard)
		_, _, _, i2 := statOf(t, filepath.Join(dir, "releases", "1", "bin"))
		if i1 != i2 {
			t.Error("not a hard link")
		}
		// follow: state file on a link sets the mode of its target.
		binLink := filepath.Join(dir, "bin")
		helperMustRun(t, mc, "file", map[string]any{"path": binLink, "src": "releases/2/bin", "state": "link"})
		helperMustRun(t, mc, "file", map[string]any{"path": binLink, "state": "file", "mode": "0700"})
		if mode, _, _, _ := statOf(t, filepath.Join(dir, "releases", "2", "bin")); mode.Perm() != 0o700 {
			t.Errorf("follow: %v", mode)
		}
	})
}

func TestFileArgValidation(t *testing.T) {
	mc := helperContext(t, nil)
	for _, raw := range []map[string]any{
		{"path": "/x", "state": "link"},
		{"path": "/x", "state": "file", "recurse": true},
		{"path": "/x", "state": "bogus"},
		{"path": "/x", "mode": "u+q"},
		{"state": "directory"},
	} {
		if _, err := helperRun(t, mc, "file", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
