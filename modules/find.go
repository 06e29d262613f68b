package modules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/fnmatch"
	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(findModule{}) }

type findModule struct{}

var findSpec = &Spec{
	Name:  "find",
	Short: "Find files below directories on the host, by name, type, age, size or content",
	Doc: "Lists the entries below each of paths with one command on the host (find(1), as the become user with " +
		"become) and keeps those that pass Ansible's filters: the base name against patterns (shell globs as " +
		"Python's fnmatch reads them, or regular expressions matched at the start with use_regex) and not " +
		"against excludes, file_type, age, size and, for regular files, contains. A second command on the host " +
		"runs only for contains (grep -P, Perl-compatible like Python's re: a line must match from its start, " +
		"or the whole file is searched with read_whole_file) and get_checksum (sha1sum). The files come in " +
		"Ansible's order (os.walk's: per directory, its files then its subdirectories, each in the order the " +
		"file system lists them, not sorted: sort by path when the order matters). A path that is not a " +
		"directory is skipped with a warning and listed in skipped_paths, as in Ansible, not a failure. " +
		"Environment variables in paths are not expanded. Never changes anything.",
	Params: []Param{
		{Name: "paths", Type: TypeAny, Required: true, Aliases: []string{"name", "path"},
			Doc: "Directories to search: a list, or a string of comma-separated paths."},
		{Name: "patterns", Type: TypeAny, Aliases: []string{"pattern"},
			Doc: "Patterns the base name must match (one of them): globs, or regular expressions with use_regex; a list or a comma-separated string. Default: everything."},
		{Name: "excludes", Type: TypeAny, Aliases: []string{"exclude"},
			Doc: "Patterns (same kind as patterns) that drop a name patterns matched."},
		{Name: "use_regex", Type: TypeBool, Default: false, Doc: "patterns and excludes are regular expressions (RE2 syntax, matched from the start of the name) instead of globs (contains, run on the host, is Perl-compatible instead)."},
		{Name: "contains", Type: TypeString, Doc: "A regular expression (Perl-compatible, run by grep -P on the host) a regular file's content must match; only with file_type=file."},
		{Name: "read_whole_file", Type: TypeBool, Default: false, Doc: "Search contains in the whole file instead of matching it at the start of each line."},
		{Name: "file_type", Type: TypeString, Default: "file", Choices: []string{"file", "directory", "link", "any"}, Doc: "The type of entries to return."},
		{Name: "recurse", Type: TypeBool, Default: false, Doc: "Descend into subdirectories."},
		{Name: "depth", Type: TypeInt, Doc: "With recurse, how deep to go (1: only the path's own entries)."},
		{Name: "hidden", Type: TypeBool, Default: false, Doc: "Also return entries whose name starts with a dot (hidden directories are searched either way)."},
		{Name: "follow", Type: TypeBool, Default: false, Doc: "Descend into symbolic links to directories (the links are still described as links)."},
		{Name: "age", Type: TypeString, Doc: "Entries at least this old, or at most when negative: a number with s, m, h, d or w (seconds by default), such as 2d or -1w."},
		{Name: "age_stamp", Type: TypeString, Default: "mtime", Choices: []string{"mtime", "atime", "ctime"}, Doc: "The time age compares (with the host's clock)."},
		{Name: "size", Type: TypeString, Doc: "Regular files at least this big, or at most when negative: a number with b, k, m, g or t (bytes by default), such as 10m or -1k."},
		{Name: "get_checksum", Type: TypeBool, Default: false, Doc: "Return the SHA-1 checksum of each regular file found."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "files", Type: TypeList, Doc: "The entries found, each with path and the fields of stat: mode (\"0644\"), isdir, isreg, islnk, ischr, isblk, " +
			"isfifo, issock, uid, gid, pw_name, gr_name (\"\" without a name), size, inode, dev, nlink, atime, mtime, ctime, " +
			"rusr, wusr, xusr, rgrp, wgrp, xgrp, roth, woth, xoth, isuid, isgid, and checksum with get_checksum."},
		{Name: "matched", Type: TypeInt, Doc: "How many entries were found."},
		{Name: "examined", Type: TypeInt, Doc: "How many entries were looked at."},
		{Name: "skipped_paths", Type: TypeMap, Doc: "The paths that could not be searched (fully), with the reason."},
		{Name: "msg", Type: TypeString, Doc: "\"All paths examined\", or \"Not all paths examined, check warnings for details\"."},
	},
	Example: `- name: Logs older than a week
  find:
    paths: /var/log/app
    patterns: "*.log,*.gz"
    age: 1w
    recurse: true
  register: old

- file:
    path: "{{ item.path }}"
    state: absent
  loop: "{{ old.files }}"`,
	Validate: func(a Args) error {
		if _, err := findOptionsFrom(a); err != nil {
			return err
		}
		return nil
	},
}

func (findModule) Spec() *Spec { return findSpec }

// findOptions are find's arguments, checked and compiled.
type findOptions struct {
	paths              []string
	patterns, excludes []*regexp.Regexp
	fileType, stamp    string
	age, size          *int64
	contains           string
	wholeFile          bool
	recurse, hidden    bool
	follow, checksum   bool
	depth              int
}

var (
	findAgeRE  = regexp.MustCompile(`^(-?\d+)(s|m|h|d|w)?$`)
	findSizeRE = regexp.MustCompile(`^(-?\d+)(b|k|m|g|t)?$`)
	findAges   = map[string]int64{"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
	findSizes  = map[string]int64{"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
)

func findOptionsFrom(a Args) (*findOptions, error) {
	o := &findOptions{fileType: a.String("file_type"), stamp: a.String("age_stamp"), contains: a.String("contains"),
		wholeFile: a.Bool("read_whole_file"), recurse: a.Bool("recurse"), hidden: a.Bool("hidden"),
		follow: a.Bool("follow"), checksum: a.Bool("get_checksum"), depth: a.Int("depth")}
	var err error
	if o.paths, err = findList(a, "paths"); err != nil {
		return nil, err
	}
	if len(o.paths) == 0 {
		return nil, &ArgError{Module: "find", Param: "paths", Msg: "no path given"}
	}
	pats, err := findList(a, "patterns")
	if err != nil {
		return nil, err
	}
	if len(pats) == 0 {
		pats = []string{"*"}
		if a.Bool("use_regex") {
			pats = []string{".*"}
		}
	}
	excl, err := findList(a, "excludes")
	if err != nil {
		return nil, err
	}
	if o.patterns, err = findCompile(pats, a.Bool("use_regex"), "patterns"); err != nil {
		return nil, err
	}
	if o.excludes, err = findCompile(excl, a.Bool("use_regex"), "excludes"); err != nil {
		return nil, err
	}
	if o.age, err = findAmount(a, "age", findAgeRE, findAges); err != nil {
		return nil, err
	}
	if o.size, err = findAmount(a, "size", findSizeRE, findSizes); err != nil {
		return nil, err
	}
	return o, nil
}

// findList reads a list parameter as Ansible does: a list, or a string of
// comma-separated items.
func findList(a Args, name string) ([]string, error) {
	var out []string
	switch v := a[name].(type) {
	case nil:
	case string:
		if v != "" {
			out = strings.Split(v, ",")
		}
	case []any:
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
	case []string:
		out = v
	default:
		return nil, &ArgError{Module: "find", Param: name, Msg: fmt.Sprintf("must be a list or a string, got %T", v)}
	}
	return out, nil
}

// findAmount reads age or size: a signed number and an optional unit.
func findAmount(a Args, name string, re *regexp.Regexp, units map[string]int64) (*int64, error) {
	if !a.Has(name) {
		return nil, nil
	}
	m := re.FindStringSubmatch(strings.ToLower(a.String(name)))
	if m == nil {
		return nil, &ArgError{Module: "find", Param: name, Msg: fmt.Sprintf("failed to process %s %q", name, a.String(name))}
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return nil, &ArgError{Module: "find", Param: name, Msg: err.Error()}
	}
	n *= units[m[2]]
	return &n, nil
}

// findCompile turns globs (Python's fnmatch) or regular expressions
// (matched from the start, as re.match) into Go regexps.
func findCompile(pats []string, regex bool, param string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range pats {
		src := "^(?:" + p + ")"
		if !regex {
			src = fnmatch.Translate(p)
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, &ArgError{Module: "find", Param: param, Msg: fmt.Sprintf("invalid pattern %q (Go RE2 syntax): %v", p, err)}
		}
		out = append(out, re)
	}
	return out, nil
}

func (findModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	o, err := findOptionsFrom(args)
	if err != nil {
		return nil, err
	}
	w := &findWalk{o: o, skipped: map[string]any{}}
	for _, raw := range o.paths {
		p, err := hostPath(ctx, mc, "find", raw)
		if err != nil {
			return nil, err
		}
		if err := w.search(ctx, mc, p); err != nil {
			return nil, err
		}
	}
	if err := w.inspect(ctx, mc); err != nil {
		return nil, err
	}
	files := make([]any, 0, len(w.found))
	for _, f := range w.found {
		if f.keep {
			files = append(files, f.data)
		}
	}
	msg := "All paths examined"
	data := map[string]any{"files": files, "matched": len(files), "examined": w.examined, "skipped_paths": w.skipped}
	if len(w.warnings) > 0 {
		msg = "Not all paths examined, check warnings for details"
		data["warnings"] = w.warnings
	}
	return &Result{Msg: msg, Data: data}, nil
}

// findWalk is one run of find across its paths.
type findWalk struct {
	o        *findOptions
	found    []*findFound
	examined int
	skipped  map[string]any
	warnings []any
}

// findFound is an entry that passed the filters decided on the
// controller; inspect decides the rest (contains) and adds checksums.
type findFound struct {
	data    map[string]any
	keep    bool
	content bool // contains must be checked
	sum     bool // a checksum is wanted
}

// search lists one path and walks it in os.walk's order.
func (w *findWalk) search(ctx context.Context, mc *Context, p string) error {
	maxDepth := 1
	if w.o.recurse && w.o.depth > 0 {
		maxDepth = w.o.depth + 1 // the level below is examined, as os.walk lists it
	} else if w.o.recurse && w.o.depth == 0 {
		maxDepth = 0
	}
	tree, err := transport.FindTree(ctx, mc.Conn, mc.Become, p, transport.TreeOptions{Follow: w.o.follow, MaxDepth: maxDepth})
	if errors.Is(err, transport.ErrNotDir) {
		w.skip(p, fmt.Sprintf("'%s' is not a directory", p))
		return nil
	}
	if err != nil {
		return fmt.Errorf("find on %s: %w", mc.Host, err)
	}
	// Each entry's children, from find's depth-first listing.
	kids := make([][]int, len(tree.Entries)+1) // [0]: the root's
	parents := []int{0}
	for i, e := range tree.Entries {
		if e.Depth < 1 || e.Depth > len(parents) {
			return fmt.Errorf("find on %s: unexpected listing of %s", mc.Host, p)
		}
		parents = parents[:e.Depth]
		kids[parents[e.Depth-1]] = append(kids[parents[e.Depth-1]], i+1)
		parents = append(parents, i+1)
	}
	l := &findListing{tree: tree, kids: kids, unreadable: map[string]string{}}
	for _, line := range tree.Errors {
		if m := findErrLine.FindStringSubmatch(line); m != nil {
			if _, seen := l.unreadable[m[1]]; !seen {
				l.unreadable[m[1]] = fmt.Sprintf("[Errno %d] %s: '%s'", findErrnos[m[2]], m[2], m[1])
			}
		}
	}
	if why, stopped := w.walk(l, 0, p); stopped {
		w.skip(p, why)
	} else if len(tree.Errors) > 0 {
		w.skip(p, strings.Join(tree.Errors, "; "))
	}
	return nil
}

func (w *findWalk) skip(p, why string) {
	w.skipped[p] = why
	w.warnings = append(w.warnings, fmt.Sprintf("Skipped '%s' path due to this access issue: %s\n", p, why))
}

// findListing is one path's listing, arranged for walk.
type findListing struct {
	tree       transport.Tree
	kids       [][]int           // each entry's children; [0] the root's
	unreadable map[string]string // directories find could not read, with Python's error
}

// findErrLine is find's complaint about a directory it could not read;
// findErrnos are the errno values Python's message gives for them.
var (
	findErrLine = regexp.MustCompile(`^find: '(.*)': (Permission denied|No such file or directory|Not a directory)$`)
	findErrnos  = map[string]int{"Permission denied": 13, "No such file or directory": 2, "Not a directory": 20}
)

// walk is os.walk over the listing: a directory's files, then its
// subdirectories, then each subdirectory's own entries. Like os.walk with
// Ansible's error handler, it stops the whole path at the first directory
// that could not be read, returning Python's error for it.
func (w *findWalk) walk(l *findListing, n int, dir string) (string, bool) {
	if why, bad := l.unreadable[dir]; bad {
		return why, true
	}
	var files, dirs []int
	for _, k := range l.kids[n] {
		if l.tree.Entries[k-1].Dir {
			dirs = append(dirs, k)
		} else {
			files = append(files, k)
		}
	}
	w.examined += len(l.kids[n])
	for _, k := range append(files, dirs...) {
		e := &l.tree.Entries[k-1]
		if w.o.depth != 0 && e.Depth > w.o.depth {
			return "", false // too deep: os.walk goes no further here
		}
		w.consider(l.tree.Now, e)
	}
	if w.o.recurse {
		for _, k := range dirs {
			if why, stopped := w.walk(l, k, l.tree.Entries[k-1].Path); stopped {
				return why, true
			}
		}
	}
	return "", false
}

// consider applies the filters Ansible applies to one entry.
func (w *findWalk) consider(now time.Time, e *transport.TreeEntry) {
	name := path.Base(e.Path)
	if strings.HasPrefix(name, ".") && !w.o.hidden {
		return
	}
	m, o := e.Mode, w.o
	reg, dir, lnk := m.IsRegular(), m.IsDir(), m&fs.ModeSymlink != 0
	switch {
	case o.fileType == "any":
	case o.fileType == "directory" && dir, o.fileType == "file" && reg, o.fileType == "link" && lnk:
	default:
		return
	}
	if !w.nameMatches(name) || !findAgeOK(now, e, o) || reg && !findSizeOK(e.Size, o.size) {
		return
	}
	f := &findFound{data: findStatInfo(e), keep: true}
	f.sum = reg && o.checksum // file_type directory and link return no regular file
	f.content = reg && o.fileType == "file" && o.contains != ""
	w.found = append(w.found, f)
}

func (w *findWalk) nameMatches(name string) bool {
	for _, p := range w.o.patterns {
		if p.MatchString(name) {
			for _, e := range w.o.excludes {
				if e.MatchString(name) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func findAgeOK(now time.Time, e *transport.TreeEntry, o *findOptions) bool {
	if o.age == nil {
		return true
	}
	t := map[string]time.Time{"atime": e.ATime, "ctime": e.CTime, "mtime": e.ModTime}[o.stamp]
	elapsed := float64(now.UnixNano()-t.UnixNano()) / 1e9
	if *o.age >= 0 {
		return elapsed >= float64(*o.age)
	}
	return elapsed <= float64(-*o.age)
}

func findSizeOK(size int64, want *int64) bool {
	switch {
	case want == nil:
		return true
	case *want >= 0:
		return size >= *want
	default:
		return size <= -*want
	}
}

// findStatInfo is the entry as Ansible's find describes it: stat's fields
// from stat(2) and the user and group names ("" without one).
func findStatInfo(e *transport.TreeEntry) map[string]any {
	st := statFields(path.Clean(e.Path), e.FullInfo)
	for _, k := range []string{"exists", "blocks", "block_size", "device_type", "readable", "writeable", "executable", "lnk_target", "lnk_source"} {
		delete(st, k)
	}
	st["pw_name"], st["gr_name"] = e.Owner, e.Group
	return st
}
