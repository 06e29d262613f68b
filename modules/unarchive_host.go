package modules

// What unarchive finds under dest on the host: each member's path
// described in one command, link targets in another, and the real
// directories the members would be written into, which must all lie under
// dest; then the members to extract and the mode/owner to fix.

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// arHostEnt is a member's path as found on the host.
type arHostEnt struct {
	kind     byte // 'f', 'd', 'l', or 'o' for anything else
	size     int64
	mtime    int64
	mode     uint32
	uid, gid int
	target   string
}

// arStatScript prints dest's real path, then "NAME RAWMODE SIZE MTIME UID
// GID" (NUL-separated fields) for each existing path of stdin, relative to
// dest; missing paths print nothing.
const arStatScript = `cd -- "$1" || exit 3
printf '%s\0' "$(pwd -P)"
xargs -0r stat --printf '%n\0%f\0%s\0%Y\0%u\0%g\0' -- 2>/dev/null
exit 0`

// arLinkScript prints each path of stdin and its link target, NUL after each.
const arLinkScript = `cd -- "$1" || exit 3
xargs -0r sh -c 'for p; do printf "%s\0%s\0" "$p" "$(readlink -- "$p")"; done' sh`

// arRealScript prints the real path of each directory of stdin (the
// missing part taken as it is), NUL after each, in order.
const arRealScript = `cd -- "$1" || exit 3
xargs -0r realpath -z -m --`

// arHostCmd runs one of the scripts in dest with paths on stdin and splits
// its output at NULs.
func (u *unarchiver) arHostCmd(ctx context.Context, script string, paths []string) ([]string, error) {
	res, err := hostRun(ctx, u.mc, "looking under dest", &transport.Cmd{Args: []string{"/bin/sh", "-c", script, "runbook-unarchive", u.dest},
		Stdin: strings.NewReader(strings.Join(paths, "\x00"))})
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00"), nil
}

// probe describes every member's path under dest, after checking that
// every directory a member goes into really lies under dest.
func (u *unarchiver) probe(ctx context.Context, members []*arMember) (map[string]arHostEnt, error) {
	names := make([]string, len(members))
	dirSet, dirs := map[string]bool{}, []string{}
	for i, m := range members {
		names[i] = m.name
		for _, p := range []string{m.name, m.link} {
			if d := path.Dir(p); (p == m.name || m.kind == 'h') && d != "." && !dirSet[d] {
				dirSet[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	out, err := u.arHostCmd(ctx, arStatScript, names)
	if err != nil {
		return nil, err
	}
	top := out[0]
	if len(dirs) > 0 {
		real, err := u.arHostCmd(ctx, arRealScript, dirs)
		if err != nil {
			return nil, err
		}
		for i, r := range real {
			if i < len(dirs) && r != top && !strings.HasPrefix(r, strings.TrimSuffix(top, "/")+"/") {
				return nil, fmt.Errorf("%s/%s leads to %s on the host, outside dest (a symbolic link?); refused, nothing extracted", u.dest, dirs[i], r)
			}
		}
	}
	host := map[string]arHostEnt{}
	var links []string
	for f := out[1:]; len(f) >= 6; f = f[6:] {
		raw, _ := strconv.ParseUint(f[1], 16, 32)
		e := arHostEnt{kind: 'o', mode: uint32(raw) & 07777}
		e.size, _ = strconv.ParseInt(f[2], 10, 64)
		e.mtime, _ = strconv.ParseInt(f[3], 10, 64)
		e.uid, _ = strconv.Atoi(f[4])
		e.gid, _ = strconv.Atoi(f[5])
		switch raw & 0o170000 {
		case 0o100000:
			e.kind = 'f'
		case 0o040000:
			e.kind = 'd'
		case 0o120000:
			e.kind = 'l'
			links = append(links, f[0])
		}
		host[f[0]] = e
	}
	if len(links) > 0 {
		t, err := u.arHostCmd(ctx, arLinkScript, links)
		if err != nil {
			return nil, err
		}
		for ; len(t) >= 2; t = t[2:] {
			e := host[t[0]]
			e.target = t[1]
			host[t[0]] = e
		}
	}
	return host, nil
}

// toExtract picks the members that differ from what is under dest.
func (u *unarchiver) toExtract(members []*arMember, host map[string]arHostEnt) []*arMember {
	last := map[string]*arMember{}
	for _, m := range members {
		last[m.name] = m
	}
	modeGiven := u.attrs.mode != ""
	keepNewer := u.args.Bool("keep_newer")
	var out []*arMember
	for _, m := range members {
		if last[m.name] != m { // a later member of the same name wins
			continue
		}
		h, ok := host[m.name]
		want := m
		if m.kind == 'h' && last[m.link] != nil { // a hard link looks like its target
			want = last[m.link]
		}
		var differs bool
		switch {
		case !ok:
			differs = true
		case keepNewer && h.kind != 'd' && h.mtime > m.mtime.Unix():
			differs = false
		case want.kind == 'l':
			differs = h.kind != 'l' || h.target != want.link
		case want.kind == 'd':
			differs = h.kind != 'd' || (!modeGiven && h.mode != want.mode)
		case want.kind == 'f':
			differs = h.kind != 'f' || h.size != want.size || h.mtime != want.mtime.Unix() || (!modeGiven && h.mode != want.mode)
		default: // a hard link to a path not in the archive: only its presence is known
			differs = h.kind != 'f'
		}
		if differs {
			out = append(out, m)
		}
	}
	return out
}

// applyAttrs gives every member (and top directory) the mode and owner
// asked for; in check mode a member that would be extracted counts as
// changed already and the others are planned from what is there.
func (u *unarchiver) applyAttrs(ctx context.Context, members []*arMember, picked map[int]bool, res *Result) error {
	if u.attrs.mode == "" && u.attrs.uid < 0 && u.attrs.gid < 0 {
		return nil
	}
	seen, paths := map[string]bool{}, []string{}
	for _, m := range members {
		top, _, _ := strings.Cut(m.name, "/")
		for _, p := range []string{m.name, top} {
			if !seen[p] && (!u.mc.Check || !picked[m.index] || p == top) {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	out, err := u.arHostCmd(ctx, arStatScript, paths)
	if err != nil {
		return err
	}
	var plans []attrPlan
	extracted := res.Changed
	for f := out[1:]; len(f) >= 6; f = f[6:] {
		raw, _ := strconv.ParseUint(f[1], 16, 32)
		fi := transport.FileInfo{Path: f[0], Exists: true, Mode: goMode(uint32(raw) & 07777)}
		switch raw & 0o170000 {
		case 0o040000:
			fi.Mode |= fs.ModeDir
		case 0o120000:
			continue // a link keeps its target's mode and owner
		}
		fi.UID, _ = strconv.Atoi(f[4])
		fi.GID, _ = strconv.Atoi(f[5])
		pl, err := u.attrs.plan(path.Join(u.dest, f[0]), fi)
		if err != nil {
			return err
		}
		if pl.changed() {
			plans = append(plans, pl)
			if !extracted && u.mc.Diff {
				res.Diff = append(res.Diff, pl.diff(u.mc.Host))
			}
		}
	}
	if len(plans) > 0 {
		res.Changed = true
	}
	return applyPlans(ctx, u.mc, plans)
}
