package conformance

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// entry is one path under out as the comparison sees it.
type entry struct {
	kind string // "file", "dir", "symlink" or "other"
	mode fs.FileMode
	data string // a file's content or a symlink's target, paths normalised
}

// tree maps each slash-separated path under out to its entry.
type tree map[string]entry

// snapshot reads everything under root. The absolute directories of this
// run (its out, case copy and home) are replaced by $OUT, $CASE and $HOME in
// contents and link targets, so the two tools' trees compare although each
// wrote into its own directory.
func snapshot(root string, dirs map[string]string) (tree, error) {
	t := tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{kind: "other", mode: info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.kind = "symlink"
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e.data, e.mode = normalise(target, dirs), 0 // a link's own mode means nothing on Linux
		case info.IsDir():
			e.kind = "dir"
		case info.Mode().IsRegular():
			e.kind = "file"
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.data = normalise(string(b), dirs)
		}
		t[filepath.ToSlash(rel)] = e
		return nil
	})
	return t, err
}

// normalise replaces each directory of dirs (placeholder -> path) by its
// placeholder, the longest path first so a nested one is not cut short.
func normalise(s string, dirs map[string]string) string {
	names := make([]string, 0, len(dirs))
	for name := range dirs {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return len(dirs[names[i]]) > len(dirs[names[j]]) })
	for _, name := range names {
		s = strings.ReplaceAll(s, dirs[name], name)
	}
	return s
}

// pathDiff is one path two trees disagree on.
type pathDiff struct {
	path, text string
}

// diffTrees lists how b differs from a, leaving out the paths skip says
// are ignored.
func diffTrees(a, b tree, skip func(string) bool, aName, bName string) []pathDiff {
	var diffs []pathDiff
	add := func(p, format string, args ...any) {
		diffs = append(diffs, pathDiff{p, p + ": " + fmt.Sprintf(format, args...)})
	}
	for _, p := range union(a, b) {
		if skip(p) {
			continue
		}
		x, xok := a[p]
		y, yok := b[p]
		switch {
		case !yok:
			add(p, "only %s wrote it (%s)", aName, x.kind)
		case !xok:
			add(p, "only %s wrote it (%s)", bName, y.kind)
		case x.kind != y.kind:
			add(p, "%s %s, %s %s", aName, x.kind, bName, y.kind)
		default:
			if x.mode != y.mode {
				add(p, "mode %s %04o, %s %04o", aName, x.mode, bName, y.mode)
			}
			if x.data != y.data {
				add(p, "%s differs\n%s", what(x.kind), contentDiff(x.data, y.data, aName, bName))
			}
		}
	}
	return diffs
}

func what(kind string) string {
	if kind == "symlink" {
		return "target"
	}
	return "content"
}

// contentDiff shows where two texts part: the first differing line of each
// with its number, and both in full when they are short.
func contentDiff(x, y, xName, yName string) string {
	const short = 2000
	if len(x) <= short && len(y) <= short {
		return fmt.Sprintf("  --- %s\n%s\n  --- %s\n%s", xName, indent(x), yName, indent(y))
	}
	xl, yl := strings.Split(x, "\n"), strings.Split(y, "\n")
	for i := 0; ; i++ {
		var a, b string
		if i < len(xl) {
			a = xl[i]
		}
		if i < len(yl) {
			b = yl[i]
		}
		if a != b || (i >= len(xl) && i >= len(yl)) {
			return fmt.Sprintf("  line %d: %s %q, %s %q", i+1, xName, a, yName, b)
		}
	}
}

// indent prefixes each line with "    |", marking a missing final newline.
func indent(s string) string {
	if !strings.HasSuffix(s, "\n") {
		s += " (no newline at end)\n"
	}
	return "    |" + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    |")
}
