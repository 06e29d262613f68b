package modules

// Helpers shared by the file modules (copy, template, file, fetch, stat,
// slurp): mode parsing, owner and group resolution on the host, planning
// and applying mode/owner changes, reads that fall back to become, and diffs.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/runbook-dev/runbook/modules/transport"
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

var octalMode = regexp.MustCompile(`^0*[0-7]{1,4}$`)

// parseMode computes the permission bits (07777) that spec gives a path whose
// current bits are cur: octal, or chmod-style symbolic clauses. An empty
// "who" means a (the umask is not applied).
func parseMode(spec string, cur uint32, isDir bool) (uint32, error) {
	s := strings.TrimSpace(spec)
	if octalMode.MatchString(s) {
		v, _ := strconv.ParseUint(s, 8, 32)
		return uint32(v), nil
	}
	bad := func(why string) (uint32, error) {
		return 0, fmt.Errorf("invalid mode %q: %s (use octal such as \"0644\" or symbolic such as \"u=rw,g=r,o=r\")", spec, why)
	}
	if s == "" {
		return bad("empty")
	}
	m := cur & 0o7777
	for _, clause := range strings.Split(s, ",") {
		i, who := 0, uint32(0)
		for ; i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0; i++ {
			who |= classBits(clause[i], 0o4700, 0o2070, 0o1007, 0o7777)
		}
		if who == 0 {
			who = 0o7777
		}
		if i == len(clause) {
			return bad("expected an operator (+, - or =) in " + strconv.Quote(clause))
		}
		for i < len(clause) {
			op := clause[i]
			if op != '+' && op != '-' && op != '=' {
				return bad(fmt.Sprintf("unexpected %q in %q", op, clause))
			}
			i++
			start, bits := i, uint32(0)
			for ; i < len(clause) && strings.IndexByte("rwxXstugo", clause[i]) >= 0; i++ {
				switch c := clause[i]; c {
				case 'r':
					bits |= 0o444
				case 'w':
					bits |= 0o222
				case 'x':
					bits |= 0o111
				case 'X':
					if isDir || m&0o111 != 0 {
						bits |= 0o111
					}
				case 's':
					bits |= 0o6000
				case 't':
					bits |= 0o1000
				default: // u, g or o: copy that class's bits, and nothing else
					if i != start || i+1 < len(clause) && strings.IndexByte("+-=", clause[i+1]) < 0 {
						return bad(fmt.Sprintf("%q must stand alone after the operator", c))
					}
					bits |= (m >> classBits(c, 6, 3, 0, 0) & 7) * 0o111
				}
			}
			bits &= who
			switch op {
			case '+':
				m |= bits
			case '-':
				m &^= bits
			case '=':
				m = m&^who | bits
			}
		}
	}
	return m, nil
}

// classBits picks the value for a chmod class letter: u, g, o or a.
func classBits(c byte, u, g, o, a uint32) uint32 {
	switch c {
	case 'u':
		return u
	case 'g':
		return g
	case 'o':
		return o
	}
	return a
}

// checkModeSyntax validates a mode parameter before anything runs.
func checkModeSyntax(a Args, allowPreserve bool) error {
	s := a.String("mode")
	if s == "" || s == "preserve" && allowPreserve {
		return nil
	}
	_, err := parseMode(s, 0, false)
	return err
}

// unixPerm and goMode convert between fs.FileMode and chmod's numbers.
func unixPerm(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	for bit, v := range map[fs.FileMode]uint32{fs.ModeSetuid: 0o4000, fs.ModeSetgid: 0o2000, fs.ModeSticky: 0o1000} {
		if m&bit != 0 {
			u |= v
		}
	}
	return u
}

func goMode(u uint32) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	for bit, v := range map[fs.FileMode]uint32{fs.ModeSetuid: 0o4000, fs.ModeSetgid: 0o2000, fs.ModeSticky: 0o1000} {
		if u&v != 0 {
			m |= bit
		}
	}
	return m
}

func fmtMode(u uint32) string { return fmt.Sprintf("%04o", u) }

// fileAttrs is what a task asks of a path's mode and owner; uid and gid are
// -1 when not asked, mode "" when not asked.
type fileAttrs struct {
	mode         string
	uid, gid     int
	owner, group string
}

// taskAttrs reads mode/owner/group and resolves the names on the host, once per task.
func taskAttrs(ctx context.Context, mc *Context, module string, args Args) (fileAttrs, error) {
	a := fileAttrs{mode: args.String("mode"), owner: args.String("owner"), group: args.String("group")}
	var err error
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

// hostRun runs cmd on the host as the become user; a non-zero exit is an
// error carrying stderr.
func hostRun(ctx context.Context, mc *Context, what string, cmd *transport.Cmd) (*transport.Result, error) {
	cmd.Become = mc.Become
	res, err := mc.Conn.Run(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if res.ExitCode != 0 {
		return res, fmt.Errorf("%s: %s (exit status %d)", what, strings.TrimSpace(string(res.Stderr)), res.ExitCode)
	}
	return res, nil
}

// attrPlan is the mode and owner a path has and should have.
type attrPlan struct {
	path             string
	link             bool
	oldMode, newMode uint32
	oldUID, newUID   int
	oldGID, newGID   int
}

func (p attrPlan) modeChanged() bool  { return p.newMode != p.oldMode }
func (p attrPlan) ownerChanged() bool { return p.newUID != p.oldUID || p.newGID != p.oldGID }
func (p attrPlan) changed() bool      { return p.modeChanged() || p.ownerChanged() }

// plan computes what a asks of the existing path p (a symbolic link keeps its mode).
func (a fileAttrs) plan(p string, fi transport.FileInfo) (attrPlan, error) {
	pl := attrPlan{path: p, link: fi.Mode&fs.ModeSymlink != 0, oldMode: unixPerm(fi.Mode), oldUID: fi.UID, oldGID: fi.GID}
	pl.newMode, pl.newUID, pl.newGID = pl.oldMode, fi.UID, fi.GID
	if a.mode != "" && !pl.link {
		m, err := parseMode(a.mode, pl.oldMode, fi.IsDir())
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
// first, as chown clears set-id bits, then modes, batched through xargs.
func applyPlans(ctx context.Context, mc *Context, plans []attrPlan) error {
	if mc.Check {
		return nil
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
	return nil
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
	h := host + ":" + p.path + " (attributes)"
	return Diff{BeforeHeader: h, AfterHeader: h, Before: b.String(), After: a.String()}
}

// diffLimit is the largest content shown in a diff.
const diffLimit = 100 << 10

// diffSide returns text for one side of a content diff, or a line saying why
// the content is not shown (larger than 100 KiB, or binary).
func diffSide(size int64, sum string, read func(io.Writer) error) (string, error) {
	if size > diffLimit {
		return fmt.Sprintf("(%d bytes, larger than 100 KiB: content not shown; sha256 %s)\n", size, sum), nil
	}
	var buf bytes.Buffer
	if err := read(&buf); err != nil {
		return "", err
	}
	if bytes.IndexByte(buf.Bytes(), 0) >= 0 || !utf8.Valid(buf.Bytes()) {
		return fmt.Sprintf("(binary content, %d bytes: not shown; sha256 %s)\n", buf.Len(), sum), nil
	}
	return buf.String(), nil
}

// isPermission reports a permission failure, from the os package or in a message.
func isPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission) || err != nil && strings.Contains(err.Error(), "ermission denied")
}

// stateDiff shows a path going from one state to another ("state: absent"
// to "state: directory"), with any other "key: value" lines given.
func stateDiff(host, p string, before, after []string) Diff {
	h := host + ":" + p + " (state)"
	text := func(lines []string) string { return "path: " + p + "\n" + strings.Join(lines, "\n") + "\n" }
	return Diff{BeforeHeader: h, AfterHeader: h, Before: text(before), After: text(after)}
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
