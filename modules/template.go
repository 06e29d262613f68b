package modules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/runbook-dev/runbook/templates"
	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(templateModule{}) }

type templateModule struct{}

// newlineSequences maps the accepted newline_sequence values, literal or
// written with backslashes as in Ansible, to the newline they stand for.
var newlineSequences = map[string]string{"\n": "\n", "\r": "\r", "\r\n": "\r\n", `\n`: "\n", `\r`: "\r", `\r\n`: "\r\n"}

var templateSpec = &Spec{
	Name:  "template",
	Short: "Render a template (Jinja2 .j2, or Go text/template) on the controller and write it to the host",
	Doc: "Renders src with the task's variables on the controller — a src ending in .j2 as Jinja2, as Ansible's " +
		"template module does (trim_blocks on, lstrip_blocks off, the trailing newlines of the source kept, a \"#jinja2:\" " +
		"first line and the *_start_string/*_end_string parameters honoured, values printed as Python's str(), an " +
		"undefined variable an error naming the template and line; Jinja's filters and tests, Ansible's filters and tests " +
		"as in playbook expressions, to_json/to_nice_json/to_yaml/to_nice_yaml written as Python writes them, lookup()/" +
		"query(), ansible_managed and the template_* variables, hostvars and groups; {% include %} and {% import %} " +
		"found beside the template, then in the role's and the playbook's templates/), any other src as Go " +
		"text/template ({{ .name }}) — then writes the " +
		"result to dest exactly as copy does: only when its SHA-256 differs from the file on the host, atomically, " +
		"fixing only mode and owner when the content matches. A relative src is looked up next to the playbook, " +
		"then in its templates/ directory, then among runbook's built-in templates. Check mode predicts exactly; " +
		"--diff shows the change.",
	Params: []Param{
		{Name: "src", Type: TypePath, Required: true, Doc: "The template file on the controller."},
		{Name: "dest", Type: TypePath, Required: true, Doc: "Path on the host (a directory receives the file under the template's name)."},
		{Name: "newline_sequence", Type: TypeString, Default: `\n`, Doc: `Line ending of the written file: "\n", "\r" or "\r\n".`},
		{Name: "trim_blocks", Type: TypeBool, Default: true, Doc: "Jinja2 (.j2): remove the first newline after a block tag, as Ansible does by default."},
		{Name: "lstrip_blocks", Type: TypeBool, Default: false, Doc: "Jinja2 (.j2): strip spaces and tabs from the start of a line up to a block tag."},
		{Name: "block_start_string", Type: TypeString, Doc: "Jinja2 (.j2): the string starting a block (default {%)."},
		{Name: "block_end_string", Type: TypeString, Doc: "Jinja2 (.j2): the string ending a block (default %})."},
		{Name: "variable_start_string", Type: TypeString, Doc: "Jinja2 (.j2): the string starting a print statement (default {{)."},
		{Name: "variable_end_string", Type: TypeString, Doc: "Jinja2 (.j2): the string ending a print statement (default }})."},
		{Name: "comment_start_string", Type: TypeString, Doc: "Jinja2 (.j2): the string starting a comment (default {#)."},
		{Name: "comment_end_string", Type: TypeString, Doc: "Jinja2 (.j2): the string ending a comment (default #})."},
		copyParamMode, fileParamOwner, fileParamGroup, fileParamAttributes, copyParamBackup, copyParamForce, copyParamFollow, paramValidate,
	},
	Check:   CheckFull,
	Returns: copyReturns,
	Example: `- name: Configure nginx
  template:
    src: nginx.conf.tmpl     # templates/nginx.conf.tmpl next to the playbook
    dest: /etc/nginx/nginx.conf
    mode: "0644"
    backup: true`,
	Validate: func(a Args) error {
		if _, ok := newlineSequences[a.String("newline_sequence")]; !ok {
			return fmt.Errorf(`newline_sequence must be "\n", "\r" or "\r\n", got %q`, a.String("newline_sequence"))
		}
		return checkModeSyntax(a, true)
	},
}

func (templateModule) Spec() *Spec { return templateSpec }

func (templateModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	w, err := newCopyWriter(ctx, mc, "template", args)
	if err != nil {
		return nil, err
	}
	src := args.String("src")
	text, where, perm, err := findTemplate(mc, src)
	if err != nil {
		return nil, w.fail(src, err)
	}
	var out string
	switch {
	case isJinja2(src):
		out, err = renderJinja2(where, string(text), mc.Vars, jinjaTaskOptions(mc, args))
	case mc.Render == nil:
		return nil, w.fail(src, errors.New("no template renderer"))
	default:
		out, err = mc.Render(src, string(text))
	}
	if err != nil {
		return nil, w.fail(where, fmt.Errorf("rendering: %w", err))
	}
	if nl := newlineSequences[args.String("newline_sequence")]; nl != "\n" {
		out = strings.ReplaceAll(strings.ReplaceAll(out, "\r\n", "\n"), "\n", nl)
	}
	dest, err := hostPath(ctx, mc, "template", args.String("dest"))
	if err != nil {
		return nil, err
	}
	return w.file(ctx, bytesSource(where, []byte(out), perm), dest, path.Base(src))
}

// findTemplate reads a template file on the controller: findLocal's
// places, then runbook's built-in templates (package templates).
func findTemplate(mc *Context, src string) (text []byte, where string, perm uint32, err error) {
	p, err := findLocal(mc, src, "templates")
	if err == nil {
		var st fs.FileInfo
		if st, err = os.Stat(p); err == nil && st.IsDir() {
			err = errors.New("is a directory")
		}
		if err == nil {
			text, err = os.ReadFile(p)
		}
		if err != nil {
			return nil, p, 0, err
		}
		return text, p, unixPerm(st.Mode()), nil
	}
	if !filepath.IsAbs(src) && errors.Is(err, fs.ErrNotExist) {
		name := path.Clean(filepath.ToSlash(src))
		if b, berr := fs.ReadFile(templates.FS(), name); berr == nil {
			return b, "builtin:" + name, 0o644, nil
		}
		err = fmt.Errorf("%w, nor among the built-in templates", err)
	}
	return nil, src, 0, err
}

// findLocal finds a relative controller path next to the file of the task,
// then in its sub directory (templates/, files/), then the same in the
// directory of the playbook that was run, as Ansible searches for task
// files imported from elsewhere.
func findLocal(mc *Context, name, sub string) (string, error) {
	if filepath.IsAbs(name) {
		_, err := os.Stat(name)
		return name, err
	}
	var tried []string
	dirs := []string{mc.PlaybookDir, filepath.Join(mc.PlaybookDir, sub)}
	if mc.ProjectDir != "" && filepath.Clean(mc.ProjectDir) != filepath.Clean(mc.PlaybookDir) {
		dirs = append(dirs, mc.ProjectDir, filepath.Join(mc.ProjectDir, sub))
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("not found on the controller (looked for %s): %w", strings.Join(tried, ", "), fs.ErrNotExist)
}

// The writer that copy and template share, per file: the content (a
// copySource) and put, which compares, writes and fixes mode and owner.
// copy.go has the rest: directory trees, directories and the result.

// copySource is one file's new content: on the controller (open) or on the host (hostPath).
type copySource struct {
	name     string
	size     int64
	sum      string
	perm     uint32
	open     func() (io.ReadCloser, error)
	hostPath string
}

// bytesSource is content held in memory (content, a rendered template).
func bytesSource(name string, b []byte, perm uint32) copySource {
	sum := sha256.Sum256(b)
	return copySource{name: name, size: int64(len(b)), sum: hex.EncodeToString(sum[:]), perm: perm,
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

// localSource hashes a controller file by streaming it; it is opened again to send it.
func localSource(p string) (copySource, error) {
	st, err := os.Stat(p)
	if err != nil {
		return copySource{}, err
	}
	sum, n, err := fileSHA256(p)
	if err != nil {
		return copySource{}, err
	}
	return copySource{name: p, size: n, sum: sum, perm: unixPerm(st.Mode()),
		open: func() (io.ReadCloser, error) { return os.Open(p) }}, nil
}

// putResult is the state of one file after put.
type putResult struct {
	dest, sum, backup string
	size              int64
	mode              *uint32
	uid, gid          int
}

// put makes dest hold s with the task's mode and owner. The content is
// compared by SHA-256 on the host and written only when it differs; an
// unchanged file gets only its mode and owner fixed.
func (w *copyWriter) put(ctx context.Context, s copySource, dest string) (putResult, error) {
	mc := w.mc
	o := putResult{dest: dest, sum: s.sum, size: s.size, uid: -1, gid: -1}
	fi, err := hostStat(ctx, mc, dest)
	if err == nil && w.follow && fi.Mode&fs.ModeSymlink != 0 { // a link inside a directory copy
		dest, fi, err = resolveLink(ctx, mc, dest)
		o.dest = dest
	}
	// Not followed, a link is replaced whatever its target holds; that is
	// neither read nor compared.
	link := fi.Mode&fs.ModeSymlink != 0
	switch {
	case err != nil:
		return o, w.fail(dest, err)
	case fi.IsDir():
		return o, w.fail(dest, errors.New("is a directory"))
	case fi.Exists && !fi.Mode.IsRegular() && fi.Mode&fs.ModeSymlink == 0:
		return o, w.fail(dest, errors.New("exists and is not a regular file"))
	}
	attrs := w.attrs
	if w.preserve {
		attrs.mode = fmtMode(s.perm)
	}
	destSum := ""
	if fi.Exists && !w.force { // force: false leaves an existing file alone, as Ansible does
		m := unixPerm(fi.Mode)
		o.sum, o.size, o.mode, o.uid, o.gid = "", fi.Size, &m, fi.UID, fi.GID
		return o, nil
	}
	if fi.Exists && !link {
		var known bool
		if destSum, known = w.sums[dest]; !known {
			if destSum, err = hostChecksum(ctx, mc, dest); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return o, w.fail(dest, err)
			}
		}
		if destSum == s.sum {
			return o, w.fixAttrs(ctx, &o, attrs, fi, false)
		}
	}
	base := uint32(0o644)
	if fi.Exists && !link {
		base, o.uid, o.gid = unixPerm(fi.Mode), fi.UID, fi.GID
	}
	mode, err := attrs.modeFrom(base, false)
	if err != nil {
		return o, w.fail(dest, err)
	}
	var diffs []Diff
	if mc.Diff {
		if diffs, err = w.contentDiff(ctx, s, dest, fi, destSum, attrs); err != nil {
			return o, w.fail(dest, err)
		}
	}
	w.note(dest, diffs...)
	o.mode = &mode
	if attrs.uid >= 0 {
		o.uid = attrs.uid
	}
	if attrs.gid >= 0 {
		o.gid = attrs.gid
	}
	if mc.Check {
		mc.Predicted.Add(dest) // a later task may use it (a unit file, a config)
		return o, nil
	}
	if w.backup && fi.Exists {
		if o.backup, err = hostBackup(ctx, mc, dest); err != nil {
			return o, w.fail(dest, fmt.Errorf("making the backup: %w", err))
		}
	}
	if err := w.write(ctx, s, dest, attrs, mode); err != nil {
		return o, w.fail(dest, err)
	}
	if fi, err = hostStat(ctx, mc, dest); err != nil {
		return o, w.fail(dest, err)
	}
	return o, w.fixAttrs(ctx, &o, attrs, fi, true) // what the write could not set (mode 0000)
}

// fixAttrs applies mode and owner to an existing dest and records the result.
func (w *copyWriter) fixAttrs(ctx context.Context, o *putResult, attrs fileAttrs, fi transport.FileInfo, written bool) error {
	pl, err := attrs.planOn(ctx, w.mc, o.dest, fi)
	if err != nil {
		return w.fail(o.dest, err)
	}
	if pl.changed() {
		if !written {
			w.note(o.dest, pl.diff(w.mc.Host))
		}
		if err := applyPlans(ctx, w.mc, []attrPlan{pl}); err != nil {
			return w.fail(o.dest, err)
		}
	}
	m := pl.newMode
	o.mode, o.uid, o.gid = &m, pl.newUID, pl.newGID
	return nil
}

// hostCopyScript copies $1 to $2 on the host atomically: a temporary file
// next to $2 with $2's mode and owner (new: 0644), then mode $3 and owner $4
// when given, then a rename. A symbolic link at $2 is replaced like a
// missing file (mv -T), never followed.
const hostCopyScript = `set -e
t=$(mktemp "$(dirname -- "$2")/.runbook-tmp-XXXXXX")
trap 'rm -f -- "$t"' EXIT
cat -- "$1" > "$t"
if [ -L "$2" ]; then chmod 644 "$t"
elif [ -e "$2" ]; then
  chown -- "$(stat -c %u:%g -- "$2")" "$t" 2>/dev/null || true
  chmod -- "$(stat -c %a -- "$2")" "$t"
else chmod 644 "$t"; fi
if [ -n "$4" ]; then chown -- "$4" "$t"; fi
if [ -n "$3" ]; then chmod -- "$3" "$t"; fi
if [ -L "$2" ]; then mv -fT -- "$t" "$2"; else mv -f -- "$t" "$2"; fi
trap - EXIT`

// write replaces dest with the content of s: streamed from the controller
// through Conn.WriteFile, or copied on the host for remote_src.
func (w *copyWriter) write(ctx context.Context, s copySource, dest string, attrs fileAttrs, mode uint32) error {
	if s.hostPath != "" {
		m, owner := "", ""
		if attrs.mode != "" {
			m = fmtMode(mode)
		}
		if attrs.uid >= 0 {
			owner = fmt.Sprint(attrs.uid)
		}
		if attrs.gid >= 0 {
			owner += fmt.Sprintf(":%d", attrs.gid)
		}
		return validatedPut(ctx, w.mc, w.module, dest, w.validate, attrs.writeOptions(w.mc, mode), func(p string) error {
			_, err := hostRun(ctx, w.mc, "copying on the host", &transport.Cmd{
				Args: []string{"/bin/sh", "-c", hostCopyScript, "runbook-copy", s.hostPath, p, m, owner}})
			return err
		})
	}
	r, err := s.open()
	if err != nil {
		return err
	}
	defer r.Close()
	opts := attrs.writeOptions(w.mc, mode)
	return validatedPut(ctx, w.mc, w.module, dest, w.validate, opts, func(p string) error {
		return w.mc.Conn.WriteFile(ctx, p, r, opts)
	})
}

// contentDiff shows dest's content before and after (and its attributes
// when they change too).
func (w *copyWriter) contentDiff(ctx context.Context, s copySource, dest string, fi transport.FileInfo, destSum string, attrs fileAttrs) ([]Diff, error) {
	d := Diff{BeforeHeader: diffHeader(w.mc.Host, dest, "absent"), AfterHeader: diffHeader(w.mc.Host, dest, "content")}
	var err error
	switch {
	case fi.Mode&fs.ModeSymlink != 0: // replaced, not followed: its target's content is not ours to show
		d.BeforeHeader = diffHeader(w.mc.Host, dest, "symbolic link to "+fi.LinkTarget)
	case fi.Exists:
		d.BeforeHeader = d.AfterHeader
		d.Before, err = diffSide(fi.Size, destSum, func(wr io.Writer) error { return hostRead(ctx, w.mc, dest, wr) })
		if err != nil {
			return nil, err
		}
	}
	d.After, err = diffSide(s.size, s.sum, func(wr io.Writer) error {
		if s.hostPath != "" {
			return hostRead(ctx, w.mc, s.hostPath, wr)
		}
		r, err := s.open()
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(wr, r)
		return err
	})
	out := []Diff{d}
	if fi.Mode.IsRegular() {
		pl, perr := attrs.planOn(ctx, w.mc, dest, fi)
		if perr != nil {
			return nil, perr
		}
		if pl.changed() {
			out = append(out, pl.diff(w.mc.Host))
		}
	}
	return out, err
}
