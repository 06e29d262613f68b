package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/modules/transport"
)

// This file holds what the text-editing modules (lineinfile, blockinfile,
// hosts) share: reading the current file from the host, writing it back
// atomically with its mode and owner, file attributes, backups and diffs.

// Parameters shared by the text modules.
var (
	textParamBackup = Param{Name: "backup", Type: TypeBool, Default: false,
		Doc: "Before changing the file, copy it on the host to PATH.PID.YYYY-MM-DD@HH:MM:SS~ (mode, owner and times kept); the copy's path is returned."}
	textParamCreate = Param{Name: "create", Type: TypeBool, Default: false,
		Doc: "Create the file (and its missing parent directories) when it does not exist; otherwise a missing file fails the task."}
	textParamMode = Param{Name: "mode", Type: TypeMode,
		Doc: "Permissions of the file, octal (\"0644\", \"1777\") or symbolic (\"u=rw,g=r,o=r\", \"a-x\"); applied to a created file and corrected on an existing one."}
	textParamOwner = Param{Name: "owner", Type: TypeString,
		Doc: "User name or uid that should own the file (needs become unless the connecting user may chown)."}
	textParamGroup = Param{Name: "group", Type: TypeString,
		Doc: "Group name or gid that should own the file."}
)

// textAttrsMsg is what Ansible appends to msg when only attributes changed.
const textAttrsMsg = "ownership, perms or SE linux context changed"

// textFile is a text file as a module found it on the host.
type textFile struct {
	Path     string // as the task gave it, after ~ expansion
	Real     string // after following symbolic links: where reads and writes go
	Exists   bool
	Data     []byte
	Mode     fs.FileMode // permission and set-id bits (no type bits)
	UID, GID int
}

// textHostPath expands a leading ~ to the home directory of the (become) user
// on the host and refuses relative paths, which would mean different
// directories over SSH and locally.
func textHostPath(ctx context.Context, mc *Context, module, p string) (string, error) {
	if strings.ContainsAny(p, "\n\x00") {
		return "", fmt.Errorf("%s: path %q on %s: contains a newline or NUL byte", module, p, mc.Host)
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		res, err := mc.Conn.Run(ctx, &transport.Cmd{Shell: `printf %s "$HOME"`, Become: mc.Become, Env: mc.Env})
		if err != nil {
			return "", fmt.Errorf("%s: expanding %s on %s: %w", module, p, mc.Host, err)
		}
		home := string(res.Stdout)
		if res.ExitCode != 0 || !path.IsAbs(home) {
			return "", fmt.Errorf("%s: expanding %s on %s: no home directory", module, p, mc.Host)
		}
		return path.Join(home, p[1:]), nil
	}
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%s: path %q on %s: must be absolute (or start with ~/)", module, p, mc.Host)
	}
	return path.Clean(p), nil
}

// textReadScript is how a file is read as the become user: follow symbolic
// links, then print "none", "dir" or "file MODE UID GID", the resolved
// path on the next line, and the content.
const textReadScript = `p=$1 n=0
while [ -L "$p" ]; do
  n=$((n+1)); [ $n -le 40 ] || { echo "too many levels of symbolic links" >&2; exit 3; }
  t=$(readlink -- "$p") || exit 3
  case $t in /*) p=$t;; *) p=$(dirname -- "$p")/$t;; esac
done
if [ -d "$p" ]; then printf 'dir\n%s\n' "$p"; exit 0; fi
if [ ! -e "$p" ]; then
  e=$(LC_ALL=C stat -- "$p" 2>&1 >/dev/null)
  case $e in *"ermission denied"*) echo "$e" >&2; exit 3;; esac
  printf 'none\n%s\n' "$p"; exit 0
fi
s=$(stat -L -c '%a %u %g' -- "$p") || exit 3
printf 'file %s\n%s\n' "$s" "$p"
exec cat -- "$p"`

// readTextFile reads p (an absolute path) from the host. A missing file is
// not an error (Exists is false); a directory is.
func readTextFile(ctx context.Context, mc *Context, module, p string) (*textFile, error) {
	tf := &textFile{Path: p, Real: p, UID: -1, GID: -1}
	if mc.Become != nil {
		if err := textReadBecome(ctx, mc, tf); err != nil {
			return nil, fmt.Errorf("%s: reading %s on %s: %w", module, p, mc.Host, err)
		}
	} else if err := textReadDirect(ctx, mc, tf); err != nil {
		return nil, fmt.Errorf("%s: reading %s on %s: %w", module, p, mc.Host, err)
	}
	return tf, nil
}

func textReadDirect(ctx context.Context, mc *Context, tf *textFile) error {
	var fi transport.FileInfo
	for hops := 0; ; hops++ {
		var err error
		if fi, err = mc.Conn.Stat(ctx, tf.Real); err != nil {
			return err
		}
		if !fi.Exists || fi.Mode&fs.ModeSymlink == 0 {
			break
		}
		if hops == 40 {
			return errors.New("too many levels of symbolic links")
		}
		t := fi.LinkTarget
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(tf.Real), t)
		}
		tf.Real = t
	}
	if !fi.Exists {
		return nil
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", tf.Real)
	}
	var buf bytes.Buffer
	if err := mc.Conn.ReadFile(ctx, tf.Real, &buf); err != nil {
		return err
	}
	tf.Exists, tf.Data = true, buf.Bytes()
	tf.Mode, tf.UID, tf.GID = textPermBits(fi.Mode), fi.UID, fi.GID
	return nil
}

func textReadBecome(ctx context.Context, mc *Context, tf *textFile) error {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", textReadScript, "runbook-read", tf.Path}, Become: mc.Become})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return textExitErr(res)
	}
	kind, rest, _ := bytes.Cut(res.Stdout, []byte("\n"))
	real, data, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return fmt.Errorf("unexpected output %q", textFirstLine(res.Stdout))
	}
	tf.Real = path.Clean(string(real))
	f := strings.Fields(string(kind))
	switch {
	case len(f) == 1 && f[0] == "none":
		return nil
	case len(f) == 1 && f[0] == "dir":
		return fmt.Errorf("%s is a directory", tf.Real)
	case len(f) != 4 || f[0] != "file":
		return fmt.Errorf("unexpected output %q", textFirstLine(res.Stdout))
	}
	m, err1 := strconv.ParseUint(f[1], 8, 32)
	u, err2 := strconv.Atoi(f[2])
	g, err3 := strconv.Atoi(f[3])
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("unexpected stat output %q: %w", kind, err)
	}
	tf.Exists, tf.Data, tf.Mode, tf.UID, tf.GID = true, data, textUnixToMode(uint32(m)), u, g
	return nil
}

// textAttrs are the mode, owner and group a task asks for.
type textAttrs struct {
	mode     string // as given (octal or symbolic); "" keeps
	uid, gid int    // -1 keeps
}

// textResolveAttrs reads mode/owner/group from args and turns user and group
// names into ids on the host.
func textResolveAttrs(ctx context.Context, mc *Context, module string, args Args) (textAttrs, error) {
	a := textAttrs{mode: args.String("mode"), uid: -1, gid: -1}
	if a.mode != "" {
		if _, err := textApplyMode(a.mode, 0o644); err != nil {
			return a, &ArgError{Module: module, Param: "mode", Msg: err.Error()}
		}
	}
	for _, w := range []struct {
		param, cmd string
		id         *int
	}{{"owner", `id -u -- "$1"`, &a.uid}, {"group", `getent group "$1" | cut -d: -f3`, &a.gid}} {
		name := strings.TrimSpace(args.String(w.param))
		if name == "" {
			continue
		}
		if n, err := strconv.Atoi(name); err == nil && n >= 0 {
			*w.id = n
			continue
		}
		res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", w.cmd, "runbook-id", name}, Become: mc.Become})
		if err != nil {
			return a, fmt.Errorf("%s: looking up %s %q on %s: %w", module, w.param, name, mc.Host, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
		if res.ExitCode != 0 || err != nil {
			return a, fmt.Errorf("%s: %s %q does not exist on %s", module, w.param, name, mc.Host)
		}
		*w.id = n
	}
	return a, nil
}

// want returns the mode, uid and gid an existing file should have, and
// whether that differs from what it has.
func (a textAttrs) want(tf *textFile) (mode fs.FileMode, uid, gid int, differs bool) {
	mode, uid, gid = tf.Mode, tf.UID, tf.GID
	if a.mode != "" {
		mode, _ = textApplyMode(a.mode, tf.Mode)
	}
	if a.uid >= 0 {
		uid = a.uid
	}
	if a.gid >= 0 {
		gid = a.gid
	}
	return mode, uid, gid, mode != tf.Mode || uid != tf.UID || gid != tf.GID
}

// textChange is the outcome a text module computed; finishText carries it out.
type textChange struct {
	module    string
	file      *textFile
	after     []byte
	changed   bool   // the content changes (or the file is created)
	msg       string // Ansible's message for the content change
	backupKey string // "backup" (lineinfile) or "backup_file" (blockinfile)
	data      map[string]any
}

// finishText applies mode/owner/group, makes the backup, writes the file
// unless in check mode, and builds the result with its diffs.
func finishText(ctx context.Context, mc *Context, args Args, ch textChange) (*Result, error) {
	tf := ch.file
	attrs, err := textResolveAttrs(ctx, mc, ch.module, args)
	if err != nil {
		return nil, err
	}
	mode, uid, gid, attrsChanged := attrs.want(tf)
	attrsChanged = attrsChanged && tf.Exists
	data := ch.data
	if data == nil {
		data = map[string]any{}
	}
	if ch.backupKey != "" {
		data[ch.backupKey] = ""
	}
	r := &Result{Changed: ch.changed || attrsChanged, Msg: ch.msg, Data: data}
	if attrsChanged {
		if r.Msg != "" {
			r.Msg += " and "
		}
		r.Msg += textAttrsMsg
	}
	if mc.Diff && r.Changed {
		r.Diff = append(r.Diff, textContentDiff(mc, tf, ch.after))
		if attrsChanged {
			r.Diff = append(r.Diff, Diff{
				BeforeHeader: mc.Host + ":" + tf.Path + " (file attributes)", AfterHeader: mc.Host + ":" + tf.Path + " (file attributes)",
				Before: textAttrText(tf.Mode, tf.UID, tf.GID), After: textAttrText(mode, uid, gid),
			})
		}
	}
	if mc.Check || !r.Changed {
		return r, nil
	}
	if ch.changed && tf.Exists && args.Bool("backup") && ch.backupKey != "" {
		b, err := backupTextFile(ctx, mc, ch.module, tf)
		if err != nil {
			return nil, err
		}
		data[ch.backupKey] = b
	}
	if ch.changed {
		err = writeTextFile(ctx, mc, ch.module, tf, ch.after, attrs)
	} else {
		err = textSetAttrs(ctx, mc, ch.module, tf.Real, mode, attrs)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func textAttrText(m fs.FileMode, uid, gid int) string {
	return fmt.Sprintf("mode: %04o\nowner: %d\ngroup: %d\n", textModeToUnix(m), uid, gid)
}

// textDiffLimit bounds the content kept in a diff; the reporter shows
// nothing beyond 100 KiB anyway.
const textDiffLimit = 1 << 20

// textContentDiff is the before/after of a file's content, headed
// "HOST:PATH (content)".
func textContentDiff(mc *Context, tf *textFile, after []byte) Diff {
	h := mc.Host + ":" + tf.Path + " (content)"
	d := Diff{BeforeHeader: h, AfterHeader: h, Before: string(tf.Data), After: string(after)}
	if len(tf.Data) > textDiffLimit || len(after) > textDiffLimit {
		d.Before = fmt.Sprintf("(%d bytes: diff not shown)\n", len(tf.Data))
		d.After = fmt.Sprintf("(%d bytes: diff not shown)\n", len(after))
	}
	return d
}

// writeTextFile writes data to the file atomically, keeping the mode and
// owner of an existing file unless attrs say otherwise, and creating the
// parent directories of a new one. A file that is a mount point (a
// container's /etc/hosts) cannot be replaced by rename; it is rewritten in
// place instead.
func writeTextFile(ctx context.Context, mc *Context, module string, tf *textFile, data []byte, attrs textAttrs) error {
	opts := transport.KeepOwner()
	opts.Become, opts.UID, opts.GID = mc.Become, attrs.uid, attrs.gid
	if attrs.mode != "" {
		opts.Mode, _ = textApplyMode(attrs.mode, textBase(tf))
	}
	if !tf.Exists {
		if dir := path.Dir(tf.Real); dir != "/" {
			if err := textRun(ctx, mc, nil, "mkdir", "-p", "--", dir); err != nil {
				return fmt.Errorf("%s: creating directory %s on %s: %w", module, dir, mc.Host, err)
			}
		}
	}
	err := mc.Conn.WriteFile(ctx, tf.Real, bytes.NewReader(data), opts)
	if err != nil && tf.Exists && (errors.Is(err, syscall.EBUSY) || textIsMountPoint(ctx, mc, tf.Real)) {
		err = textRun(ctx, mc, data, "/bin/sh", "-c", `cat > "$1"`, "runbook-write", tf.Real)
		if mode, _, _, differs := attrs.want(tf); err == nil && differs {
			return textSetAttrs(ctx, mc, module, tf.Real, mode, attrs)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: writing %s on %s: %w", module, tf.Real, mc.Host, err)
	}
	return nil
}

func textBase(tf *textFile) fs.FileMode {
	if tf.Exists {
		return tf.Mode
	}
	return 0o644
}

// textIsMountPoint reports whether p is a mount point on the host.
func textIsMountPoint(ctx context.Context, mc *Context, p string) bool {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c",
		`awk -v p="$1" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo`, "runbook-mnt", p}})
	return err == nil && res.ExitCode == 0
}

// textSetAttrs changes only the mode and owner of p.
func textSetAttrs(ctx context.Context, mc *Context, module, p string, mode fs.FileMode, attrs textAttrs) error {
	own := ""
	if attrs.uid >= 0 {
		own = strconv.Itoa(attrs.uid)
	}
	if attrs.gid >= 0 {
		own += ":" + strconv.Itoa(attrs.gid)
	}
	// Owner first: chown clears set-id bits.
	script := `if [ -n "$2" ]; then chown -- "$2" "$1" || exit; fi; chmod -- "$3" "$1"`
	if err := textRun(ctx, mc, nil, "/bin/sh", "-c", script, "runbook-attrs", p, own,
		strconv.FormatUint(uint64(textModeToUnix(mode)), 8)); err != nil {
		return fmt.Errorf("%s: setting mode and owner of %s on %s: %w", module, p, mc.Host, err)
	}
	return nil
}

// backupTextFile copies the file next to itself as Ansible names backups.
func backupTextFile(ctx context.Context, mc *Context, module string, tf *textFile) (string, error) {
	dest := fmt.Sprintf("%s.%d.%s~", tf.Real, os.Getpid(), time.Now().Format("2006-01-02@15:04:05"))
	if err := textRun(ctx, mc, nil, "cp", "-p", "--", tf.Real, dest); err != nil {
		return "", fmt.Errorf("%s: backing up %s on %s: %w", module, tf.Real, mc.Host, err)
	}
	return dest, nil
}

// textLines splits data after each \n, as Python's readlines does on bytes;
// the last line may lack its newline.
func textLines(data []byte) []string {
	s := string(data)
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// textRun runs argv on the host as the become user; a non-zero exit status
// is an error carrying stderr.
func textRun(ctx context.Context, mc *Context, stdin []byte, argv ...string) error {
	cmd := &transport.Cmd{Args: argv, Become: mc.Become}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	res, err := mc.Conn.Run(ctx, cmd)
	if err == nil && res.ExitCode != 0 {
		err = textExitErr(res)
	}
	return err
}

// textExitErr turns a failed command into an error that wraps
// fs.ErrPermission or fs.ErrNotExist when its stderr says so.
func textExitErr(res *transport.Result) error {
	msg := textStderr(res)
	switch {
	case strings.Contains(msg, "Permission denied"), strings.Contains(msg, "Operation not permitted"):
		return fmt.Errorf("%s: %w", msg, fs.ErrPermission)
	case strings.Contains(msg, "No such file"):
		return fmt.Errorf("%s: %w", msg, fs.ErrNotExist)
	}
	return errors.New(msg)
}

func textStderr(res *transport.Result) string {
	if s := strings.TrimSpace(string(res.Stderr)); s != "" {
		return s
	}
	return fmt.Sprintf("exit status %d", res.ExitCode)
}

func textFirstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// textApplyMode applies an octal or symbolic (chmod-style) mode to base.
func textApplyMode(spec string, base fs.FileMode) (fs.FileMode, error) {
	if strings.Trim(spec, "01234567") == "" {
		n, err := strconv.ParseUint(spec, 8, 32)
		if err != nil || n > 0o7777 {
			return 0, fmt.Errorf("invalid mode %q", spec)
		}
		return textUnixToMode(uint32(n)), nil
	}
	cur := textModeToUnix(base)
	for _, clause := range strings.Split(spec, ",") {
		who, i := uint32(0), 0
		for ; i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0; i++ {
			who |= map[byte]uint32{'u': 0o4700, 'g': 0o2070, 'o': 0o1007, 'a': 0o7777}[clause[i]]
		}
		if who == 0 {
			who = 0o7777
		}
		if i == len(clause) {
			return 0, fmt.Errorf("invalid mode %q: expected +, - or = in %q", spec, clause)
		}
		for i < len(clause) {
			op := clause[i]
			if op != '+' && op != '-' && op != '=' {
				return 0, fmt.Errorf("invalid mode %q: unexpected %q in %q", spec, op, clause)
			}
			bits := uint32(0)
			for i++; i < len(clause) && strings.IndexByte("rwxXst", clause[i]) >= 0; i++ {
				if clause[i] == 'X' && cur&0o111 != 0 {
					bits |= 0o111
				}
				bits |= map[byte]uint32{'r': 0o444, 'w': 0o222, 'x': 0o111, 's': 0o6000, 't': 0o1000}[clause[i]]
			}
			switch bits &= who; op {
			case '+':
				cur |= bits
			case '-':
				cur &^= bits
			default:
				cur = cur&^who | bits
			}
		}
	}
	return textUnixToMode(cur), nil
}

func textPermBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

var textSpecial = [3]fs.FileMode{fs.ModeSticky, fs.ModeSetgid, fs.ModeSetuid} // 01000, 02000, 04000

func textModeToUnix(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	for i, b := range textSpecial {
		if m&b != 0 {
			u |= 0o1000 << i
		}
	}
	return u
}

func textUnixToMode(u uint32) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	for i, b := range textSpecial {
		if u&(0o1000<<i) != 0 {
			m |= b
		}
	}
	return m
}
