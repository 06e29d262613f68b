package modules

// What a task asks of a path's mode and owner (file, copy, template and the
// text modules): the parameters, owner and group names resolved on the host,
// plans that change only what differs, applied in batches, and directories
// created with them.

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// Parameters shared by the file modules.
var (
	fileParamMode = Param{Name: "mode", Type: TypeMode,
		Doc: `Permissions: octal ("0644", "644", "1777") or symbolic as chmod takes them ("u=rw,g=r,o=r", "u+x", "a-w", "u=rwX"). Quote octal values.`}
	fileParamOwner = Param{Name: "owner", Type: TypeString,
		Doc: "User that should own the path: a name (resolved on the host) or a numeric uid."}
	fileParamGroup = Param{Name: "group", Type: TypeString,
		Doc: "Group that should own the path: a name (resolved on the host) or a numeric gid."}
)

// fileAttrs is what a task asks of a path's mode, owner and attributes;
// uid and gid are -1 when not asked, mode "" when not asked.
type fileAttrs struct {
	mode         string
	uid, gid     int
	owner, group string
	flags        flagSpec // chattr attributes (fileflags.go)
}

// taskAttrs reads mode/owner/group/attributes and resolves the names on
// the host, once per task.
func taskAttrs(ctx context.Context, mc *Context, module string, args Args) (fileAttrs, error) {
	a := fileAttrs{mode: args.String("mode"), owner: strings.TrimSpace(args.String("owner")), group: strings.TrimSpace(args.String("group"))}
	var err error
	if a.flags, err = parseFlags(args.String("attributes")); err != nil {
		return a, &ArgError{Module: module, Param: "attributes", Msg: err.Error()}
	}
	if a.uid, a.gid, err = hostIDs(ctx, mc, a.owner, a.group); err != nil {
		return a, fmt.Errorf("%s on %s: %w", module, mc.Host, err)
	}
	return a, nil
}

var accountName = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$`)

// idsScript prints "UID GID" for the user $1 and group $2 ("" gives -1).
const idsScript = `u=$1 g=$2
if [ -n "$u" ]; then u=$(id -u "$u" 2>/dev/null) || { echo "user '$1' does not exist on the host" >&2; exit 3; }; fi
if [ -n "$g" ]; then
  if command -v getent >/dev/null 2>&1; then l=$(getent group "$g"); else l=$(awk -F: -v n="$g" '$1==n' /etc/group); fi
  [ -n "$l" ] || { echo "group '$2' does not exist on the host" >&2; exit 4; }
  g=$(printf '%s\n' "$l" | head -n 1 | cut -d: -f3)
fi
echo "${u:--1} ${g:--1}"`

// hostIDs resolves owner and group ("" for none, a name or a number) to ids on the host.
func hostIDs(ctx context.Context, mc *Context, owner, group string) (uid, gid int, err error) {
	uid, gid = -1, -1
	names := []string{"", ""}
	for i, n := range []string{owner, group} {
		if n == "" {
			continue
		}
		if v, err := strconv.Atoi(n); err == nil && v >= 0 {
			if i == 0 {
				uid = v
			} else {
				gid = v
			}
			continue
		}
		if !accountName.MatchString(n) {
			return -1, -1, fmt.Errorf("invalid %s name %q", []string{"user", "group"}[i], n)
		}
		names[i] = n
	}
	if names[0] == "" && names[1] == "" {
		return uid, gid, nil
	}
	res, err := hostRun(ctx, mc, "resolving owner/group", &transport.Cmd{Args: []string{"/bin/sh", "-c", idsScript, "runbook-ids", names[0], names[1]}})
	if err != nil {
		return -1, -1, err
	}
	var u, g int
	if _, err := fmt.Sscan(string(res.Stdout), &u, &g); err != nil {
		return -1, -1, fmt.Errorf("resolving owner/group: unexpected output %q", res.Stdout)
	}
	if names[0] != "" {
		uid = u
	}
	if names[1] != "" {
		gid = g
	}
	return uid, gid, nil
}

// modeFrom is the mode a asks of a path whose mode is cur: cur itself when
// a asks none.
func (a fileAttrs) modeFrom(cur uint32, isDir bool) (uint32, error) {
	if a.mode == "" {
		return cur, nil
	}
	return parseMode(a.mode, cur, isDir)
}

// writeOptions write a file as the become user with the owner a asks and,
// when a asks a mode, mode (from modeFrom).
func (a fileAttrs) writeOptions(mc *Context, mode uint32) transport.WriteOptions {
	opts := transport.KeepOwner()
	opts.Become, opts.UID, opts.GID = mc.Become, a.uid, a.gid
	if a.mode != "" {
		opts.Mode = goMode(mode)
	}
	return opts
}

// attrPlan is the mode, owner and attributes a path has and should have.
type attrPlan struct {
	path               string
	link               bool
	special            bool // a FIFO, socket or device: no attributes
	oldMode, newMode   uint32
	oldUID, newUID     int
	oldGID, newGID     int
	oldFlags, newFlags string // attribute letters (sorted); equal when not asked
	flagArg            string // what chattr gets ("+i")
}

func (p attrPlan) modeChanged() bool  { return p.newMode != p.oldMode }
func (p attrPlan) ownerChanged() bool { return p.newUID != p.oldUID || p.newGID != p.oldGID }
func (p attrPlan) flagsChanged() bool { return p.newFlags != p.oldFlags }
func (p attrPlan) changed() bool      { return p.modeChanged() || p.ownerChanged() || p.flagsChanged() }

// lifts reports whether the plan clears immutable (i) or append-only (a).
func (p attrPlan) lifts() bool {
	for _, c := range "ia" {
		if strings.ContainsRune(p.oldFlags, c) && !strings.ContainsRune(p.newFlags, c) {
			return true
		}
	}
	return false
}

// planOn is plan with the attributes a asks, read from the host.
func (a fileAttrs) planOn(ctx context.Context, mc *Context, p string, fi transport.FileInfo) (attrPlan, error) {
	pl, err := a.plan(p, fi)
	if err == nil && a.flags.asked() && fi.Exists {
		err = planFlags(ctx, mc, a.flags, []*attrPlan{&pl}, false)
	}
	return pl, err
}

// plan computes what a asks of the existing path p's mode and owner (a
// symbolic link keeps its mode); planOn adds the attributes.
func (a fileAttrs) plan(p string, fi transport.FileInfo) (attrPlan, error) {
	pl := attrPlan{path: p, link: fi.Mode&fs.ModeSymlink != 0, oldMode: unixPerm(fi.Mode), oldUID: fi.UID, oldGID: fi.GID,
		special: fi.Mode&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice) != 0}
	pl.newMode, pl.newUID, pl.newGID = pl.oldMode, fi.UID, fi.GID
	if !pl.link {
		m, err := a.modeFrom(pl.oldMode, fi.IsDir())
		if err != nil {
			return pl, err
		}
		pl.newMode = m
	}
	if a.uid >= 0 {
		pl.newUID = a.uid
	}
	if a.gid >= 0 {
		pl.newGID = a.gid
	}
	return pl, nil
}

// applyPlans carries out the changed plans (nothing in check mode): owners
// first, as chown clears set-id bits, then modes, batched through xargs,
// then attributes; but attributes that lift immutable or append-only go
// first, as such a file takes no chown or chmod.
func applyPlans(ctx context.Context, mc *Context, plans []attrPlan) error {
	if mc.Check {
		return nil
	}
	var first, last []attrPlan
	for _, p := range plans {
		if p.lifts() {
			first = append(first, p)
		} else {
			last = append(last, p)
		}
	}
	if err := applyFlags(ctx, mc, first); err != nil {
		return err
	}
	owners, modes := map[string][]string{}, map[string][]string{}
	for _, p := range plans {
		if p.ownerChanged() {
			k := fmt.Sprintf("%d:%d", p.newUID, p.newGID)
			owners[k] = append(owners[k], p.path)
		}
		if !p.link && (p.modeChanged() || p.ownerChanged() && p.newMode&0o6000 != 0) {
			modes[fmtMode(p.newMode)] = append(modes[fmtMode(p.newMode)], p.path)
		}
	}
	for _, step := range []struct {
		argv []string
		by   map[string][]string
	}{{[]string{"chown", "-h", "--"}, owners}, {[]string{"chmod", "--"}, modes}} {
		keys := make([]string, 0, len(step.by))
		for k := range step.by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			paths := step.by[k]
			argv := append(append([]string{"xargs", "-0"}, step.argv...), k)
			what := fmt.Sprintf("%s %s %s", step.argv[0], k, strings.Join(paths, " "))
			if len(paths) > 3 {
				what = fmt.Sprintf("%s %s on %d paths", step.argv[0], k, len(paths))
			}
			stdin := strings.NewReader(strings.Join(paths, "\x00"))
			if _, err := hostRun(ctx, mc, what, &transport.Cmd{Args: argv, Stdin: stdin}); err != nil {
				return err
			}
		}
	}
	return applyFlags(ctx, mc, last)
}

// summary is one line of what the path has (or, after, will have).
func (p attrPlan) summary(after bool) string {
	m, u, g, fl := p.oldMode, p.oldUID, p.oldGID, p.oldFlags
	if after {
		m, u, g, fl = p.newMode, p.newUID, p.newGID, p.newFlags
	}
	s := fmt.Sprintf("mode %s owner %d group %d", fmtMode(m), u, g)
	if p.flagArg != "" {
		s += " attributes " + fl
	}
	return s
}

// diff shows the attributes that change.
func (p attrPlan) diff(host string) Diff {
	var b, a strings.Builder
	if p.modeChanged() {
		fmt.Fprintf(&b, "mode: %s\n", fmtMode(p.oldMode))
		fmt.Fprintf(&a, "mode: %s\n", fmtMode(p.newMode))
	}
	if p.newUID != p.oldUID {
		fmt.Fprintf(&b, "owner: %d\n", p.oldUID)
		fmt.Fprintf(&a, "owner: %d\n", p.newUID)
	}
	if p.newGID != p.oldGID {
		fmt.Fprintf(&b, "group: %d\n", p.oldGID)
		fmt.Fprintf(&a, "group: %d\n", p.newGID)
	}
	if p.flagsChanged() {
		fmt.Fprintf(&b, "attributes: %s\n", p.oldFlags)
		fmt.Fprintf(&a, "attributes: %s\n", p.newFlags)
	}
	return pathDiff(host, p.path, "attributes", b.String(), a.String())
}

// ensureDirs makes sure each of dirs is a directory on the host: one
// mkdir -p for all the missing ones (parents first or not), then attrs on
// each. It returns the missing ones; in check mode nothing is created.
func ensureDirs(ctx context.Context, mc *Context, dirs []string, attrs fileAttrs) ([]string, error) {
	var missing []string
	for _, d := range dirs {
		fi, err := hostStat(ctx, mc, d)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: %w", d, err)
		case fi.Exists && !fi.IsDir():
			return nil, fmt.Errorf("%s: exists and is not a directory", d)
		case !fi.Exists:
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 || mc.Check {
		for _, d := range missing {
			mc.Predicted.Add(d)
		}
		return missing, nil
	}
	mkdir := &transport.Cmd{Args: []string{"xargs", "-0", "mkdir", "-p", "--"}, Stdin: strings.NewReader(strings.Join(missing, "\x00"))}
	if _, err := hostRun(ctx, mc, "creating "+strings.Join(missing, ", "), mkdir); err != nil {
		return nil, err
	}
	plans := make([]attrPlan, 0, len(missing))
	for _, d := range missing {
		fi, err := hostStat(ctx, mc, d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		pl, err := attrs.plan(d, fi)
		if err != nil {
			return nil, err
		}
		plans = append(plans, pl)
	}
	return missing, applyPlans(ctx, mc, plans)
}
