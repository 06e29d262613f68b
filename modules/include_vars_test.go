package modules_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIncludeVars(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"vars/app.yml":         "port: 80\nnested: {a: [1, 2]}\n",
		"conf/10-base.yml":     "port: 80\nname: base\n",
		"conf/20-site.yaml":    "port: 8080\n",
		"conf/30-extra.json":   `{"extra": true}`,
		"conf/README.md":       "not vars",
		"conf/sub/40-deep.yml": "deep: 1\n",
		"conf/skip-me.yml":     "port: 1\n",
	})
	for _, check := range []bool{false, true} {
		mc := helperContext(t, nil)
		mc.PlaybookDir, mc.Check = dir, check
		r := helperMustRun(t, mc, "include_vars", map[string]any{"file": "app.yml"}) // found in vars/
		want := map[string]any{"port": 80, "nested": map[string]any{"a": []any{1, 2}}}
		if !reflect.DeepEqual(r.Facts, want) || r.Changed {
			t.Fatalf("file: %#v", r)
		}
		if files := r.Data["ansible_included_var_files"].([]any); len(files) != 1 || files[0] != filepath.Join(dir, "vars/app.yml") {
			t.Fatalf("included files: %v", files)
		}
		r = helperMustRun(t, mc, "include_vars", map[string]any{"dir": "conf", "ignore_files": []any{"^skip"},
			"ignore_unknown_extensions": true, "name": "conf"})
		want = map[string]any{"conf": map[string]any{"port": 8080, "name": "base", "extra": true, "deep": 1}}
		if !reflect.DeepEqual(r.Facts, want) {
			t.Fatalf("dir: %#v", r.Facts)
		}
		r = helperMustRun(t, mc, "include_vars", map[string]any{"dir": "conf", "depth": 1, "files_matching": `^[0-9]`})
		want = map[string]any{"port": 8080, "name": "base", "extra": true}
		if !reflect.DeepEqual(r.Facts, want) {
			t.Fatalf("depth 1: %#v", r.Facts)
		}
	}
}

func TestIncludeVarsErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bad.yml": "a: [1,\n", "list.yml": "- 1\n", "d/x.txt": "a: 1\n", "badname.yml": "bad-name: 1\n"})
	mc := helperContext(t, nil)
	mc.PlaybookDir = dir
	for raw, want := range map[*map[string]any]string{
		{"file": "nosuch.yml"}:              "not found",
		{"file": "bad.yml"}:                 "bad.yml",
		{"file": "list.yml"}:                "list.yml",
		{"dir": "d"}:                        "extension",
		{"file": "badname.yml"}:             `"bad-name" is not a valid variable name`,
		{"file": "a.yml", "dir": "d"}:       "exactly one of file or dir",
		{}:                                  "exactly one of file or dir",
		{"dir": "d", "files_matching": "("}: "files_matching",
	} {
		_, err := helperRun(t, mc, "include_vars", *raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want it to say %q", *raw, err, want)
		}
	}
}
