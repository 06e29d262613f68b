package transport_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// TestFindTreeOneCommand: FindTree lists a tree in one command, depth
// first, with lstat's view of every entry (a link stays a link even when
// followed into), the followed type in Dir, depths, and the kernel's
// nanosecond times; MaxDepth stops the listing; a file is not a root.
func TestFindTreeOneCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "d", "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "d", "f")
	if err := os.WriteFile(f, []byte("data"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("d", filepath.Join(dir, "ld")); err != nil {
		t.Fatal(err)
	}
	var runs int
	conn := countingConn{Transport: transport.NewLocal(), runs: &runs}
	ctx := context.Background()
	byPath := func(tr transport.Tree) map[string]transport.TreeEntry {
		m := map[string]transport.TreeEntry{}
		for _, e := range tr.Entries {
			rel, _ := filepath.Rel(dir, e.Path)
			m[rel] = e
		}
		return m
	}
	tr, err := transport.FindTree(ctx, conn, nil, dir, transport.TreeOptions{})
	if err != nil || runs != 1 {
		t.Fatalf("FindTree: %v after %d commands", err, runs)
	}
	if time.Since(tr.Now) > time.Minute || len(tr.Errors) != 0 {
		t.Errorf("now %v errors %v", tr.Now, tr.Errors)
	}
	m := byPath(tr)
	var k syscall.Stat_t
	if err := syscall.Stat(f, &k); err != nil {
		t.Fatal(err)
	}
	ef := m["d/f"]
	if len(m) != 4 || ef.Depth != 2 || ef.Dir || ef.Size != 4 || ef.Mode.Perm() != 0o640 || ef.Inode != k.Ino ||
		!ef.ModTime.Equal(time.Unix(k.Mtim.Sec, k.Mtim.Nsec)) || ef.Owner != "root" && os.Getuid() == 0 {
		t.Errorf("entries %v; d/f = %+v", m, ef)
	}
	if l := m["ld"]; l.Mode&os.ModeSymlink == 0 || !l.Dir || l.Depth != 1 {
		t.Errorf("ld = %+v", l)
	}
	tr, err = transport.FindTree(ctx, conn, nil, dir, transport.TreeOptions{Follow: true})
	m = byPath(tr)
	if l := m["ld"]; err != nil || len(m) != 6 || l.Mode&os.ModeSymlink == 0 || l.Size != 1 || !l.Dir || m["ld/f"].Depth != 2 {
		t.Errorf("followed: %v %v", m, err)
	}
	tr, err = transport.FindTree(ctx, conn, nil, dir, transport.TreeOptions{MaxDepth: 1})
	if m = byPath(tr); err != nil || len(m) != 2 {
		t.Errorf("depth 1: %v %v", m, err)
	}
	if _, err = transport.FindTree(ctx, conn, nil, f, transport.TreeOptions{}); !errors.Is(err, transport.ErrNotDir) {
		t.Errorf("a file as root: %v", err)
	}
}
