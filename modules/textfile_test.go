package modules_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/transport"
)

// textFileState reads a file for comparison; "<missing>" when absent.
func textFileState(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "<missing>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// textRunThrice runs a text module on p three times: in check mode (which
// must not touch the file and must predict the real run's changed and msg),
// for real, and again (which must change nothing). It returns the real run.
func textRunThrice(t *testing.T, mc *modules.Context, module, p string, raw map[string]any) *modules.Result {
	t.Helper()
	before := textFileState(t, p)
	mc.Check = true
	predicted := helperMustRun(t, mc, module, raw)
	if got := textFileState(t, p); got != before {
		t.Fatalf("check mode changed %s: %q -> %q", p, before, got)
	}
	mc.Check = false
	r := helperMustRun(t, mc, module, raw)
	if predicted.Changed != r.Changed || predicted.Msg != r.Msg || predicted.Failed != r.Failed {
		t.Errorf("check mode predicted changed=%v msg=%q failed=%v, the run gave changed=%v msg=%q failed=%v",
			predicted.Changed, predicted.Msg, predicted.Failed, r.Changed, r.Msg, r.Failed)
	}
	if r.Failed {
		return r
	}
	again := helperMustRun(t, mc, module, raw)
	if again.Changed || again.Failed {
		t.Errorf("second run: changed=%v failed=%v msg=%q; file %q", again.Changed, again.Failed, again.Msg, textFileState(t, p))
	}
	return r
}

// textRunCase writes before to p, creating its directory (nil leaves p
// missing), and runs module with path p and args through textRunThrice.
func textRunCase(t *testing.T, c testConn, module, p string, before *string, args map[string]any) *modules.Result {
	t.Helper()
	if before != nil {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeText(t, p, *before)
	}
	raw := map[string]any{"path": p}
	maps.Copy(raw, args)
	return textRunThrice(t, connContext(t, c, nil), module, p, raw)
}

func writeText(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTextFollowsSymlinkAndKeepsModeOwner(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		for _, become := range []bool{false, true} {
			dir := t.TempDir()
			real := filepath.Join(dir, "real.conf")
			writeText(t, real, "a\n")
			if err := os.Chmod(real, 0o640); err != nil {
				t.Fatal(err)
			}
			if os.Geteuid() == 0 {
				if err := os.Chown(real, 12345, 23456); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(dir, "link.conf")
			if err := os.Symlink("real.conf", link); err != nil {
				t.Fatal(err)
			}
			mc := connContext(t, c, nil)
			if become {
				mc.Become = textBecomeSelf(t)
			}
			textRunThrice(t, mc, "lineinfile", link, map[string]any{"path": link, "line": "b"})
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("become=%v: the link was replaced: %v", become, err)
			}
			if got := textFileState(t, real); got != "a\nb\n" {
				t.Fatalf("become=%v: target = %q", become, got)
			}
			fi, _ := os.Stat(real)
			st := fi.Sys().(*syscall.Stat_t)
			if fi.Mode().Perm() != 0o640 || os.Geteuid() == 0 && (st.Uid != 12345 || st.Gid != 23456) {
				t.Fatalf("become=%v: mode %v owner %d:%d not kept", become, fi.Mode(), st.Uid, st.Gid)
			}
		}
	})
}

// textBecomeSelf is become to the current user: the become code paths run,
// without sudo.
func textBecomeSelf(t *testing.T) *transport.Become {
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	return &transport.Become{User: u.Username}
}

func TestTextModeOwnerAttributes(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		p := filepath.Join(dir, "sub", "new.conf")
		mc := connContext(t, c, nil)
		r := textRunThrice(t, mc, "lineinfile", p, map[string]any{"path": p, "line": "x", "create": true, "mode": "0600"})
		if !r.Changed || r.Msg != "line added" {
			t.Fatalf("create: %+v", r)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("created mode: %v %v", fi, err)
		}
		// Only the mode differs: Ansible's message, and a diff of the attributes.
		mc.Diff = true
		r = textRunThrice(t, mc, "lineinfile", p, map[string]any{"path": p, "line": "x", "mode": "u=rw,g=r,o=r"})
		if !r.Changed || r.Msg != "ownership, perms or SE linux context changed" {
			t.Fatalf("mode only: %+v", r)
		}
		if len(r.Diff) != 2 || !strings.Contains(r.Diff[1].Before, "mode: 0600") || !strings.Contains(r.Diff[1].After, "mode: 0644") ||
			r.Diff[1].BeforeHeader != "localhost:"+p+" (file attributes)" {
			t.Fatalf("attribute diff: %+v", r.Diff)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
			t.Fatalf("mode = %v", fi.Mode())
		}
		r = textRunThrice(t, mc, "lineinfile", p, map[string]any{"path": p, "line": "y", "mode": "g+w,o-r"})
		if r.Msg != "line added and ownership, perms or SE linux context changed" {
			t.Fatalf("both: %+v", r)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o660 {
			t.Fatalf("mode = %v", fi.Mode())
		}
		if os.Geteuid() == 0 {
			r = textRunThrice(t, mc, "lineinfile", p, map[string]any{"path": p, "line": "y", "owner": "nobody", "group": "0"})
			fi, _ := os.Stat(p)
			nobody, _ := user.Lookup("nobody")
			if st := fi.Sys().(*syscall.Stat_t); nobody == nil || strconv.Itoa(int(st.Uid)) != nobody.Uid || st.Gid != 0 || !r.Changed {
				t.Fatalf("owner: %+v %+v", st, r)
			}
		}
		for _, bad := range []map[string]any{{"mode": "u=rwz"}, {"mode": "0999"}, {"owner": "runbook-no-such-user"}, {"group": "runbook-no-such-group"}} {
			raw := map[string]any{"path": p, "line": "y"}
			for k, v := range bad {
				raw[k] = v
			}
			if _, err := helperRun(t, mc, "lineinfile", raw); err == nil {
				t.Errorf("%v accepted", bad)
			}
		}
	})
}

func TestTextBackup(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f")
		writeText(t, p, "old\n")
		r := helperMustRun(t, connContext(t, c, nil), "blockinfile", map[string]any{"path": p, "block": "new", "backup": true})
		b, _ := r.Data["backup_file"].(string)
		if !r.Changed || !strings.HasPrefix(b, p+".") || !strings.HasSuffix(b, "~") || textFileState(t, b) != "old\n" {
			t.Fatalf("backup %q: %+v", b, r)
		}
		r = helperMustRun(t, connContext(t, c, nil), "lineinfile", map[string]any{"path": p, "line": "old", "backup": true})
		if r.Changed || r.Data["backup"] != "" {
			t.Fatalf("no change, no backup: %+v", r)
		}
	})
}

func TestTextPathsAndErrors(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		mc := connContext(t, c, nil)
		mc.Env = map[string]string{"HOME": dir} // the task's environment is seen by ~ expansion
		r := helperMustRun(t, mc, "lineinfile", map[string]any{"path": "~/rc", "line": "x", "create": true})
		if !r.Changed || textFileState(t, filepath.Join(dir, "rc")) != "x\n" {
			t.Fatalf("~ path: %+v", r)
		}
		for _, tc := range []struct {
			raw  map[string]any
			want string
		}{
			{map[string]any{"path": "relative/file", "line": "x"}, "must be absolute"},
			{map[string]any{"path": dir, "line": "x"}, "is a directory"},
		} {
			_, err := helperRun(t, mc, "lineinfile", tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "localhost") {
				t.Errorf("%v: err = %v, want %q naming the host", tc.raw, err, tc.want)
			}
		}
		r = helperMustRun(t, mc, "lineinfile", map[string]any{"path": filepath.Join(dir, "missing"), "line": "x"})
		if !r.Failed || !strings.Contains(r.Msg, filepath.Join(dir, "missing")) || !strings.Contains(r.Msg, "does not exist") {
			t.Fatalf("missing file: %+v", r)
		}
	})
}

func TestTextPermissionDeniedNamesHostAndPath(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to become nobody")
	}
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip(err)
	}
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		unreadable := filepath.Join(dir, "secret")
		writeText(t, unreadable, "a\n")
		closed := filepath.Join(dir, "closed", "file")
		if err := os.Mkdir(filepath.Dir(closed), 0o700); err != nil {
			t.Fatal(err)
		}
		writeText(t, closed, "a\n")
		if err := os.Chmod(unreadable, 0o600); err != nil {
			t.Fatal(err)
		}
		mc := connContext(t, c, nil)
		mc.Become = &transport.Become{User: "nobody"}
		for _, p := range []string{unreadable, closed} {
			for module, raw := range map[string]map[string]any{
				"lineinfile":  {"path": p, "line": "b", "create": true},
				"blockinfile": {"path": p, "block": "b", "create": true},
				"hosts":       {"path": p, "ip": "10.0.0.1", "names": "b"},
			} {
				_, err := helperRun(t, mc, module, raw)
				if err == nil || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "localhost") {
					t.Fatalf("%s %s: err = %v", module, p, err)
				}
			}
			if textFileState(t, p) != "a\n" {
				t.Fatal("file changed")
			}
		}
	})
}

// busyConn is the local connection whose WriteFile fails like a rename over
// a bind-mounted file does.
type busyConn struct{ transport.Transport }

func (busyConn) WriteFile(_ context.Context, p string, _ io.Reader, _ transport.WriteOptions) error {
	return &os.LinkError{Op: "rename", Old: p + ".tmp", New: p, Err: syscall.EBUSY}
}

func TestTextMountPointWrittenInPlace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts")
	writeText(t, p, "127.0.0.1 localhost\n")
	before, _ := os.Stat(p)
	mc := helperContext(t, nil)
	mc.Conn = busyConn{transport.NewLocal()}
	r := helperMustRun(t, mc, "hosts", map[string]any{"ip": "10.0.0.2", "names": "sea.hub", "path": p})
	if !r.Changed || textFileState(t, p) != "127.0.0.1 localhost\n10.0.0.2 sea.hub #hostalias-set-by-sealer\n" {
		t.Fatalf("%+v: %q", r, textFileState(t, p))
	}
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) {
		t.Fatal("the file was replaced, not rewritten in place")
	}
}

func TestTextLargeFileDiffNotKept(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	writeText(t, p, strings.Repeat("x\n", 1<<20))
	mc := helperContext(t, nil)
	mc.Diff = true
	r := helperMustRun(t, mc, "lineinfile", map[string]any{"path": p, "line": "y"})
	if !r.Changed || len(r.Diff) != 1 || r.Diff[0].Before != "(2097152 bytes: diff not shown)\n" || r.Diff[0].After != "(2097154 bytes: diff not shown)\n" {
		t.Fatalf("%+v", r.Diff)
	}
}
