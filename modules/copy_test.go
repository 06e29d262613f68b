package modules_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/transport"
)

func TestCopyContentIdempotentWithCheckMode(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		dest := filepath.Join(dir, "motd")
		mc := connContext(t, c, nil)
		r := runTwiceAndCheck(t, mc, dir, "copy", map[string]any{"content": "hello\n", "dest": dest})
		if got := readString(t, dest); got != "hello\n" {
			t.Fatalf("content = %q", got)
		}
		if mode, _, _, _ := statOf(t, dest); mode.Perm() != 0o644 {
			t.Errorf("new file mode = %v, want 0644", mode)
		}
		d := r.Data
		if d["dest"] != dest || d["checksum"] != sha256Of("hello\n") || d["size"] != int64(6) || d["mode"] != "0644" || d["uid"] != os.Getuid() {
			t.Errorf("data = %v", d)
		}
		// A different content: check mode predicts it and writes nothing.
		before := fsSnapshot(t, dir)
		mc.Check = true
		if r := helperMustRun(t, mc, "copy", map[string]any{"content": "bye\n", "dest": dest}); !r.Changed {
			t.Fatal("check mode does not predict the change")
		}
		assertSameSnapshot(t, before, fsSnapshot(t, dir))
	})
}

func TestCopySrcLookupAndDirectoryDest(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		pb, dest := t.TempDir(), t.TempDir()
		writeString(t, filepath.Join(pb, "files", "app.conf"), "from files/\n", 0o640)
		writeString(t, filepath.Join(pb, "files", "only.conf"), "only in files/\n", 0o600)
		writeString(t, filepath.Join(pb, "app.conf"), "next to the playbook\n", 0o644)
		mc := connContext(t, c, nil)
		mc.PlaybookDir = pb
		helperMustRun(t, mc, "copy", map[string]any{"src": "app.conf", "dest": dest}) // an existing directory
		if got := readString(t, filepath.Join(dest, "app.conf")); got != "next to the playbook\n" {
			t.Errorf("app.conf = %q", got)
		}
		r := helperMustRun(t, mc, "copy", map[string]any{"src": "only.conf", "dest": dest + "/new/", "mode": "preserve"})
		if got := readString(t, filepath.Join(dest, "new", "only.conf")); got != "only in files/\n" {
			t.Errorf("only.conf = %q", got)
		}
		if r.Data["mode"] != "0600" || r.Data["src"] != filepath.Join(pb, "files", "only.conf") {
			t.Errorf("preserve: %v", r.Data)
		}
		_, err := helperRun(t, mc, "copy", map[string]any{"src": "missing.conf", "dest": dest})
		for _, want := range []string{"copy on localhost", "missing.conf", "not found", filepath.Join(pb, "files", "missing.conf")} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("missing src error %v, want %q", err, want)
			}
		}
		_, err = helperRun(t, mc, "copy", map[string]any{"content": "x", "dest": filepath.Join(dest, "no", "such", "f")})
		if err == nil || !strings.Contains(err.Error(), "destination directory") || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("missing parent: %v", err)
		}
		_, err = helperRun(t, mc, "copy", map[string]any{"content": "x", "dest": filepath.Join(dest, "app.conf", "f")})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dest, "app.conf")+" is not a directory") {
			t.Errorf("file as parent: %v", err)
		}
	})
}

func TestCopyFixesModeAndOwnerWithoutRewriting(t *testing.T) {
	requireRoot(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		dest := filepath.Join(dir, "f")
		writeString(t, dest, "same\n", 0o600)
		_, _, _, ino := statOf(t, dest)
		mc := connContext(t, c, nil)
		mc.Diff = true
		raw := map[string]any{"content": "same\n", "dest": dest, "mode": "u=rw,g=r,o=r", "owner": "nobody", "group": "nogroup"}
		r := runTwiceAndCheck(t, mc, dir, "copy", raw)
		mode, uid, gid, ino2 := statOf(t, dest)
		if mode.Perm() != 0o644 || uid != 65534 || gid != 65534 || ino2 != ino {
			t.Fatalf("mode %v owner %d:%d inode %d→%d", mode, uid, gid, ino, ino2)
		}
		if len(r.Diff) != 1 || !strings.Contains(r.Diff[0].BeforeHeader, "(attributes)") ||
			r.Diff[0].Before != "mode: 0600\nowner: 0\ngroup: 0\n" || r.Diff[0].After != "mode: 0644\nowner: 65534\ngroup: 65534\n" {
			t.Errorf("attribute diff: %+v", r.Diff)
		}
		if r.Data["owner"] != "nobody" || r.Data["uid"] != 65534 || r.Data["mode"] != "0644" {
			t.Errorf("data: %v", r.Data)
		}
		// Back to root, and a relative symbolic mode.
		r = helperMustRun(t, mc, "copy", map[string]any{"content": "same\n", "dest": dest, "owner": "root", "group": "0", "mode": "u+x"})
		if mode, uid, gid, _ := statOf(t, dest); !r.Changed || mode.Perm() != 0o744 || uid != 0 || gid != 0 {
			t.Fatalf("back to root: mode %v owner %d:%d", mode, uid, gid)
		}
		_, err := helperRun(t, mc, "copy", map[string]any{"content": "same\n", "dest": dest, "owner": "runbook-no-such-user"})
		if err == nil || !strings.Contains(err.Error(), "user 'runbook-no-such-user' does not exist on the host") {
			t.Errorf("unknown owner: %v", err)
		}
		_, err = helperRun(t, mc, "copy", map[string]any{"content": "same\n", "dest": dest, "group": "runbook-no-such-group"})
		if err == nil || !strings.Contains(err.Error(), "group 'runbook-no-such-group' does not exist") {
			t.Errorf("unknown group: %v", err)
		}
	})
}

func TestCopyBackupForceAndDiff(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		dest := filepath.Join(dir, "app.conf")
		writeString(t, dest, "port=1\nname=a\n", 0o640)
		mc := connContext(t, c, nil)
		mc.Diff = true
		if r := helperMustRun(t, mc, "copy", map[string]any{"content": "port=2\n", "dest": dest, "force": false, "mode": "0600"}); r.Changed || r.Data["mode"] != "0640" {
			t.Fatalf("force=false touched an existing file: %+v", r)
		}
		r := helperMustRun(t, mc, "copy", map[string]any{"content": "port=2\nname=a\n", "dest": dest, "backup": true})
		if !r.Changed || readString(t, dest) != "port=2\nname=a\n" {
			t.Fatalf("not written: %+v", r)
		}
		if mode, _, _, _ := statOf(t, dest); mode.Perm() != 0o640 {
			t.Errorf("existing mode not kept: %v", mode)
		}
		backup, _ := r.Data["backup_file"].(string)
		if !strings.HasPrefix(backup, dest+".") || !strings.HasSuffix(backup, "~") || readString(t, backup) != "port=1\nname=a\n" {
			t.Errorf("backup_file %q", backup)
		}
		want := modules.Diff{BeforeHeader: "localhost:" + dest + " (content)", AfterHeader: "localhost:" + dest + " (content)",
			Before: "port=1\nname=a\n", After: "port=2\nname=a\n"}
		if len(r.Diff) != 1 || r.Diff[0] != want {
			t.Errorf("diff = %+v", r.Diff)
		}
		// A new file, a binary one, a large one.
		r = helperMustRun(t, mc, "copy", map[string]any{"content": "x", "dest": filepath.Join(dir, "new")})
		if r.Diff[0].BeforeHeader != "localhost:"+filepath.Join(dir, "new")+" (absent)" || r.Diff[0].Before != "" || r.Diff[0].After != "x" {
			t.Errorf("new file diff = %+v", r.Diff)
		}
		r = helperMustRun(t, mc, "copy", map[string]any{"content": "a\x00b", "dest": dest})
		if !strings.Contains(r.Diff[0].After, "binary content, 3 bytes") || r.Diff[0].Before != "port=2\nname=a\n" {
			t.Errorf("binary diff = %+v", r.Diff)
		}
		big := strings.Repeat("line\n", 30000)
		r = helperMustRun(t, mc, "copy", map[string]any{"content": big, "dest": dest})
		if !strings.Contains(r.Diff[0].After, "larger than 100 KiB") || !strings.Contains(r.Diff[0].After, sha256Of(big)) {
			t.Errorf("large diff = %+v", r.Diff[0].After)
		}
		mc.Diff = false
		if r := helperMustRun(t, mc, "copy", map[string]any{"content": "y", "dest": dest}); len(r.Diff) != 0 {
			t.Errorf("diff without --diff: %+v", r.Diff)
		}
	})
}

func TestCopyDirectoryTree(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		src, dest := t.TempDir(), t.TempDir()
		writeString(t, filepath.Join(src, "conf", "a.conf"), "a\n", 0o644)
		writeString(t, filepath.Join(src, "conf", "sub", "deep", "b.conf"), "b\n", 0o600)
		writeString(t, filepath.Join(src, "conf", "sub", "c.sh"), "#!/bin/sh\n", 0o755)
		mc := connContext(t, c, nil)
		raw := map[string]any{"src": filepath.Join(src, "conf"), "dest": filepath.Join(dest, "etc"), "directory_mode": "0750"}
		r := runTwiceAndCheck(t, mc, dest, "copy", raw)
		root := filepath.Join(dest, "etc", "conf")
		if readString(t, filepath.Join(root, "sub", "deep", "b.conf")) != "b\n" || readString(t, filepath.Join(root, "a.conf")) != "a\n" {
			t.Fatal("tree not copied")
		}
		if mode, _, _, _ := statOf(t, filepath.Join(root, "sub")); mode.Perm() != 0o750 {
			t.Errorf("directory_mode: %v", mode)
		}
		if r.Data["dest"] != root || r.Data["state"] != "directory" || len(r.Data["changed_files"].([]any)) != 6 {
			t.Errorf("data = %v", r.Data)
		}
		// Trailing slash: the contents, not the directory; one changed file.
		helperMustRun(t, mc, "copy", map[string]any{"src": filepath.Join(src, "conf") + "/", "dest": filepath.Join(dest, "flat")})
		if readString(t, filepath.Join(dest, "flat", "sub", "c.sh")) != "#!/bin/sh\n" {
			t.Fatal("contents not copied")
		}
		writeString(t, filepath.Join(src, "conf", "a.conf"), "a2\n", 0o644)
		r = helperMustRun(t, mc, "copy", map[string]any{"src": filepath.Join(src, "conf") + "/", "dest": filepath.Join(dest, "flat")})
		if files := r.Data["changed_files"].([]any); !r.Changed || len(files) != 1 || files[0] != filepath.Join(dest, "flat", "a.conf") {
			t.Errorf("changed_files = %v", files)
		}
	})
}

func TestCopyRemoteSrc(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		writeString(t, filepath.Join(dir, "src", "one"), "1\n", 0o600)
		writeString(t, filepath.Join(dir, "src", "d", "two"), "2\n", 0o644)
		mc := connContext(t, c, nil)
		r := runTwiceAndCheck(t, mc, dir, "copy", map[string]any{"src": filepath.Join(dir, "src", "one"), "dest": filepath.Join(dir, "one.copy"), "remote_src": true, "mode": "0640"})
		if mode, _, _, _ := statOf(t, filepath.Join(dir, "one.copy")); readString(t, filepath.Join(dir, "one.copy")) != "1\n" || mode.Perm() != 0o640 {
			t.Fatalf("remote copy: mode %v, %+v", mode, r)
		}
		runTwiceAndCheck(t, mc, dir, "copy", map[string]any{"src": filepath.Join(dir, "src") + "/", "dest": filepath.Join(dir, "tree"), "remote_src": true})
		if readString(t, filepath.Join(dir, "tree", "d", "two")) != "2\n" || readString(t, filepath.Join(dir, "tree", "one")) != "1\n" {
			t.Fatal("remote tree not copied")
		}
		_, err := helperRun(t, mc, "copy", map[string]any{"src": filepath.Join(dir, "nope"), "dest": dir, "remote_src": true})
		if err == nil || !strings.Contains(err.Error(), "does not exist on the host") {
			t.Errorf("missing remote src: %v", err)
		}
	})
}

// TestCopyRemoteSrcFlatDirectory: a remote_src directory without
// subdirectories copies its files as files (the listing once turned each
// file into an empty directory), and an empty one copies as itself.
func TestCopyRemoteSrcFlatDirectory(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		writeString(t, filepath.Join(dir, "flat", "a.conf"), "a\n", 0o644)
		writeString(t, filepath.Join(dir, "flat", "b.conf"), "b\n", 0o644)
		if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		mc := connContext(t, c, nil)
		r := runTwiceAndCheck(t, mc, dir, "copy", map[string]any{"src": filepath.Join(dir, "flat"), "dest": filepath.Join(dir, "out"), "remote_src": true})
		for _, f := range []string{"a.conf", "b.conf"} {
			p := filepath.Join(dir, "out", "flat", f)
			if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || readString(t, p) != f[:1]+"\n" {
				t.Fatalf("%s: %v (%v), want a regular file; result %+v", p, fi.Mode(), err, r.Data)
			}
		}
		runTwiceAndCheck(t, mc, dir, "copy", map[string]any{"src": filepath.Join(dir, "empty"), "dest": filepath.Join(dir, "out"), "remote_src": true})
		if entries, err := os.ReadDir(filepath.Join(dir, "out", "empty")); err != nil || len(entries) != 0 {
			t.Fatalf("empty directory copy: %v %v", entries, err)
		}
	})
}

func TestCopyPermissionDeniedNamesHostAndPath(t *testing.T) {
	requireRoot(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir() // 0700 root: nobody may not write here
		mc := connContext(t, c, nil)
		mc.Become = &transport.Become{User: "nobody"}
		_, err := helperRun(t, mc, "copy", map[string]any{"content": "x", "dest": filepath.Join(dir, "f")})
		if err == nil || !strings.Contains(err.Error(), "copy on localhost") || !strings.Contains(err.Error(), filepath.Join(dir, "f")) ||
			!strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("copy error = %v", err)
		}
		_, err = helperRun(t, mc, "file", map[string]any{"path": filepath.Join(dir, "d"), "state": "directory"})
		if err == nil || !strings.Contains(err.Error(), "file on localhost: "+filepath.Join(dir, "d")) || !strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("file error = %v", err)
		}
	})
}

func TestCopyArgValidation(t *testing.T) {
	mc := helperContext(t, nil)
	for _, raw := range []map[string]any{
		{"dest": "/tmp/x"},
		{"src": "a", "content": "b", "dest": "/tmp/x"},
		{"content": "b", "dest": "/tmp/x", "remote_src": true},
		{"content": "b", "dest": "/tmp/x", "mode": "preserve"},
		{"content": "b", "dest": "/tmp/x", "mode": "u=rwz"},
		{"content": "b", "dest": "/tmp/x", "mode": "999"},
	} {
		if _, err := helperRun(t, mc, "copy", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
	_, err := helperRun(t, mc, "copy", map[string]any{"content": "b", "dest": "/tmp/x", "mode": "u=rwz"})
	if err == nil || !strings.Contains(err.Error(), `invalid mode "u=rwz"`) {
		t.Errorf("invalid mode error: %v", err)
	}
}

// peakHeap samples the heap while fn runs and returns its growth at the peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	done, wg := make(chan struct{}), sync.WaitGroup{}
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak - base
}

func TestCopyLargeFileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB copy")
	}
	const size = 64 << 20
	src := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(f, rng, size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := sha256File(t, src)
	eachConn(t, func(t *testing.T, c testConn) {
		dest := filepath.Join(t.TempDir(), "big.bin")
		mc := connContext(t, c, nil)
		mc.Diff = true
		var r *modules.Result
		growth := peakHeap(func() { r = helperMustRun(t, mc, "copy", map[string]any{"src": src, "dest": dest}) })
		if !r.Changed || r.Data["checksum"] != want || sha256File(t, dest) != want {
			t.Fatalf("large copy: %+v", r.Data)
		}
		if growth > 16<<20 {
			t.Errorf("heap grew by %d MiB copying a 64 MiB file", growth>>20)
		}
		if len(r.Diff) != 1 || !strings.Contains(r.Diff[0].After, "larger than 100 KiB") {
			t.Errorf("diff = %+v", r.Diff)
		}
		growth = peakHeap(func() { r = helperMustRun(t, mc, "copy", map[string]any{"src": src, "dest": dest}) })
		if r.Changed || growth > 16<<20 {
			t.Errorf("second run: changed=%v heap growth %d MiB", r.Changed, growth>>20)
		}
	})
}

func TestCopyAndFileWithBecome(t *testing.T) {
	requireRoot(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		mc := connContext(t, c, nil)
		mc.Become = &transport.Become{User: "nobody"}
		dest := filepath.Join(dir, "sub", "f")
		runTwiceAndCheck(t, mc, dir, "file", map[string]any{"path": filepath.Dir(dest), "state": "directory", "mode": "0700"})
		runTwiceAndCheck(t, mc, dir, "copy", map[string]any{"content": "as nobody\n", "dest": dest, "mode": "0600"})
		if mode, uid, _, _ := statOf(t, dest); uid != 65534 || mode.Perm() != 0o600 || readString(t, dest) != "as nobody\n" {
			t.Fatalf("become write: %v uid %d", mode, uid)
		}
	})
}

// watchedConn wraps a transport and counts what crosses it.
type watchedConn struct {
	transport.Transport
	mu                        sync.Mutex
	runs, reads, writes, sums int
	stdoutBytes, writtenBytes int64
}

func (w *watchedConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	res, err := w.Transport.Run(ctx, cmd)
	w.mu.Lock()
	w.runs++
	if res != nil {
		w.stdoutBytes += int64(len(res.Stdout))
	}
	w.mu.Unlock()
	return res, err
}

func (w *watchedConn) Checksum(ctx context.Context, p string) (string, error) {
	w.mu.Lock()
	w.sums++
	w.mu.Unlock()
	return w.Transport.Checksum(ctx, p)
}

func (w *watchedConn) ReadFile(ctx context.Context, p string, wr io.Writer) error {
	w.mu.Lock()
	w.reads++
	w.mu.Unlock()
	return w.Transport.ReadFile(ctx, p, wr)
}

func (w *watchedConn) WriteFile(ctx context.Context, p string, r io.Reader, opts transport.WriteOptions) error {
	n := &countingReader{r: r}
	err := w.Transport.WriteFile(ctx, p, n, opts)
	w.mu.Lock()
	w.writes++
	w.writtenBytes += n.n
	w.mu.Unlock()
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// An unchanged file is compared by the SHA-256 the host computes: nothing
// of it is downloaded or sent again, even with --diff. A changed one is
// sent once and replaced by rename: a reader on the host sees the old or
// the new content, never a mix, and no temporary file is left.
func TestCopyComparesOnTheHostAndReplacesAtomically(t *testing.T) {
	const size = 8 << 20
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		src, dest := filepath.Join(dir, "src.bin"), filepath.Join(dir, "out", "dest.bin")
		oldData, newData := strings.Repeat("o", size), strings.Repeat("n", size)
		writeString(t, src, oldData, 0o644)
		writeString(t, dest, oldData, 0o644)
		w := &watchedConn{Transport: c.Conn}
		mc := connContext(t, testConn{Name: c.Name, Conn: w}, nil)
		mc.Diff = true
		if r := helperMustRun(t, mc, "copy", map[string]any{"src": src, "dest": dest}); r.Changed {
			t.Fatalf("same content reported changed: %+v", r.Data)
		}
		if w.reads != 0 || w.writes != 0 || w.sums != 1 || w.stdoutBytes > 64<<10 {
			t.Errorf("unchanged copy: %d reads, %d writes, %d checksums, %d bytes of command output (want a checksum on the host and nothing else)",
				w.reads, w.writes, w.sums, w.stdoutBytes)
		}
		_, _, _, ino := statOf(t, dest)
		writeString(t, src, newData, 0o644)
		done, seen := make(chan struct{}), make(chan string, 1)
		go func() {
			bad := ""
			defer func() { seen <- bad }()
			for {
				select {
				case <-done:
					return
				default:
				}
				b, err := os.ReadFile(dest)
				if err != nil || (string(b) != oldData && string(b) != newData) {
					bad = fmt.Sprintf("a reader saw %d bytes (err %v): neither the old nor the new file", len(b), err)
					return
				}
			}
		}()
		r := helperMustRun(t, mc, "copy", map[string]any{"src": src, "dest": dest})
		close(done)
		if bad := <-seen; bad != "" {
			t.Error(bad)
		}
		if _, _, _, ino2 := statOf(t, dest); !r.Changed || readString(t, dest) != newData || ino2 == ino {
			t.Errorf("changed copy: changed=%v, inode %d -> %d (want a new file renamed over the old)", r.Changed, ino, ino2)
		}
		if w.writes != 1 || w.writtenBytes != size {
			t.Errorf("changed copy sent %d bytes in %d writes, want %d in 1", w.writtenBytes, w.writes, size)
		}
		if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
			t.Errorf("left behind in %s: %v", filepath.Dir(dest), entries)
		}
	})
}
