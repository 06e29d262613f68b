package modules_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStatFileLinkDirMissing(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		writeString(t, f, "hello\n", 0o640)
		if err := os.Symlink("f", filepath.Join(dir, "l")); err != nil {
			t.Fatal(err)
		}
		mc := connContext(t, c, nil)
		mc.Check = true // stat is the same in check mode
		r := helperMustRun(t, mc, "stat", map[string]any{"path": f})
		st := r.Data["stat"].(map[string]any)
		if r.Changed || st["exists"] != true || st["isreg"] != true || st["isdir"] != false || st["islnk"] != false ||
			st["mode"] != "0640" || st["size"] != int64(6) || st["uid"] != os.Getuid() || st["checksum"] != sha1Of("hello\n") {
			t.Fatalf("stat = %v", st)
		}
		if mt := st["mtime"].(float64); time.Since(time.Unix(int64(mt), 0)) > time.Hour {
			t.Errorf("mtime %v", mt)
		}
		st = helperMustRun(t, mc, "stat", map[string]any{"path": filepath.Join(dir, "l")}).Data["stat"].(map[string]any)
		if st["islnk"] != true || st["lnk_target"] != "f" || st["isreg"] != false || st["checksum"] != nil {
			t.Errorf("link = %v", st)
		}
		st = helperMustRun(t, mc, "stat", map[string]any{"path": filepath.Join(dir, "l"), "follow": true}).Data["stat"].(map[string]any)
		if st["islnk"] != false || st["isreg"] != true || st["checksum"] != sha1Of("hello\n") {
			t.Errorf("followed link = %v", st)
		}
		st = helperMustRun(t, mc, "stat", map[string]any{"path": dir, "get_checksum": false}).Data["stat"].(map[string]any)
		if st["isdir"] != true || st["checksum"] != nil {
			t.Errorf("dir = %v", st)
		}
		st = helperMustRun(t, mc, "stat", map[string]any{"path": filepath.Join(dir, "nope")}).Data["stat"].(map[string]any)
		if len(st) != 1 || st["exists"] != false {
			t.Errorf("missing = %v", st)
		}
	})
}
