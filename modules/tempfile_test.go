package modules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTempfileCreatesFileAndDirectory(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		mc := connContext(t, c, nil)
		r := helperMustRun(t, mc, "tempfile", map[string]any{"path": dir, "prefix": "pre-", "suffix": ".txt"})
		p, _ := r.Data["path"].(string)
		name := filepath.Base(p)
		if !r.Changed || filepath.Dir(p) != dir || !strings.HasPrefix(name, "pre-") || !strings.HasSuffix(name, ".txt") ||
			len(name) != len("pre-")+8+len(".txt") || r.Data["mode"] != "0600" || r.Data["state"] != "file" || r.Data["owner"] != "root" {
			t.Fatalf("file: %+v", r)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("file on disk: %v %v", fi, err)
		}
		r = helperMustRun(t, mc, "tempfile", map[string]any{"path": dir, "state": "directory"})
		p, _ = r.Data["path"].(string)
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || !strings.HasPrefix(filepath.Base(p), "ansible.") ||
			r.Data["mode"] != "0700" || r.Data["state"] != "directory" {
			t.Errorf("directory: %+v, %v %v", r, fi, err)
		}
		r = helperMustRun(t, mc, "tempfile", map[string]any{"path": filepath.Join(dir, "missing")})
		if !r.Failed || !strings.Contains(r.Msg, "No such file or directory") {
			t.Errorf("missing directory: %+v", r)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Errorf("%d entries in %s, want 2", len(entries), dir)
		}
	})
}
