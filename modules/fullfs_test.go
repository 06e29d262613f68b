package modules_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallFS mounts a tmpfs of size bytes on a new directory for the test (as
// root; the test is skipped where mounting is not possible) and unmounts
// it afterwards.
func smallFS(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

func unmount(t *testing.T, p string) {
	if out, err := exec.Command("umount", p).CombinedOutput(); err != nil {
		t.Errorf("umount %s: %v %s", p, err, out)
	}
}

// bindFile bind-mounts the file src onto a new empty file in a fresh
// directory and returns that path: a file rename cannot replace.
func bindFile(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "etc", "hosts")
	writeString(t, p, "", 0o644)
	if out, err := exec.Command("mount", "--bind", src, p).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount a file here: %v %s", err, out)
	}
	t.Cleanup(func() { unmount(t, p) })
	return p
}

// fill writes dir/filler until the file system is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("f"), 512)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestInPlaceRewriteNeverLosesTheOldContent: a bind-mounted file (rename
// impossible) on a full file system. A change that needs more room than
// the file has fails with "no space left on device" and leaves the file as
// it was; one that fits in the file's own blocks is written; once there is
// room, the larger change is written, in place.
func TestInPlaceRewriteNeverLosesTheOldContent(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		small := smallFS(t, "64k")
		const old = "127.0.0.1 localhost\n10.0.0.1 old.host\n"
		writeString(t, filepath.Join(small, "hosts"), old, 0o644)
		p := bindFile(t, filepath.Join(small, "hosts"))
		before, _ := os.Stat(p)
		fill(t, small)
		mc := connContext(t, c, nil)
		long := "10.0.0.9 " + strings.Repeat("x", 9000)
		_, err := helperRun(t, mc, "lineinfile", map[string]any{"path": p, "line": long})
		if got := readString(t, p); got != old {
			t.Fatalf("the file lost its old content: now %d bytes starting %q (%v)", len(got), got[:min(len(got), 60)], err)
		}
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
			t.Fatalf("a change larger than the free space: %v, want no space left on device", err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
			t.Errorf("staging files left: %v", entries)
		}
		r := helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "regexp": "old", "line": "10.0.0.1 new.host"})
		if !r.Changed || readString(t, p) != "127.0.0.1 localhost\n10.0.0.1 new.host\n" {
			t.Fatalf("a change within the file's own blocks: %q", readString(t, p))
		}
		if err := os.Remove(filepath.Join(small, "filler")); err != nil {
			t.Fatal(err)
		}
		helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": long})
		after, _ := os.Stat(p)
		if got := readString(t, p); got != "127.0.0.1 localhost\n10.0.0.1 new.host\n"+long+"\n" || !os.SameFile(before, after) {
			t.Fatalf("with room, the change was not written in place: %d bytes", len(got))
		}
	})
}

// TestFullDiskSaysNoSpace: a write to a full file system says "no space
// left on device" over SFTP (which itself says only "Failure") as locally,
// and leaves the old file.
func TestFullDiskSaysNoSpace(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		small := smallFS(t, "64k")
		p := filepath.Join(small, "app.conf")
		writeString(t, p, "old\n", 0o644)
		fill(t, small)
		mc := connContext(t, c, nil)
		_, err := helperRun(t, mc, "copy", map[string]any{"content": strings.Repeat("new\n", 4096), "dest": p})
		if err == nil || !strings.Contains(err.Error(), "no space left on device") {
			t.Fatalf("copy to a full disk: %v, want no space left on device", err)
		}
		if readString(t, p) != "old\n" {
			t.Fatalf("the old file was damaged: %q", readString(t, p))
		}
	})
}
