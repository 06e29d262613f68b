package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// refusing is a connection whose login user may read nothing; commands
// answer from out (by program name) and are recorded.
type refusing struct {
	Transport
	out  map[string]Result
	cmds []*Cmd
}

func (r *refusing) Stat(context.Context, string) (FileInfo, error) {
	return FileInfo{}, fs.ErrPermission
}
func (r *refusing) Checksum(context.Context, string) (string, error) {
	return "", fmt.Errorf("sha256sum: x: Permission denied: %w", fs.ErrPermission)
}
func (r *refusing) ReadFile(context.Context, string, io.Writer) error {
	return &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}
}

func (r *refusing) Run(_ context.Context, cmd *Cmd) (*Result, error) {
	r.cmds = append(r.cmds, cmd)
	res := r.out[cmd.Args[0]]
	if cmd.Stdout != nil {
		_, _ = cmd.Stdout.Write(res.Stdout)
		res.Stdout = nil
	}
	if cmd.Stderr != nil {
		_, _ = cmd.Stderr.Write(res.Stderr)
		res.Stderr = nil
	}
	return &res, nil
}

func TestBecomeReadsFallBackToSudo(t *testing.T) {
	ctx := context.Background()
	b := &Become{User: "app", Password: "pw"}
	sum := strings.Repeat("ab", 32)
	r := &refusing{out: map[string]Result{
		"/bin/sh":   {Stdout: []byte("81a4 11 0 5 1700000000\n")},
		"sha256sum": {Stdout: []byte(`\` + sum + "  x\\nname\n")},
		"cat":       {Stdout: []byte("content")},
	}}
	fi, err := StatAs(ctx, r, b, "/p")
	if err != nil || !fi.Exists || fi.Path != "/p" || fi.Size != 11 || fi.Mode != 0o644 || fi.UID != 0 || fi.GID != 5 || fi.ModTime.Unix() != 1700000000 {
		t.Errorf("StatAs: %+v %v", fi, err)
	}
	if got, err := ChecksumAs(ctx, r, b, "/p"); err != nil || got != sum {
		t.Errorf("ChecksumAs: %q %v", got, err)
	}
	var buf bytes.Buffer
	if err := ReadFileAs(ctx, r, b, "/p", &buf); err != nil || buf.String() != "content" {
		t.Errorf("ReadFileAs: %q %v", buf.String(), err)
	}
	if len(r.cmds) != 3 {
		t.Fatalf("ran %d commands, want 3", len(r.cmds))
	}
	for _, c := range r.cmds {
		if c.Become != b || c.Args[len(c.Args)-1] != "/p" {
			t.Errorf("command %q ran with become %+v, want the task's", c.Args, c.Become)
		}
		if strings.Contains(strings.Join(c.Args, " "), "pw") {
			t.Errorf("the password is in the arguments: %q", c.Args)
		}
	}

	// Without become the refusal stands and nothing runs.
	r.cmds = nil
	if _, err := StatAs(ctx, r, nil, "/p"); !IsPermission(err) {
		t.Errorf("StatAs without become: %v", err)
	}
	if _, err := ChecksumAs(ctx, r, nil, "/p"); err == nil {
		t.Error("ChecksumAs without become succeeded")
	}
	if err := ReadFileAs(ctx, r, nil, "/p", io.Discard); !IsPermission(err) {
		t.Errorf("ReadFileAs without become: %v", err)
	}
	if len(r.cmds) != 0 {
		t.Errorf("ran %d commands without become", len(r.cmds))
	}
}

func TestBecomeReadsErrors(t *testing.T) {
	ctx := context.Background()
	r := &refusing{out: map[string]Result{
		"/bin/sh":   {ExitCode: 3},
		"sha256sum": {ExitCode: 1, Stderr: []byte("sha256sum: /p: No such file or directory\n")},
		"cat":       {ExitCode: 1, Stderr: []byte("cat: /p: Permission denied\n")},
	}}
	if fi, err := StatAs(ctx, r, &Become{}, "/p"); err != nil || fi.Exists || fi.Path != "/p" {
		t.Errorf("StatAs missing: %+v %v", fi, err)
	}
	if _, err := ChecksumAs(ctx, r, &Become{}, "/p"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "as root") {
		t.Errorf("ChecksumAs missing: %v", err)
	}
	if err := ReadFileAs(ctx, r, &Become{User: "app"}, "/p", io.Discard); !IsPermission(err) || !strings.Contains(err.Error(), "read /p as app: cat: /p: Permission denied") {
		t.Errorf("ReadFileAs refused: %v", err)
	}
}

func TestRawMode(t *testing.T) {
	for raw, want := range map[uint32]fs.FileMode{
		0o100644: 0o644, 0o040755: fs.ModeDir | 0o755, 0o120777: fs.ModeSymlink | 0o777,
		0o104755: fs.ModeSetuid | 0o755, 0o041777: fs.ModeDir | fs.ModeSticky | 0o777, 0o102700: fs.ModeSetgid | 0o700,
		0o020620: fs.ModeDevice | fs.ModeCharDevice | 0o620, 0o010600: fs.ModeNamedPipe | 0o600,
	} {
		if got := RawMode(raw); got != want {
			t.Errorf("RawMode(%o) = %v, want %v", raw, got, want)
		}
	}
}
