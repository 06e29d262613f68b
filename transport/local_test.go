package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runLocal(t *testing.T, cmd *Cmd) *Result {
	t.Helper()
	res, err := NewLocal().Run(context.Background(), cmd)
	if err != nil {
		t.Fatalf("Run(%+v): %v", cmd, err)
	}
	return res
}

func TestLocalRunArgsLiteral(t *testing.T) {
	arg := `$HOME; echo pwned | cat > /dev/null && $(id) 'q' "d" *`
	res := runLocal(t, &Cmd{Args: []string{"printf", "%s", arg}})
	if res.ExitCode != 0 || string(res.Stdout) != arg {
		t.Fatalf("got rc=%d stdout=%q, want %q", res.ExitCode, res.Stdout, arg)
	}
}

func TestLocalRunShell(t *testing.T) {
	res := runLocal(t, &Cmd{Shell: `echo one | tr a-z A-Z; echo err >&2; exit 3`})
	if res.ExitCode != 3 || string(res.Stdout) != "ONE\n" || string(res.Stderr) != "err\n" {
		t.Fatalf("got rc=%d stdout=%q stderr=%q", res.ExitCode, res.Stdout, res.Stderr)
	}
}

func TestLocalRunEnvDirStdin(t *testing.T) {
	dir := t.TempDir()
	res := runLocal(t, &Cmd{
		Shell: `printf '%s|%s|' "$RB_A" "$RB_B"; pwd; cat`,
		Env:   map[string]string{"RB_A": "a b", "RB_B": "$x'y"},
		Dir:   dir,
		Stdin: strings.NewReader("input\n"),
	})
	real, _ := filepath.EvalSymlinks(dir)
	want := "a b|$x'y|" + real + "\ninput\n"
	if res.ExitCode != 0 || string(res.Stdout) != want {
		t.Fatalf("got rc=%d stdout=%q, want %q", res.ExitCode, res.Stdout, want)
	}
	if os.Getenv("PATH") != "" { // the controller's environment is inherited
		res = runLocal(t, &Cmd{Args: []string{"sh", "-c", `test -n "$PATH"`}})
		if res.ExitCode != 0 {
			t.Fatalf("PATH not inherited")
		}
	}
	if _, err := NewLocal().Run(context.Background(), &Cmd{Args: []string{"true"}, Env: map[string]string{"A-B": "x"}}); err == nil {
		t.Fatal("invalid env name accepted")
	}
}

func TestLocalRunFailures(t *testing.T) {
	res := runLocal(t, &Cmd{Args: []string{"runbook-no-such-program"}})
	if res.ExitCode != 127 || !strings.Contains(string(res.Stderr), "not found") {
		t.Fatalf("missing program: rc=%d stderr=%q", res.ExitCode, res.Stderr)
	}
	res = runLocal(t, &Cmd{Args: []string{"/nonexistent/prog"}})
	if res.ExitCode != 127 {
		t.Fatalf("missing path: rc=%d stderr=%q", res.ExitCode, res.Stderr)
	}
	res = runLocal(t, &Cmd{Args: []string{"true"}, Dir: "/nonexistent-dir"})
	if res.ExitCode != 2 || !strings.Contains(string(res.Stderr), "/nonexistent-dir") {
		t.Fatalf("missing dir: rc=%d stderr=%q", res.ExitCode, res.Stderr)
	}
	res = runLocal(t, &Cmd{Shell: "kill -TERM $$"})
	if res.ExitCode != -15 {
		t.Fatalf("signal: rc=%d", res.ExitCode)
	}
	if _, err := NewLocal().Run(context.Background(), &Cmd{}); err == nil {
		t.Fatal("empty command accepted")
	}
}

func TestLocalRunEnvPathLookup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rbhello"), []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := runLocal(t, &Cmd{Args: []string{"rbhello"}, Env: map[string]string{"PATH": dir + ":/usr/bin:/bin"}})
	if res.ExitCode != 0 || string(res.Stdout) != "hello\n" {
		t.Fatalf("rc=%d stdout=%q stderr=%q", res.ExitCode, res.Stdout, res.Stderr)
	}
}

func TestLocalRunCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The shell's child sleep keeps stdout open: the group must be killed.
	_, err := NewLocal().Run(ctx, &Cmd{Shell: "sleep 30; echo done"})
	if took := time.Since(start); took > time.Second {
		t.Fatalf("cancel took %v", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestLocalRunBackgroundChildDoesNotHang(t *testing.T) {
	start := time.Now()
	res := runLocal(t, &Cmd{Shell: "sleep 2 & echo started"})
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %v", took)
	}
	if res.ExitCode != 0 || string(res.Stdout) != "started\n" {
		t.Fatalf("rc=%d stdout=%q", res.ExitCode, res.Stdout)
	}
}

func TestLocalBecomeSameUserRunsDirectly(t *testing.T) {
	u, err := localCurrentUser()
	if err != nil {
		t.Skip(err)
	}
	old := localSudo
	localSudo = "/nonexistent/sudo"
	defer func() { localSudo = old }()
	res := runLocal(t, &Cmd{Args: []string{"id", "-un"}, Become: &Become{User: u.Username, Password: "x"}, Stdin: strings.NewReader("")})
	if res.ExitCode != 0 || strings.TrimSpace(string(res.Stdout)) != u.Username {
		t.Fatalf("rc=%d stdout=%q stderr=%q", res.ExitCode, res.Stdout, res.Stderr)
	}
	p := filepath.Join(t.TempDir(), "f")
	opts := KeepOwner()
	opts.Become = &Become{User: u.Username}
	if err := NewLocal().WriteFile(context.Background(), p, strings.NewReader("direct"), opts); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "direct", 0o644)
}

// fakeSudo installs a sudo stand-in that logs its arguments, optionally
// consumes a password line (as sudo -S does when it needs one) and runs the
// command after "--".
func fakeSudo(t *testing.T, readsPassword bool) (logFile string) {
	t.Helper()
	dir := t.TempDir()
	logFile = filepath.Join(dir, "args")
	read := ""
	if readsPassword {
		read = `IFS= read -r pw; [ "$pw" = secret ] || { echo "bad password" >&2; exit 1; }`
	}
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + logFile + "\n" +
		"while [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done; shift\n" + read + "\nexec \"$@\"\n"
	prog := filepath.Join(dir, "sudo")
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := localSudo
	localSudo = prog
	t.Cleanup(func() { localSudo = old })
	return logFile
}

func TestLocalBecomeOtherUserUsesSudo(t *testing.T) {
	for _, reads := range []bool{true, false} {
		logFile := fakeSudo(t, reads)
		res := runLocal(t, &Cmd{
			Args:   []string{"sh", "-c", `printf '%s:' "$RB_X"; cat`},
			Env:    map[string]string{"RB_X": "v w"},
			Stdin:  strings.NewReader("payload\n"),
			Become: &Become{User: "runbook-other", Password: "secret"},
		})
		if res.ExitCode != 0 || string(res.Stdout) != "v w:payload\n" {
			t.Fatalf("reads=%v: rc=%d stdout=%q stderr=%q", reads, res.ExitCode, res.Stdout, res.Stderr)
		}
		logged, _ := os.ReadFile(logFile)
		if !strings.HasPrefix(string(logged), "-S\n-p\n\n-u\nrunbook-other\n--\n") || strings.Contains(string(logged), "secret") {
			t.Fatalf("sudo args: %q", logged)
		}
	}
	// Without a password nothing is added to stdin, and sudo must not prompt.
	logFile := fakeSudo(t, false)
	res := runLocal(t, &Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("x"), Become: &Become{User: "runbook-other"}})
	if string(res.Stdout) != "x" {
		t.Fatalf("stdout=%q", res.Stdout)
	}
	if logged, _ := os.ReadFile(logFile); string(logged) != "-S\n-p\n\n-n\n-u\nrunbook-other\n--\ncat\n" {
		t.Fatalf("sudo args: %q", logged)
	}
}

func TestLocalWriteFileBecomeOtherUser(t *testing.T) {
	fakeSudo(t, true)
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	opts := KeepOwner()
	opts.Become = &Become{User: "runbook-other", Password: "secret"}
	if err := NewLocal().WriteFile(context.Background(), p, strings.NewReader("new\n"), opts); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "new\n", 0o640)
	opts.Mode = 0o600
	if err := NewLocal().WriteFile(context.Background(), p, strings.NewReader("newer"), opts); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "newer", 0o600)
	opts.Mode = 0o755 | fs.ModeSetgid
	if err := NewLocal().WriteFile(context.Background(), p, strings.NewReader("x"), opts); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode()&(fs.ModePerm|fs.ModeSetgid) != 0o755|fs.ModeSetgid {
		t.Fatalf("mode = %v", fi.Mode())
	}
	err := NewLocal().WriteFile(context.Background(), p, &failingReader{}, opts)
	if err == nil {
		t.Fatal("failing reader: no error")
	}
	checkFile(t, p, "x", 0o755)
	opts.Become.Password = "wrong"
	if err := NewLocal().WriteFile(context.Background(), p, strings.NewReader("y"), opts); err == nil || !strings.Contains(err.Error(), "bad password") {
		t.Fatalf("wrong password: %v", err)
	}
	checkFile(t, p, "x", 0o755)
	assertNoTemp(t, filepath.Dir(p))
}

func checkFile(t *testing.T, p, content string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != content {
		t.Fatalf("content = %q, %v; want %q", b, err, content)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != mode {
		t.Fatalf("mode = %o, want %o", fi.Mode().Perm(), mode)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".runbook-tmp-") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestLocalWriteFile(t *testing.T) {
	ctx := context.Background()
	tr := NewLocal()
	dir := t.TempDir()
	p := filepath.Join(dir, "new")
	if err := tr.WriteFile(ctx, p, strings.NewReader("hello"), KeepOwner()); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "hello", 0o644)
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteFile(ctx, p, strings.NewReader("again"), KeepOwner()); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "again", 0o600) // existing mode kept
	opts := KeepOwner()
	opts.Mode = 0o751
	if err := tr.WriteFile(ctx, p, strings.NewReader("x"), opts); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "x", 0o751)
	assertNoTemp(t, dir)
	if err := tr.WriteFile(ctx, dir, strings.NewReader("x"), KeepOwner()); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
}

func TestLocalWriteFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 1234, 2345); err != nil {
		t.Fatal(err)
	}
	if err := NewLocal().WriteFile(ctx, p, strings.NewReader("b"), KeepOwner()); err != nil {
		t.Fatal(err)
	}
	fi, _ := NewLocal().Stat(ctx, p)
	if fi.UID != 1234 || fi.GID != 2345 {
		t.Fatalf("owner not kept: %d:%d", fi.UID, fi.GID)
	}
	opts := WriteOptions{UID: 4321, GID: -1}
	if err := NewLocal().WriteFile(ctx, p, strings.NewReader("c"), opts); err != nil {
		t.Fatal(err)
	}
	fi, _ = NewLocal().Stat(ctx, p)
	if fi.UID != 4321 || fi.GID != 2345 || fi.Mode.Perm() != 0o644 {
		t.Fatalf("after explicit uid: %d:%d %o", fi.UID, fi.GID, fi.Mode.Perm())
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		return 0, errors.New("boom")
	}
	f.n++
	return copy(p, "partial"), nil
}

func TestLocalWriteFileErrorKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("original"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := NewLocal().WriteFile(context.Background(), p, &failingReader{}, KeepOwner())
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	checkFile(t, p, "original", 0o600)
	assertNoTemp(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewLocal().WriteFile(ctx, p, strings.NewReader("x"), KeepOwner()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	checkFile(t, p, "original", 0o600)
	assertNoTemp(t, dir)
}

func TestLocalStat(t *testing.T) {
	ctx := context.Background()
	tr := NewLocal()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("12345"), 0o640); err != nil {
		t.Fatal(err)
	}
	fi, err := tr.Stat(ctx, p)
	if err != nil || !fi.Exists || fi.Size != 5 || fi.Mode.Perm() != 0o640 || fi.IsDir() || fi.Path != p {
		t.Fatalf("file: %+v %v", fi, err)
	}
	if fi.UID != os.Getuid() || fi.GID != os.Getgid() || fi.ModTime.IsZero() {
		t.Fatalf("owner/mtime: %+v", fi)
	}
	if fi, err = tr.Stat(ctx, dir); err != nil || !fi.IsDir() {
		t.Fatalf("dir: %+v %v", fi, err)
	}
	link := filepath.Join(dir, "l")
	if err := os.Symlink("f", link); err != nil {
		t.Fatal(err)
	}
	if fi, err = tr.Stat(ctx, link); err != nil || fi.Mode&fs.ModeSymlink == 0 || fi.LinkTarget != "f" {
		t.Fatalf("link: %+v %v", fi, err)
	}
	for _, missing := range []string{filepath.Join(dir, "nope"), filepath.Join(p, "under-a-file")} {
		if fi, err = tr.Stat(ctx, missing); err != nil || fi.Exists {
			t.Fatalf("missing %s: %+v %v", missing, fi, err)
		}
	}
}

func TestLocalChecksumAndReadFile(t *testing.T) {
	ctx := context.Background()
	tr := NewLocal()
	data := bytes.Repeat([]byte("runbook "), 100000)
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	got, err := tr.Checksum(ctx, p)
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("checksum %q %v", got, err)
	}
	var buf bytes.Buffer
	if err := tr.ReadFile(ctx, p, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("read: %d bytes, %v", buf.Len(), err)
	}
	if _, err := tr.Checksum(ctx, p+".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing checksum: %v", err)
	}
	if err := tr.ReadFile(ctx, p+".missing", io.Discard); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing read: %v", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLocalSudoWriteScriptRejectsShortInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runLocal(t, &Cmd{
		Args:  []string{"/bin/sh", "-c", localSudoWriteScript, "runbook-write", p, "", "", "", "10"},
		Stdin: strings.NewReader("short"),
	})
	if res.ExitCode == 0 {
		t.Fatal("short input committed")
	}
	checkFile(t, p, "original", 0o644)
	assertNoTemp(t, dir)
	res = runLocal(t, &Cmd{
		Args:  []string{"/bin/sh", "-c", localSudoWriteScript, "runbook-write", p, "600", "", "", "5"},
		Stdin: strings.NewReader("exact"),
	})
	if res.ExitCode != 0 {
		t.Fatalf("rc=%d stderr=%q", res.ExitCode, res.Stderr)
	}
	checkFile(t, p, "exact", 0o600)
}

func TestLocalRunStreamsOutput(t *testing.T) {
	var out, errb bytes.Buffer
	res, err := NewLocal().Run(context.Background(), &Cmd{Shell: "head -c 3000000 /dev/zero; echo oops >&2", Stdout: &out, Stderr: &errb})
	if err != nil || res.ExitCode != 0 {
		t.Fatal(err, res)
	}
	if out.Len() != 3000000 || errb.String() != "oops\n" || len(res.Stdout) != 0 || len(res.Stderr) != 0 {
		t.Errorf("streamed %d bytes, stderr %q; result kept %d/%d bytes", out.Len(), errb.String(), len(res.Stdout), len(res.Stderr))
	}
}

// TestLocalWriteFileReplacesSymlink: a symbolic link at the path is
// replaced by the new file, directly and through sudo: its target (a
// file, a directory) is neither written nor lends its mode.
func TestLocalWriteFileReplacesSymlink(t *testing.T) {
	for _, become := range []bool{false, true} {
		dir := t.TempDir()
		target, targetDir := filepath.Join(dir, "target"), filepath.Join(dir, "d")
		if err := os.WriteFile(target, []byte("theirs"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(targetDir, 0o700); err != nil {
			t.Fatal(err)
		}
		opts := KeepOwner()
		if become {
			fakeSudo(t, true)
			opts.Become = &Become{User: "runbook-other", Password: "secret"}
		}
		for _, to := range []string{target, targetDir} {
			link := filepath.Join(dir, "link-"+filepath.Base(to))
			if err := os.Symlink(to, link); err != nil {
				t.Fatal(err)
			}
			if err := NewLocal().WriteFile(context.Background(), link, strings.NewReader("mine"), opts); err != nil {
				t.Fatalf("become=%v: %v", become, err)
			}
			if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("become=%v: %s is %v (%v), want a regular file", become, link, fi.Mode(), err)
			}
			checkFile(t, link, "mine", 0o644)
		}
		checkFile(t, target, "theirs", 0o600)
		if ents, _ := os.ReadDir(targetDir); len(ents) != 0 {
			t.Fatalf("become=%v: written into the linked directory: %v", become, ents)
		}
	}
}

// TestLocalRunRefusesNUL: a NUL byte anywhere in a command is an error
// naming where, before anything runs.
func TestLocalRunRefusesNUL(t *testing.T) {
	for want, cmd := range map[string]*Cmd{
		"argument 1":             {Args: []string{"echo", "a\x00b"}},
		"the shell script":       {Shell: "echo a\x00b"},
		"the working directory":  {Args: []string{"true"}, Dir: "/tmp/\x00"},
		"environment variable X": {Args: []string{"true"}, Env: map[string]string{"X": "\x00"}},
	} {
		_, err := NewLocal().Run(context.Background(), cmd)
		if err == nil || !strings.Contains(err.Error(), want+" contains a NUL byte") {
			t.Errorf("%s: %v", want, err)
		}
		if _, err := ShellLine(cmd); err == nil || !strings.Contains(err.Error(), want+" contains a NUL byte") {
			t.Errorf("ShellLine, %s: %v", want, err)
		}
	}
}
