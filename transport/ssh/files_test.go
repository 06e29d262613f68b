package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func owner(t *testing.T, p string) (fs.FileMode, int, int) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	return st.Mode(), int(sys.Uid), int(sys.Gid)
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t, withFakeSudo(""))
	c := dial(t, cfg)
	ctx := ctxTimeout(t, 20*time.Second)
	for _, become := range []bool{false, true} {
		dir := t.TempDir()
		opts := transport.KeepOwner()
		if become {
			// Through (fake, password-less) sudo: same contract.
			opts.Become = &transport.Become{}
		}
		p := filepath.Join(dir, "new.txt")
		if err := c.WriteFile(ctx, p, strings.NewReader("hello\n"), opts); err != nil {
			t.Fatalf("become=%v: %v", become, err)
		}
		if data, _ := os.ReadFile(p); string(data) != "hello\n" {
			t.Fatalf("content %q", data)
		}
		if mode, _, _ := owner(t, p); mode.Perm() != 0o644 {
			t.Fatalf("become=%v: new file mode %v", become, mode)
		}

		// An existing file keeps mode and owner.
		old := filepath.Join(dir, "old.conf")
		os.WriteFile(old, []byte("old"), 0o600)
		os.Chmod(old, 0o640)
		if err := os.Chown(old, 1234, 4321); err != nil {
			t.Fatal(err)
		}
		big := make([]byte, 3<<20+17)
		rand.Read(big)
		if err := c.WriteFile(ctx, old, bytes.NewReader(big), opts); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(old); !bytes.Equal(data, big) {
			t.Fatalf("become=%v: content differs (%d bytes)", become, len(data))
		}
		if mode, uid, gid := owner(t, old); mode.Perm() != 0o640 || uid != 1234 || gid != 4321 {
			t.Fatalf("become=%v: kept mode/owner: %v %d:%d", become, mode, uid, gid)
		}

		// Explicit mode and owner win.
		opts.Mode, opts.UID, opts.GID = 0o600|fs.ModeSetgid, 99, 98
		if err := c.WriteFile(ctx, old, strings.NewReader("x"), opts); err != nil {
			t.Fatal(err)
		}
		if mode, uid, gid := owner(t, old); mode.Perm() != 0o600 || mode&fs.ModeSetgid == 0 || uid != 99 || gid != 98 {
			t.Fatalf("become=%v: explicit mode/owner: %v %d:%d", become, mode, uid, gid)
		}
		if names := listDir(t, dir); len(names) != 2 {
			t.Fatalf("become=%v: leftovers: %v", become, names)
		}
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("source broke")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t, withFakeSudo(""))
	c := dial(t, cfg)
	ctx := ctxTimeout(t, 20*time.Second)
	for _, become := range []bool{false, true} {
		dir := t.TempDir()
		p := filepath.Join(dir, "target")
		os.WriteFile(p, []byte("original"), 0o644)
		opts := transport.KeepOwner()
		if become {
			opts.Become = &transport.Become{}
		}
		err := c.WriteFile(ctx, p, &failingReader{n: 200000}, opts)
		if err == nil {
			t.Fatalf("become=%v: a broken source was written", become)
		}
		if data, _ := os.ReadFile(p); string(data) != "original" {
			t.Fatalf("become=%v: target changed: %q", become, data)
		}
		if names := listDir(t, dir); len(names) != 1 {
			t.Fatalf("become=%v: temporary file left: %v", become, names)
		}
		if err := c.WriteFile(ctx, dir, strings.NewReader("x"), opts); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("become=%v: writing over a directory: %v", become, err)
		}
	}
}

func TestWriteFileBecomeWithPassword(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t, withFakeSudo("write-sudo-pw"))
	cfg.BecomePassword = "write-sudo-pw"
	c := dial(t, cfg)
	p := filepath.Join(t.TempDir(), "secret")
	opts := transport.WriteOptions{Mode: 0o600, UID: -1, GID: -1, Become: &transport.Become{}}
	if err := c.WriteFile(ctxTimeout(t, 10*time.Second), p, strings.NewReader("line1\nline2\n"), opts); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(p); string(data) != "line1\nline2\n" {
		t.Fatalf("content %q (the password must not leak into the file)", data)
	}
	if err := c.WriteFile(ctxTimeout(t, 10*time.Second), p, strings.NewReader(""), opts); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() != 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("empty write: %v %v", st, err)
	}
}

// If sudo does not consume the password line, the framing catches it: the
// write fails and the password never lands in the file.
func TestWriteFileBecomeSudoDidNotReadPassword(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t, withFakeSudo("lie-sudo-pw"), withEnv("FAKE_SUDO_LIE=1"))
	cfg.BecomePassword = "lie-sudo-pw"
	c := dial(t, cfg)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	err := c.WriteFile(ctxTimeout(t, 10*time.Second), p, strings.NewReader("content"), transport.WriteOptions{UID: -1, GID: -1, Become: &transport.Become{}})
	if err == nil || !strings.Contains(err.Error(), "unexpected data before the file content") || strings.Contains(err.Error(), "lie-sudo-pw") {
		t.Fatalf("got %v", err)
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Fatalf("left %v", names)
	}
}

type slowReader struct{}

func (slowReader) Read(p []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	return min(len(p), 1024), nil
}

func TestWriteFileContextCancel(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t, withFakeSudo(""))
	c := dial(t, cfg)
	for _, become := range []*transport.Become{nil, {}} {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.WriteFile(ctx, filepath.Join(dir, "f"), slowReader{}, transport.WriteOptions{UID: -1, GID: -1, Become: become})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("become=%v: got %v", become != nil, err)
		}
		// The remote side cleans up after it sees the input end.
		deadline := time.Now().Add(5 * time.Second)
		for len(listDir(t, dir)) != 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if names := listDir(t, dir); len(names) != 0 {
			t.Fatalf("become=%v: left %v", become != nil, names)
		}
	}
}

func TestReadFileStatChecksum(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	ctx := ctxTimeout(t, 20*time.Second)
	dir := t.TempDir()
	p := filepath.Join(dir, "it's a \"file\" $(x)")
	data := make([]byte, 1<<20+3)
	rand.Read(data)
	os.WriteFile(p, data, 0o640)
	os.Chown(p, 77, 88)
	os.Symlink("it's a target", filepath.Join(dir, "link"))

	var buf bytes.Buffer
	if err := c.ReadFile(ctx, p, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("ReadFile: %v (%d bytes)", err, buf.Len())
	}
	if err := c.ReadFile(ctx, filepath.Join(dir, "missing"), io.Discard); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile missing: %v", err)
	}

	fi, err := c.Stat(ctx, p)
	if err != nil || !fi.Exists || fi.Size != int64(len(data)) || fi.Mode.Perm() != 0o640 || fi.UID != 77 || fi.GID != 88 || fi.IsDir() {
		t.Fatalf("Stat file: %+v %v", fi, err)
	}
	if fi, err = c.Stat(ctx, dir); err != nil || !fi.IsDir() {
		t.Fatalf("Stat dir: %+v %v", fi, err)
	}
	if fi, err = c.Stat(ctx, filepath.Join(dir, "link")); err != nil || fi.Mode&fs.ModeSymlink == 0 || fi.LinkTarget != "it's a target" {
		t.Fatalf("Stat link: %+v %v", fi, err)
	}
	if fi, err = c.Stat(ctx, filepath.Join(dir, "missing")); err != nil || fi.Exists {
		t.Fatalf("Stat missing: %+v %v", fi, err)
	}

	sum := sha256.Sum256(data)
	if got, err := c.Checksum(ctx, p); err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Checksum: %q %v", got, err)
	}
	if _, err := c.Checksum(ctx, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Checksum missing: %v", err)
	}
	if _, err := c.Checksum(ctx, dir); err == nil {
		t.Fatal("Checksum of a directory succeeded")
	}
}

// fakeRenamer is an SFTP server without posix-rename.
type fakeRenamer struct {
	files    map[string]string
	failNext bool
}

func (f *fakeRenamer) HasExtension(string) (string, bool) { return "", false }
func (f *fakeRenamer) PosixRename(string, string) error   { panic("not supported") }
func (f *fakeRenamer) Remove(p string) error              { delete(f.files, p); return nil }
func (f *fakeRenamer) Lstat(p string) (os.FileInfo, error) {
	if _, ok := f.files[p]; !ok {
		return nil, os.ErrNotExist
	}
	return nil, nil
}

func (f *fakeRenamer) Rename(from, to string) error {
	if _, ok := f.files[to]; ok {
		return errors.New("target exists")
	}
	if f.failNext && strings.Contains(from, "tmp") {
		return errors.New("rename failed")
	}
	f.files[to] = f.files[from]
	delete(f.files, from)
	return nil
}

func TestReplaceFileFallback(t *testing.T) {
	f := &fakeRenamer{files: map[string]string{"/d/f": "old", "/d/.f.tmp": "new"}}
	if err := replaceFile(f, "/d/.f.tmp", "/d/f"); err != nil || len(f.files) != 1 || f.files["/d/f"] != "new" {
		t.Fatalf("%v %v", err, f.files)
	}
	f = &fakeRenamer{files: map[string]string{"/d/f": "old", "/d/.f.tmp": "new"}, failNext: true}
	if err := replaceFile(f, "/d/.f.tmp", "/d/f"); err == nil || f.files["/d/f"] != "old" || len(f.files) != 2 {
		t.Fatalf("failed rename must restore the old file: %v %v", err, f.files)
	}
}
