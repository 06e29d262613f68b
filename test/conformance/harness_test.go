package conformance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecRefusesWhatWouldCompareNothing: a misspelt key, a difference
// without its reason or naming nothing, an unknown counter are errors
// naming the file; a missing recap is errNoRecap (the test then prints the
// block to paste).
func TestSpecRefusesWhatWouldCompareNothing(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"recap: {h: {ok: 1}}\nignore_path: [x]\n", "field ignore_path not found"},
		{"recap: {h: {ok: 1}}\ndiffers: [{path: x}]\n", "differs[0]: reason: is required"},
		{"recap: {h: {ok: 1}}\ndiffers: [{reason: why}]\n", "differs[0]: give either path: or recap:"},
		{"recap: {h: {ok: 1}}\ndiffers: [{recap: h.okay, reason: why}]\n", `recap: "h.okay" is not HOST.COUNTER`},
		{"recap: {h: {okay: 1}}\n", `recap h: unknown counter "okay"`},
		{"expect_rc: 2\n", errNoRecap.Error()},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "conformance.yml"), []byte(tc.yml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := loadSpec(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "conformance.yml") {
			t.Errorf("%q: %v, want an error naming conformance.yml and saying %q", tc.yml, err, tc.want)
		}
	}
	if _, err := loadSpec(t.TempDir()); !errors.Is(err, errNoRecap) {
		t.Errorf("no conformance.yml: %v, want errNoRecap", err)
	}
}

// TestParseRecapOfBothTools reads the recap lines as both tools print them,
// the last PLAY RECAP of the output.
func TestParseRecapOfBothTools(t *testing.T) {
	out := "PLAY RECAP ***\nold : ok=9\n\nPLAY RECAP *********\n" +
		"h1                         : ok=6    changed=4    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   \n" +
		"h2 : ok=5 changed=3 unreachable=0 failed=1 skipped=1 rescued=0 ignored=2\n"
	r, err := parseRecap(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 2 || r["h1"]["changed"] != 4 || r["h2"]["ignored"] != 2 || r["h2"]["failed"] != 1 {
		t.Errorf("parsed %v", r)
	}
	d := compareRecaps(r, recap{"h1": {"ok": 6, "changed": 4, "failed": 1}, "h3": {}})
	if len(d) != 3 || d[0].host != "h1" || d[0].k != "failed" || d[1].text != "host h2: not expected" || d[2].text != "host h3: missing" {
		t.Errorf("want h1 failed=0 (want 1), h2 not expected, h3 missing: %+v", d)
	}
	if _, err := parseRecap("fatal: no recap"); err == nil {
		t.Error("no PLAY RECAP: want an error")
	}
}

// TestTreesCompareModesContentsAndLinks: the two tools' trees differ by a
// mode, a content, a link target, a path only one wrote; their own
// directories in contents read as $OUT, so equal files compare equal.
func TestTreesCompareModesContentsAndLinks(t *testing.T) {
	mk := func(mode os.FileMode, content, link string) (tree, map[string]string) {
		out := t.TempDir()
		dirs := map[string]string{"$OUT": out}
		files := map[string]string{"same": "written to " + out + "/same\n", "content": content}
		for name, c := range files {
			if err := os.WriteFile(filepath.Join(out, name), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(filepath.Join(out, "content"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(link, filepath.Join(out, "link")); err != nil {
			t.Fatal(err)
		}
		if link == "b" {
			if err := os.MkdirAll(filepath.Join(out, "only", "deep"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := snapshot(out, dirs)
		if err != nil {
			t.Fatal(err)
		}
		return tr, dirs
	}
	a, _ := mk(0o600, "x\n", "a")
	b, _ := mk(0o640, "y\n", "b")
	var got []string
	for _, d := range diffTrees(a, b, func(string) bool { return false }, "runbook", "ansible") {
		got = append(got, d.path)
	}
	if strings.Join(got, " ") != "content content link only only/deep" {
		t.Errorf("differing paths %q, want mode and content of content, link, only, only/deep", got)
	}
	s := spec{IgnorePaths: []string{"only"}, Differs: []difference{{Path: "link", Reason: "r"}}}
	for _, d := range diffTrees(a, b, s.ignored, "runbook", "ansible") {
		if strings.HasPrefix(d.path, "only") {
			t.Errorf("ignore_paths only did not cover %s", d.path)
		}
		if d.path == "link" && s.knownDifference(d.path, "", "") != 0 {
			t.Errorf("differs path link does not cover link")
		}
	}
}
