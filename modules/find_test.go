package modules_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// findTree builds a small tree: two levels of files, a hidden file and
// directory, a link to a directory, a dangling link and an old file.
func findTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeString(t, filepath.Join(dir, "cfg.conf"), "line1\nfoo=1\n", 0o640)
	writeString(t, filepath.Join(dir, "a", "x.log"), "hello\n", 0o644)
	writeString(t, filepath.Join(dir, "a", "b", "y.txt"), "foo bar\n", 0o600)
	writeString(t, filepath.Join(dir, "a", "b", "c", "z.log"), "deep\n", 0o644)
	writeString(t, filepath.Join(dir, ".hid", "in.log"), "h\n", 0o644)
	writeString(t, filepath.Join(dir, ".dot.log"), "s\n", 0o644)
	writeString(t, filepath.Join(dir, "big.bin", ""), strings.Repeat("x", 20000), 0o644)
	for target, link := range map[string]string{"a": "la", "nowhere": "br"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-10 * 24 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "a", "x.log"), old, old); err != nil {
		t.Fatal(err)
	}
	return dir
}

// findPaths runs find and returns the paths found relative to dir, in the
// order returned, and the result's data with its msg.
func findPaths(t *testing.T, c testConn, dir string, args map[string]any) ([]string, map[string]any) {
	t.Helper()
	r := helperMustRun(t, connContext(t, c, nil), "find", args)
	if r.Changed {
		t.Errorf("find changed something")
	}
	var out []string
	for _, f := range r.Data["files"].([]any) {
		rel, _ := filepath.Rel(dir, f.(map[string]any)["path"].(string))
		out = append(out, rel)
	}
	r.Data["msg"] = r.Msg
	return out, r.Data
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func TestFindFilters(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := findTree(t)
		for _, tc := range []struct {
			name string
			args map[string]any
			want []string
		}{
			{"top files", map[string]any{"paths": dir}, []string{"big.bin", "cfg.conf"}},
			{"recurse", map[string]any{"paths": dir, "recurse": true},
				[]string{".hid/in.log", "a/b/c/z.log", "a/b/y.txt", "a/x.log", "big.bin", "cfg.conf"}},
			{"any, hidden, depth 2", map[string]any{"path": dir, "recurse": true, "file_type": "any", "hidden": true, "depth": 2},
				[]string{".dot.log", ".hid", ".hid/in.log", "a", "a/b", "a/x.log", "big.bin", "br", "cfg.conf", "la"}},
			{"globs as a comma list, follow", map[string]any{"paths": dir, "patterns": "*.log,*.conf", "recurse": true, "follow": true},
				[]string{".hid/in.log", "a/b/c/z.log", "a/x.log", "cfg.conf", "la/b/c/z.log", "la/x.log"}},
			{"regex and excludes", map[string]any{"paths": dir, "recurse": true, "use_regex": true,
				"patterns": []any{`[xy]\.`, `b.*`}, "excludes": "big"}, []string{"a/b/y.txt", "a/x.log"}},
			{"glob set and exclude", map[string]any{"paths": dir, "recurse": true, "patterns": "[!c]*", "exclude": "*.bin"},
				[]string{".hid/in.log", "a/b/c/z.log", "a/b/y.txt", "a/x.log"}},
			{"directories", map[string]any{"paths": dir, "recurse": true, "file_type": "directory"}, []string{"a", "a/b", "a/b/c"}},
			{"links", map[string]any{"paths": dir, "file_type": "link"}, []string{"br", "la"}},
			{"older than 2 days, at most 1k", map[string]any{"paths": dir, "recurse": true, "age": "2d", "size": "-1k"}, []string{"a/x.log"}},
			{"newer than a day", map[string]any{"paths": dir, "recurse": true, "age": "-1d", "patterns": "*.log"}, []string{".hid/in.log", "a/b/c/z.log"}},
			{"at least 10k", map[string]any{"paths": dir, "recurse": true, "size": "10k"}, []string{"big.bin"}},
			{"contains from a line's start", map[string]any{"paths": dir, "recurse": true, "contains": "foo"}, []string{"a/b/y.txt", "cfg.conf"}},
			{"contains in the middle of a line", map[string]any{"paths": dir, "recurse": true, "contains": "bar"}, nil},
			{"contains across lines", map[string]any{"paths": dir, "recurse": true, "contains": `line1\nfoo`, "read_whole_file": true}, []string{"cfg.conf"}},
		} {
			got, _ := findPaths(t, c, dir, tc.args)
			if !reflect.DeepEqual(sorted(got), tc.want) {
				t.Errorf("%s: got %q, want %q", tc.name, sorted(got), tc.want)
			}
		}
	})
}

// TestFindOrderAndFields: files come as os.walk gives them (a directory's
// files, then its subdirectories, then their entries), with stat's fields.
func TestFindOrderAndFields(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := findTree(t)
		got, data := findPaths(t, c, dir, map[string]any{"paths": dir + "/", "recurse": true, "file_type": "any", "get_checksum": true})
		pos := map[string]int{}
		for i, p := range got {
			pos[p] = i
		}
		for _, before := range [][2]string{{"cfg.conf", "a"}, {"big.bin", "a"}, {"la", "a/x.log"}, {"a", "a/x.log"}, {"a/x.log", "a/b"}, {"a/b", "a/b/y.txt"}, {"a/b/y.txt", "a/b/c/z.log"}} {
			if pos[before[0]] >= pos[before[1]] {
				t.Errorf("%s comes after %s: %q", before[0], before[1], got)
			}
		}
		if data["matched"] != len(got) || data["examined"] != 13 || data["msg"] != "All paths examined" {
			t.Errorf("matched %v examined %v msg %v", data["matched"], data["examined"], data["msg"])
		}
		for _, f := range data["files"].([]any) {
			f := f.(map[string]any)
			switch filepath.Base(f["path"].(string)) {
			case "y.txt":
				if f["mode"] != "0600" || f["size"] != int64(8) || f["isreg"] != true || f["islnk"] != false ||
					f["checksum"] != sha1Of("foo bar\n") || f["pw_name"] != "root" || f["rusr"] != true || f["rgrp"] != false ||
					f["uid"] != os.Getuid() || f["nlink"] != uint64(1) {
					t.Errorf("y.txt: %v", f)
				}
				if _, ok := f["exists"]; ok {
					t.Errorf("y.txt has stat's exists: %v", f)
				}
			case "la":
				if f["islnk"] != true || f["isdir"] != false || f["mode"] != "0777" || f["checksum"] != nil {
					t.Errorf("la: %v", f)
				}
			case "a":
				if f["isdir"] != true || f["checksum"] != nil {
					t.Errorf("a: %v", f)
				}
			}
		}
	})
}

func TestFindMissingPathIsSkippedNotFailed(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir := findTree(t)
		nope := filepath.Join(dir, "nope")
		got, data := findPaths(t, c, dir, map[string]any{"paths": []any{nope, dir, filepath.Join(dir, "cfg.conf")}})
		if !reflect.DeepEqual(sorted(got), []string{"big.bin", "cfg.conf"}) {
			t.Errorf("files %q", got)
		}
		sk := data["skipped_paths"].(map[string]any)
		if len(sk) != 2 || sk[nope] != "'"+nope+"' is not a directory" ||
			data["msg"] != "Not all paths examined, check warnings for details" || len(data["warnings"].([]any)) != 2 {
			t.Errorf("skipped %v msg %v warnings %v", sk, data["msg"], data["warnings"])
		}
	})
}

func TestFindBadArguments(t *testing.T) {
	mc := helperContext(t, nil)
	for _, args := range []map[string]any{
		{"paths": "/tmp", "age": "3y"},
		{"paths": "/tmp", "size": "big"},
		{"paths": "/tmp", "use_regex": true, "patterns": "(?<=a)b"},
		{"paths": "/tmp", "file_type": "fifo"},
	} {
		if _, err := helperRun(t, mc, "find", args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestFindUnreadableDirectoryStopsThePath: as the become user, a directory
// it may not read stops that path's walk with Python's error in
// skipped_paths, as os.walk does in Ansible; what was found before stays.
func TestFindUnreadableDirectoryStopsThePath(t *testing.T) {
	requireRoot(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o755); err != nil { // the become user must reach dir
				t.Fatal(err)
			}
		}
		writeString(t, filepath.Join(dir, "a.txt"), "a\n", 0o644)
		writeString(t, filepath.Join(dir, "locked", "x.txt"), "x\n", 0o644)
		if err := os.Chmod(filepath.Join(dir, "locked"), 0o700); err != nil {
			t.Fatal(err)
		}
		mc := connContext(t, c, nil)
		mc.Become = &transport.Become{User: "nobody"}
		r := helperMustRun(t, mc, "find", map[string]any{"paths": dir, "recurse": true})
		files := r.Data["files"].([]any)
		sk := r.Data["skipped_paths"].(map[string]any)
		want := "[Errno 13] Permission denied: '" + filepath.Join(dir, "locked") + "'"
		if len(files) != 1 || files[0].(map[string]any)["path"] != filepath.Join(dir, "a.txt") || sk[dir] != want ||
			r.Msg != "Not all paths examined, check warnings for details" {
			t.Errorf("files %v skipped %v msg %q", files, sk, r.Msg)
		}
	})
}
