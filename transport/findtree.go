package transport

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TreeOptions says how FindTree walks.
type TreeOptions struct {
	// Follow descends into symbolic links to directories (find -L); the
	// links themselves are still described as lstat(2) sees them.
	Follow bool
	// MaxDepth lists entries at most this deep (1: the root's own
	// entries); 0 means no limit.
	MaxDepth int
}

// TreeEntry is one entry below the walked root, as lstat(2) describes it.
// The access answers, digests, MIME type and attributes of FullInfo are
// not filled in; Owner and Group are "" for ids without a name.
type TreeEntry struct {
	FullInfo
	// Depth is 1 for the root's own entries, 2 for theirs, and so on.
	Depth int
	// Dir is set for a directory or a symbolic link to one: what Python's
	// os.walk lists among a directory's subdirectories.
	Dir bool
}

// Tree is what FindTree found.
type Tree struct {
	// Now is the host's clock when the walk began (ages are measured
	// against it, not the controller's clock).
	Now time.Time
	// Entries are in find's order: depth first, each directory's
	// entries in the order the file system lists them (not sorted).
	Entries []TreeEntry
	// Errors are find's complaints, one line each, such as a directory
	// it could not read; the walk went on past them.
	Errors []string
}

// ErrNotDir is FindTree's error for a root that is not a directory (or a
// symbolic link to one), or does not exist.
var ErrNotDir = errors.New("not a directory")

// findTreeFormat is one entry of find -printf: lstat type, followed type,
// depth, permission bits, size, ids, inode, device, links, the three times
// (seconds with a fraction), then owner, group and path, NUL-separated.
const findTreeFormat = `%y %Y %d %m %s %U %G %i %D %n %A@ %T@ %C@\0%u\0%g\0%p\0`

// findTreeScript walks $1 in one command: the host's clock, then every
// entry below it (find -H, or -L when $2 is 1; at most $3 deep when $3 is
// not 0) as findTreeFormat; when following links, a "=" field and then
// each symbolic link's own stat(1) line ($4) and path, since find -L
// describes what a link points to. Exit status 3: $1 is not a directory.
const findTreeScript = `export LC_ALL=C
p=$1 o=-H m=$3 sf=$4 ff=$5
[ "$2" = 1 ] && o=-L
date +%s.%N | tr -d '\n'; printf '\0'
[ -d "$p" ] || exit 3
set -- "$p" -mindepth 1
[ "$m" != 0 ] && set -- "$@" -maxdepth "$m"
find $o "$@" -printf "$ff"
if [ "$o" = -L ]; then
  printf '=\0'
  find -L "$@" -xtype l -print0 2>/dev/null | xargs -0r stat --printf "$sf\0%n\0" --
fi
exit 0`

// FindTree lists everything below root on the host with one command, run
// as b when not nil. A root that starts with "-" must be given as "./-…".
func FindTree(ctx context.Context, t Transport, b *Become, root string, o TreeOptions) (Tree, error) {
	var tr Tree
	if strings.HasPrefix(root, "-") {
		return tr, fmt.Errorf("find %s: a relative path starting with - must start with ./", root)
	}
	flag := map[bool]string{true: "1", false: "0"}
	res, err := t.Run(ctx, &Cmd{Args: []string{"/bin/sh", "-c", findTreeScript, "runbook-find", root,
		flag[o.Follow], strconv.Itoa(o.MaxDepth), statLineFormat, findTreeFormat}, Become: b})
	if err != nil {
		return tr, err
	}
	fields := strings.Split(string(res.Stdout), "\x00")
	tr.Now = findTime(fields[0])
	switch {
	case res.ExitCode == 3:
		return tr, fmt.Errorf("%s: %w", root, ErrNotDir)
	case res.ExitCode != 0:
		if b != nil {
			return tr, becomeReadErr("find", root, b, res)
		}
		return tr, fmt.Errorf("find %s: %s (exit status %d)", root, strings.TrimSpace(string(firstLine(res.Stderr))), res.ExitCode)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stderr)), "\n") {
		if line != "" {
			tr.Errors = append(tr.Errors, line)
		}
	}
	if tr.Entries, err = parseTree(fields[1:]); err != nil {
		return tr, fmt.Errorf("find %s: %w", root, err)
	}
	return tr, nil
}

// parseTree reads findTreeScript's entries and, after "=", the links'
// own stat lines, which replace what find -L said about their targets.
func parseTree(fields []string) ([]TreeEntry, error) {
	var out []TreeEntry
	at := map[string]int{}
	i := 0
	for ; i+3 < len(fields) && fields[i] != "="; i += 4 {
		e, err := parseTreeEntry(fields[i], fields[i+1], fields[i+2], fields[i+3])
		if err != nil {
			return nil, err
		}
		at[e.Path] = len(out)
		out = append(out, e)
	}
	if i < len(fields) && fields[i] == "=" {
		for i++; i+1 < len(fields); i += 2 {
			j, ok := at[fields[i+1]]
			if !ok {
				continue // appeared between the two walks
			}
			var fi FullInfo
			if err := fi.parseStat(fields[i]); err != nil {
				return nil, err
			}
			fi.Path = fields[i+1]
			out[j].FullInfo = fi
		}
	}
	return out, nil
}

// findTypes maps find's %y letters to st_mode's file type bits.
var findTypes = map[string]uint32{"f": 0o100000, "d": 0o040000, "l": 0o120000, "p": 0o010000,
	"s": 0o140000, "c": 0o020000, "b": 0o060000}

// parseTreeEntry reads one findTreeFormat entry.
func parseTreeEntry(nums, owner, group, p string) (TreeEntry, error) {
	f := strings.Fields(nums)
	if len(f) != 13 {
		return TreeEntry{}, fmt.Errorf("unexpected find output %q", nums)
	}
	var v [8]uint64
	for i, s := range f[2:10] {
		base := 10
		if i == 1 { // %m is octal
			base = 8
		}
		x, err := strconv.ParseUint(s, base, 64)
		if err != nil {
			return TreeEntry{}, fmt.Errorf("unexpected find output %q: %w", nums, err)
		}
		v[i] = x
	}
	e := TreeEntry{Depth: int(v[0]), Dir: f[1] == "d"}
	e.Path, e.Exists, e.Mode = p, true, RawMode(findTypes[f[0]]|uint32(v[1]))
	e.Size, e.UID, e.GID, e.Inode, e.Dev, e.Nlink = int64(v[2]), int(v[3]), int(v[4]), v[5], v[6], v[7]
	e.ATime, e.ModTime, e.CTime = findTime(f[10]), findTime(f[11]), findTime(f[12])
	if owner != f[5] {
		e.Owner = owner
	}
	if group != f[6] {
		e.Group = group
	}
	return e, nil
}

// findTime reads find's %T@ ("1700000000.1234567890").
func findTime(s string) time.Time {
	sec, _, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(sec, 10, 64)
	return time.Unix(n, nanos(s))
}
