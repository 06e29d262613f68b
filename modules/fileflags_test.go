package modules_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

// flagsDir returns a temporary directory whose file system keeps file
// attributes (chattr +A works there), or skips.
func flagsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe")
	writeString(t, probe, "", 0o644)
	if out, err := exec.Command("chattr", "+A", probe).CombinedOutput(); err != nil {
		t.Skipf("no file attributes on %s: %v %s", dir, err, out)
	}
	_ = os.Remove(probe)
	return dir
}

// lsattrOf is the attribute letters of p, as lsattr shows them without dashes.
func lsattrOf(t *testing.T, p string) string {
	t.Helper()
	out, err := exec.Command("lsattr", "-d", p).CombinedOutput()
	if err != nil {
		t.Fatalf("lsattr %s: %v %s", p, err, out)
	}
	f, _, _ := strings.Cut(string(out), " ")
	return strings.ReplaceAll(f, "-", "")
}

// TestFileAttributesIdempotent: file's attributes (alias attr) adds,
// removes and sets letters only when lsattr shows a difference; check mode
// predicts without changing; --diff shows the letters before and after.
func TestFileAttributesIdempotent(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := flagsDir(t)
		p := filepath.Join(dir, "f")
		writeString(t, p, "x\n", 0o644)
		mc := connContext(t, c, nil)
		mc.Diff = true
		r := helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "+A"})
		if !r.Changed || !strings.Contains(lsattrOf(t, p), "A") {
			t.Fatalf("+A: changed=%v, lsattr %q", r.Changed, lsattrOf(t, p))
		}
		if len(r.Diff) != 1 || strings.Contains(r.Diff[0].Before, "A") || !strings.Contains(r.Diff[0].After, "attributes: A") {
			t.Errorf("+A diff: %+v", r.Diff)
		}
		if r = helperMustRun(t, mc, "file", map[string]any{"path": p, "attr": "+A"}); r.Changed {
			t.Errorf("+A again changed: %+v", r.Diff)
		}
		// A task that does not ask for attributes leaves them alone.
		helperMustRun(t, mc, "file", map[string]any{"path": p, "mode": "0600"})
		helperMustRun(t, mc, "copy", map[string]any{"content": "x\n", "dest": p})
		if !strings.Contains(lsattrOf(t, p), "A") {
			t.Fatalf("a task without attributes cleared them: lsattr %q", lsattrOf(t, p))
		}
		mc.Check = true
		if r = helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "=d"}); !r.Changed || lsattrOf(t, p) != strings.TrimSpace(lsattrOf(t, p)) || !strings.Contains(lsattrOf(t, p), "A") {
			t.Errorf("check =d: changed=%v, lsattr %q", r.Changed, lsattrOf(t, p))
		}
		mc.Check = false
		helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "=d"})
		if got := lsattrOf(t, p); strings.Contains(got, "A") || !strings.Contains(got, "d") {
			t.Errorf("=d left %q", got)
		}
		// = keeps what chattr cannot clear (e on ext4), so it is idempotent.
		if r = helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "d"}); r.Changed {
			t.Errorf("d again changed: %+v", r.Diff)
		}
		if r = helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "-A"}); r.Changed {
			t.Errorf("-A on a file without A changed")
		}
		helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "-d"})
		if strings.Contains(lsattrOf(t, p), "d") {
			t.Errorf("-d left %q", lsattrOf(t, p))
		}
	})
}

// TestFileAttributesRecurseAndImmutable: recurse sets attributes on
// everything below in one lsattr and one chattr (links and FIFOs, which
// have none, left out; a FIFO asked directly is an error); lifting immutable goes
// before a mode change the immutable file would refuse (root only).
func TestFileAttributesRecurseAndImmutable(t *testing.T) {
	dir := flagsDir(t)
	mc := helperContext(t, nil)
	tree := filepath.Join(dir, "tree")
	for _, p := range []string{"a", "sub/b"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeString(t, filepath.Join(tree, p), p, 0o644)
	}
	if err := os.Symlink("a", filepath.Join(tree, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "sub", "pipe"), 0o644); err != nil { // lsattr cannot read it: left out
		t.Fatal(err)
	}
	r := helperMustRun(t, mc, "file", map[string]any{"path": tree, "state": "directory", "recurse": true, "attributes": "+d"})
	for _, p := range []string{"", "a", "sub", "sub/b"} {
		if !strings.Contains(lsattrOf(t, filepath.Join(tree, p)), "d") {
			t.Errorf("%s: no d after recurse (changed=%v)", p, r.Changed)
		}
	}
	if r = helperMustRun(t, mc, "file", map[string]any{"path": tree, "state": "directory", "recurse": true, "attributes": "+d"}); r.Changed {
		t.Errorf("recurse +d again changed: %+v", r.Diff)
	}
	if _, err := helperRun(t, mc, "file", map[string]any{"path": filepath.Join(tree, "sub", "pipe"), "attributes": "+d"}); err == nil ||
		!strings.Contains(err.Error(), "is a FIFO, socket or device") {
		t.Errorf("attributes on a FIFO: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("immutable needs root")
	}
	p := filepath.Join(tree, "a")
	helperMustRun(t, mc, "file", map[string]any{"path": p, "attributes": "+i"})
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", p).Run() })
	if _, err := helperRun(t, mc, "file", map[string]any{"path": p, "mode": "0600"}); err == nil {
		t.Fatal("chmod of an immutable file succeeded: the next check proves nothing")
	}
	helperMustRun(t, mc, "file", map[string]any{"path": p, "mode": "0600", "attributes": "-i"})
	if mode, _, _, _ := statOf(t, p); mode.Perm() != 0o600 || strings.Contains(lsattrOf(t, p), "i") {
		t.Errorf("after -i and mode: %v %q", mode, lsattrOf(t, p))
	}
}

// TestCopyAndLineinfileAttributes: copy and template give a written file
// its attributes (a rewrite is a new inode, which has none of the old
// one's); lineinfile with the line already there sets only attributes and
// says so with Ansible's message.
func TestCopyAndLineinfileAttributes(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := flagsDir(t)
		mc := connContext(t, c, nil)
		p := filepath.Join(dir, "c")
		if r := helperMustRun(t, mc, "copy", map[string]any{"content": "one\n", "dest": p, "attr": "=dA"}); !r.Changed || !strings.Contains(lsattrOf(t, p), "A") || !strings.Contains(lsattrOf(t, p), "d") {
			t.Fatalf("copy =dA: changed=%v lsattr %q", r.Changed, lsattrOf(t, p))
		}
		if r := helperMustRun(t, mc, "copy", map[string]any{"content": "one\n", "dest": p, "attr": "=dA"}); r.Changed {
			t.Errorf("copy =dA again changed")
		}
		if r := helperMustRun(t, mc, "copy", map[string]any{"content": "two\n", "dest": p, "attr": "=dA"}); !r.Changed || !strings.Contains(lsattrOf(t, p), "dA") && !strings.Contains(lsattrOf(t, p), "Ad") {
			t.Errorf("rewritten copy: changed=%v lsattr %q", r.Changed, lsattrOf(t, p))
		}
		r := helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": "two", "attributes": "-A"})
		if !r.Changed || r.Msg != "ownership, perms or SE linux context changed" || strings.Contains(lsattrOf(t, p), "A") {
			t.Errorf("lineinfile -A: changed=%v msg=%q lsattr %q", r.Changed, r.Msg, lsattrOf(t, p))
		}
		r = helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": "three", "attributes": "+A"})
		if !r.Changed || !strings.Contains(lsattrOf(t, p), "A") || readString(t, p) != "two\nthree\n" {
			t.Errorf("lineinfile +A with a new line: changed=%v lsattr %q content %q", r.Changed, lsattrOf(t, p), readString(t, p))
		}
	})
}

// TestAttributesUnsupportedOrInvalid: attributes a file system does not
// keep (tmpfs refuses most letters, /proc all) fail the task naming the
// host and the path, rather than pass in silence; an unknown letter is a
// parameter error.
func TestAttributesUnsupportedOrInvalid(t *testing.T) {
	mc := helperContext(t, nil)
	_, err := helperRun(t, mc, "file", map[string]any{"path": "/proc/self/status", "attributes": "+A"})
	if err == nil || !strings.Contains(err.Error(), "file on localhost: /proc/self/status: file attributes not supported on the file system of /proc/self/status") {
		t.Errorf("/proc: %v", err)
	}
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == 0x01021994 { // tmpfs
		p := filepath.Join("/dev/shm", "runbook-attr-"+filepath.Base(t.TempDir()))
		t.Cleanup(func() { _ = os.Remove(p) })
		writeString(t, p, "x", 0o644)
		_, err = helperRun(t, mc, "file", map[string]any{"path": p, "attributes": "+j"})
		if err == nil || !strings.Contains(err.Error(), "not supported on the file system of "+p) {
			t.Errorf("tmpfs +j: %v", err)
		}
	}
	_, err = helperRun(t, mc, "file", map[string]any{"path": t.TempDir(), "attributes": "+Q"})
	var ae *modules.ArgError
	if !errors.As(err, &ae) || ae.Param != "attributes" || !strings.Contains(err.Error(), `'Q' is not an attribute chattr sets`) {
		t.Errorf("+Q: %v", err)
	}
}
