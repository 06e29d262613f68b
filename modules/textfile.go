package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/runbook-dev/runbook/transport"
)

// This file holds what the text-editing modules (lineinfile, blockinfile,
// hosts) share: reading the current file from the host, and writing it back
// atomically with its mode and owner. Mode and owner are fileAttrs
// (fileattrs.go), as for the file modules; the diffs are in diffs.go.

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

// textHostPath is hostPath for the text modules, which also refuse a
// newline (their scripts report paths line by line) and relative paths,
// which would mean different directories over SSH and locally.
func textHostPath(ctx context.Context, mc *Context, module, p string) (string, error) {
	if strings.Contains(p, "\n") {
		return "", fmt.Errorf("%s: path %q on %s: contains a newline or NUL byte", module, p, mc.Host)
	}
	p, err := hostPath(ctx, mc, module, p)
	if err != nil {
		return "", err
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

// textReadDirect reads as the login user, following symbolic links.
func textReadDirect(ctx context.Context, mc *Context, tf *textFile) error {
	final, fi, err := resolveLink(ctx, mc, tf.Path)
	if err != nil {
		return err
	}
	tf.Real = final
	if !fi.Exists {
		return nil
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", tf.Real)
	}
	var buf bytes.Buffer
	if err := hostRead(ctx, mc, tf.Real, &buf); err != nil {
		return err
	}
	tf.Exists, tf.Data = true, buf.Bytes()
	tf.Mode, tf.UID, tf.GID = fi.Mode&modeBits, fi.UID, fi.GID
	return nil
}

// textReadBecome reads as the become user, in one command: the task's
// rights, not the login user's, decide what it may read (and write).
func textReadBecome(ctx context.Context, mc *Context, tf *textFile) error {
	res, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"/bin/sh", "-c", textReadScript, "runbook-read", tf.Path}})
	if err != nil {
		return err
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
	tf.Exists, tf.Data, tf.Mode, tf.UID, tf.GID = true, data, goMode(uint32(m)), u, g
	return nil
}

// textAttrs is fileAttrs under the name that writeTextFile's callers in
// containerd_registry.go and tls_cert.go use.
type textAttrs = fileAttrs

// textResolveAttrs checks the mode parameter (a text module's Validate does
// not) and resolves mode/owner/group as taskAttrs does.
func textResolveAttrs(ctx context.Context, mc *Context, module string, args Args) (fileAttrs, error) {
	if mode := args.String("mode"); mode != "" {
		if _, err := parseMode(mode, 0o644, false); err != nil {
			return fileAttrs{}, &ArgError{Module: module, Param: "mode", Msg: err.Error()}
		}
	}
	return taskAttrs(ctx, mc, module, args)
}

// info describes the file as hostStat would, for attrPlan.
func (tf *textFile) info() transport.FileInfo {
	return transport.FileInfo{Path: tf.Real, Exists: tf.Exists, Mode: tf.Mode, UID: tf.UID, GID: tf.GID}
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
	pl, err := attrs.planOn(ctx, mc, tf.Real, tf.info())
	if err != nil {
		return nil, fmt.Errorf("%s: %s on %s: %w", ch.module, tf.Real, mc.Host, err)
	}
	attrsChanged := tf.Exists && pl.changed()
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
			r.Diff = append(r.Diff, textAttrDiff(mc.Host, tf.Path, pl))
		}
	}
	if mc.Check || !r.Changed {
		return r, nil
	}
	if ch.changed && tf.Exists && args.Bool("backup") && ch.backupKey != "" {
		b, err := hostBackup(ctx, mc, tf.Real)
		if err != nil {
			return nil, fmt.Errorf("%s: backing up %s on %s: %w", ch.module, tf.Real, mc.Host, err)
		}
		data[ch.backupKey] = b
	}
	if ch.changed {
		err = writeTextFileValidated(ctx, mc, ch.module, tf, ch.after, attrs, args.String("validate"))
		if err == nil {
			if err = setFlagsOn(ctx, mc, attrs.flags, tf.Real); err != nil {
				err = fmt.Errorf("%s: %s on %s: %w", ch.module, tf.Real, mc.Host, err)
			}
		}
	} else {
		err = textSetAttrs(ctx, mc, ch.module, pl)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// writeTextFile writes data to the file atomically, keeping the mode and
// owner of an existing file unless attrs say otherwise, and creating the
// parent directories of a new one. A file that is a mount point (a
// container's /etc/hosts) cannot be replaced by rename; it is rewritten in
// place instead (textInPlaceScript), never losing its old content.
func writeTextFile(ctx context.Context, mc *Context, module string, tf *textFile, data []byte, attrs textAttrs) error {
	return writeTextFileValidated(ctx, mc, module, tf, data, attrs, "")
}

// writeTextFileValidated is writeTextFile running the validate command, when
// not empty, on the new content before it replaces the file (validate.go).
func writeTextFileValidated(ctx context.Context, mc *Context, module string, tf *textFile, data []byte, attrs textAttrs, validate string) error {
	base := uint32(0o644) // a new file's
	if tf.Exists {
		base = unixPerm(tf.Mode)
	}
	mode, _ := attrs.modeFrom(base, false) // checked by textResolveAttrs, or a constant
	if !tf.Exists {
		if dir := path.Dir(tf.Real); dir != "/" {
			if _, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"mkdir", "-p", "--", dir}}); err != nil {
				return fmt.Errorf("%s: creating directory %s on %s: %w", module, dir, mc.Host, err)
			}
		}
	}
	opts := attrs.writeOptions(mc, mode)
	err := validatedPut(ctx, mc, module, tf.Real, validate, opts, func(p string) error {
		return mc.Conn.WriteFile(ctx, p, bytes.NewReader(data), opts)
	})
	if err != nil && tf.Exists && !isValidateError(err) && (errors.Is(err, syscall.EBUSY) || textIsMountPoint(ctx, mc, tf.Real)) {
		_, err = hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"/bin/sh", "-c", textInPlaceScript, "runbook-write",
			tf.Real, strconv.Itoa(len(data))}, Stdin: bytes.NewReader(data)})
		if pl, perr := attrs.plan(tf.Real, tf.info()); err == nil && perr == nil && pl.changed() {
			return textSetAttrs(ctx, mc, module, pl)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: writing %s on %s: %w", module, tf.Real, mc.Host, err)
	}
	return nil
}

// textInPlaceScript rewrites the file $1 in place with the $2 bytes of
// stdin, for a file rename cannot replace. Before the file is touched: the
// whole new content is staged next to it (a cut stream is refused), the
// old content is copied beside it, and its file system must have room for
// the new content once the old is truncated (else "no space left on
// device", the file untouched). Should the rewrite still fail, the old
// content is written back; if even that fails, its copy is kept and named.
const textInPlaceScript = `dst=$1 n=$2
dir=$(dirname -- "$dst") base=$(basename -- "$dst")
new=$(mktemp "$dir/.$base.runbook-new-XXXXXX") || exit 1
old=
trap 'rm -f -- "$new" ${old:+"$old"}' EXIT
if ! head -c "$n" > "$new" || [ "$(wc -c < "$new")" -ne "$n" ]; then
  echo "staging the new content next to $dst failed; $dst is untouched" >&2; exit 1
fi
old=$(mktemp "$dir/.$base.runbook-old-XXXXXX") || exit 1
if ! cat -- "$dst" > "$old"; then echo "copying the old content of $dst failed; $dst is untouched" >&2; exit 1; fi
have=$(wc -c < "$old")
fs=$(stat -f -c '%a %S' -- "$dst") || exit 1
set -- $fs
avail=$1 bs=$2
if [ $(( (n + bs - 1) / bs )) -gt $(( (have + bs - 1) / bs + avail )) ]; then
  echo "no space left on device: rewriting $dst in place needs $n bytes, its file system has $((avail * bs)) free besides the file's own $have; $dst is untouched" >&2
  exit 1
fi
if ! cat -- "$new" > "$dst"; then
  if cat -- "$old" > "$dst"; then echo "rewriting $dst in place failed; its old content was put back" >&2
  else echo "rewriting $dst in place failed, and so did putting its old content back: that is kept in $old" >&2; old=; fi
  exit 1
fi`

// textIsMountPoint reports whether p is a mount point on the host.
func textIsMountPoint(ctx context.Context, mc *Context, p string) bool {
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c",
		`awk -v p="$1" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo`, "runbook-mnt", p}})
	return err == nil && res.ExitCode == 0
}

// textSetAttrs changes only the mode and owner of the file, as pl plans.
func textSetAttrs(ctx context.Context, mc *Context, module string, pl attrPlan) error {
	if err := applyPlans(ctx, mc, []attrPlan{pl}); err != nil {
		return fmt.Errorf("%s: setting mode and owner of %s on %s: %w", module, pl.path, mc.Host, err)
	}
	return nil
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

func textFirstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
