package modules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(copyModule{}) }

type copyModule struct{}

// Parameters shared by copy and template.
var (
	copyParamMode = Param{Name: "mode", Type: TypeMode,
		Doc: fileParamMode.Doc + ` "preserve" gives dest the mode of src. Unset: an existing file keeps its mode, a new one gets 0644.`}
	copyParamBackup = Param{Name: "backup", Type: TypeBool, Default: false,
		Doc: "Before replacing dest, copy it on the host to DEST.PID.YYYY-MM-DD@HH:MM:SS~ (returned as backup_file)."}
	copyParamForce = Param{Name: "force", Type: TypeBool, Default: true,
		Doc: "Replace dest when its content differs; false writes only when dest does not exist and leaves an existing one alone (content, mode and owner)."}
	copyParamFollow = Param{Name: "follow", Type: TypeBool, Default: false,
		Doc: "Write through a symbolic link at dest (to the file it points to, or into the directory it points to). " +
			"Without it the link itself is replaced by the file, as Ansible does, and its target is neither read " +
			"(not even by --diff) nor changed; a link to a directory is refused (Ansible would copy into it). So a " +
			"task with become never writes where a link planted by another user points."}
)

// Return values shared by copy and template.
var copyReturns = []Return{
	{Name: "dest", Type: TypePath, Doc: "The file written (inside dest when dest is a directory)."},
	{Name: "src", Type: TypePath, Doc: "Where the content came from."},
	{Name: "checksum", Type: TypeString, Doc: "SHA-256 of the content, hex."},
	{Name: "size", Type: TypeInt, Doc: "Size of the content in bytes."},
	{Name: "mode", Type: TypeString, Doc: "The file's permissions afterwards, such as \"0644\"."},
	{Name: "uid", Type: TypeInt, Doc: "Owner's uid afterwards (unknown for a file a check run would create)."},
	{Name: "gid", Type: TypeInt, Doc: "Group's gid afterwards."},
	{Name: "owner", Type: TypeString, Doc: "The owner parameter, when given."},
	{Name: "group", Type: TypeString, Doc: "The group parameter, when given."},
	{Name: "backup_file", Type: TypePath, Doc: "The backup made of the old file (backup: true)."},
	{Name: "state", Type: TypeString, Doc: "\"file\", or \"directory\" for a directory copy."},
	{Name: "changed_files", Type: TypeList, Doc: "Directory copy: the files (and directories) written or fixed."},
}

var copySpec = &Spec{
	Name:  "copy",
	Short: "Copy files or directories to the host",
	Doc: "Copies a file or directory from the controller (or, with remote_src, from elsewhere on the host) or the " +
		"given content to dest. A file is replaced only when its SHA-256, computed on the host, differs; the new " +
		"content is streamed to a temporary file next to dest and renamed over it. When the content already matches " +
		"only mode and owner are fixed. Relative src is looked up in the playbook's directory, then its files/ " +
		"directory. A src directory is copied recursively, itself into dest, or only its contents when src ends " +
		"with \"/\". A dest that is a directory, or ends with \"/\", receives the file under its own name. " +
		"Check mode predicts exactly; --diff shows the content change (not for binary files or above 100 KiB).",
	Params: []Param{
		{Name: "src", Type: TypePath, Doc: "File or directory to copy: on the controller, or on the host with remote_src. Not with content."},
		{Name: "content", Type: TypeString, Doc: "The file's content, instead of src."},
		{Name: "dest", Type: TypePath, Required: true, Doc: "Path on the host: the file, or a directory to copy into."},
		{Name: "remote_src", Type: TypeBool, Default: false, Doc: "src is a path on the host: copied there, never through the controller."},
		{Name: "directory_mode", Type: TypeMode, Doc: "Mode of the directories a directory copy creates (existing ones are left alone)."},
		copyParamMode, fileParamOwner, fileParamGroup, fileParamAttributes, copyParamBackup, copyParamForce, copyParamFollow, paramValidate,
	},
	Check:   CheckFull,
	Returns: copyReturns,
	Example: `- name: Install the configuration
  copy:
    src: app.conf            # files/app.conf next to the playbook
    dest: /etc/app/app.conf
    owner: root
    group: app
    mode: "0640"
    backup: true

- name: A small file from a string
  copy:
    content: "{{ motd }}\n"
    dest: /etc/motd`,
	Validate: func(a Args) error {
		switch {
		case a.Has("src") == a.Has("content"):
			return errors.New("exactly one of src or content is required")
		case a.Bool("remote_src") && !a.Has("src"):
			return errors.New("remote_src needs src")
		case a.String("mode") == "preserve" && !a.Has("src"):
			return errors.New(`mode "preserve" needs src`)
		}
		if err := checkModeSyntax(a, true); err != nil {
			return err
		}
		_, err := parseModeIf(a.String("directory_mode"))
		return err
	},
}

func parseModeIf(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	return parseMode(s, 0, true)
}

func (copyModule) Spec() *Spec { return copySpec }

func (copyModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	w, err := newCopyWriter(ctx, mc, "copy", args)
	if err != nil {
		return nil, err
	}
	dest, err := hostPath(ctx, mc, "copy", args.String("dest"))
	if err != nil {
		return nil, err
	}
	src := args.String("src")
	switch {
	case args.Has("content"):
		return w.file(ctx, bytesSource("", []byte(args.String("content")), 0o644), dest, "")
	case args.Bool("remote_src"):
		if src, err = hostPath(ctx, mc, "copy", src); err != nil {
			return nil, err
		}
		return w.fromHost(ctx, src, dest)
	}
	local, err := findLocal(mc, src, "files")
	if err != nil {
		return nil, w.fail(src, err)
	}
	if st, err := os.Stat(local); err == nil && st.IsDir() {
		dirs, files, err := localList(local)
		if err != nil {
			return nil, w.fail(local, err)
		}
		return w.tree(ctx, local, treeRoot(src, dest), dirs, files, func(f string) (copySource, error) {
			s, err := localSource(filepath.Join(local, f))
			if err != nil {
				err = w.fail(filepath.Join(local, f), err)
			}
			return s, err
		})
	}
	s, err := localSource(local)
	if err != nil {
		return nil, w.fail(local, err)
	}
	return w.file(ctx, s, dest, filepath.Base(local))
}

// fromHost copies a file or directory that is already on the host (remote_src).
func (w *copyWriter) fromHost(ctx context.Context, src, dest string) (*Result, error) {
	p, fi, err := resolveLink(ctx, w.mc, src)
	switch {
	case err != nil:
		return nil, w.fail(src, err)
	case !fi.Exists:
		return nil, w.fail(src, fmt.Errorf("%w on the host", fs.ErrNotExist))
	case !fi.IsDir():
		s, err := w.hostSource(ctx, p, fi, nil)
		if err != nil {
			return nil, err
		}
		return w.file(ctx, s, dest, path.Base(src))
	}
	dirs, files, err := w.hostList(ctx, p)
	full := make([]string, len(files))
	for i, f := range files {
		full[i] = path.Join(p, f)
	}
	var sums map[string]string
	if err == nil {
		sums, err = hostChecksums(ctx, w.mc, full) // one command for all the sources
	}
	if err != nil {
		return nil, w.fail(src, err)
	}
	return w.tree(ctx, src, treeRoot(src, dest), dirs, files, func(f string) (copySource, error) {
		fi, err := hostStat(ctx, w.mc, path.Join(p, f))
		if err != nil {
			return copySource{}, w.fail(path.Join(p, f), err)
		}
		return w.hostSource(ctx, path.Join(p, f), fi, sums)
	})
}

// treeRoot is where a directory copy of src lands: dest itself when src ends in "/".
func treeRoot(src, dest string) string {
	if strings.HasSuffix(src, "/") {
		return dest
	}
	return path.Join(dest, path.Base(src))
}

// localList lists a controller directory (following symbolic links): its
// directories, parents first, and regular files, as relative slash paths.
func localList(root string) (dirs, files []string, err error) {
	var walk func(rel string, depth int) error
	walk = func(rel string, depth int) error {
		if depth > 64 {
			return errors.New("directories nested too deep (a symbolic link loop?)")
		}
		entries, err := os.ReadDir(filepath.Join(root, rel))
		if err != nil {
			return err
		}
		for _, e := range entries {
			r := path.Join(rel, e.Name())
			st, err := os.Stat(filepath.Join(root, r))
			switch {
			case err != nil:
				return err
			case st.IsDir():
				dirs = append(dirs, r)
				err = walk(r, depth+1)
			case st.Mode().IsRegular():
				files = append(files, r)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return dirs, files, walk("", 0)
}

// hostList lists a directory on the host like localList (regular files only).
func (w *copyWriter) hostList(ctx context.Context, src string) (dirs, files []string, err error) {
	if src != "/" {
		src = strings.TrimSuffix(src, "/")
	}
	res, err := hostRun(ctx, w.mc, "listing the directory", &transport.Cmd{Args: []string{"/bin/sh", "-c",
		`find "$1" -mindepth 1 -type d -print0 && printf '\0' && find "$1" -mindepth 1 -type f -print0`, "runbook-find", src}})
	if err != nil {
		return nil, nil, err
	}
	// The directories, each ending in NUL, then a NUL: with no directory
	// the output starts with that NUL.
	d, f, _ := strings.Cut(string(res.Stdout), "\x00\x00")
	if rest, ok := strings.CutPrefix(string(res.Stdout), "\x00"); ok {
		d, f = "", rest
	}
	rel := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, "\x00") {
			if p != "" {
				out = append(out, strings.TrimPrefix(strings.TrimPrefix(p, src), "/"))
			}
		}
		sort.Strings(out)
		return out
	}
	return rel(d), rel(f), nil
}

// hostSource is a file on the host (remote_src); sums may already know its checksum.
func (w *copyWriter) hostSource(ctx context.Context, p string, fi transport.FileInfo, sums map[string]string) (copySource, error) {
	if !fi.Mode.IsRegular() {
		return copySource{}, w.fail(p, errors.New("src is not a regular file"))
	}
	sum, ok := sums[p]
	if !ok {
		var err error
		if sum, err = hostChecksum(ctx, w.mc, p); err != nil {
			return copySource{}, w.fail(p, err)
		}
	}
	return copySource{name: p, size: fi.Size, sum: sum, perm: unixPerm(fi.Mode), hostPath: p}, nil
}

// copyWriter is the one writer behind copy and template.
type copyWriter struct {
	module                  string
	mc                      *Context
	attrs                   fileAttrs
	dirMode                 string
	preserve, backup, force bool
	follow                  bool   // write through a symbolic link at dest
	validate                string // command checking each new file first (validate.go)
	res                     *Result
	changed                 []any
	sums                    map[string]string // checksums on the host, known in advance
}

func newCopyWriter(ctx context.Context, mc *Context, module string, args Args) (*copyWriter, error) {
	attrs, err := taskAttrs(ctx, mc, module, args)
	if err != nil {
		return nil, err
	}
	w := &copyWriter{module: module, mc: mc, attrs: attrs, dirMode: args.String("directory_mode"),
		backup: args.Bool("backup"), force: args.Bool("force"), follow: args.Bool("follow"), validate: args.String("validate"), res: &Result{}, changed: []any{}}
	if attrs.mode == "preserve" {
		w.preserve, w.attrs.mode = true, ""
	}
	return w, nil
}

func (w *copyWriter) fail(p string, err error) error {
	return fmt.Errorf("%s on %s: %s: %w", w.module, w.mc.Host, p, err)
}

// note records a change (and its diffs when --diff is on).
func (w *copyWriter) note(p string, d ...Diff) {
	w.res.Changed = true
	w.changed = append(w.changed, p)
	if w.mc.Diff {
		w.res.Diff = append(w.res.Diff, d...)
	}
}

// mkdir makes sure the directories exist, creating the missing ones with
// directory_mode and the task's owner.
func (w *copyWriter) mkdir(ctx context.Context, dirs ...string) error {
	missing, err := ensureDirs(ctx, w.mc, dirs, fileAttrs{mode: w.dirMode, uid: w.attrs.uid, gid: w.attrs.gid})
	if err != nil {
		return fmt.Errorf("%s on %s: %w", w.module, w.mc.Host, err)
	}
	for _, d := range missing {
		w.note(d, stateDiff(w.mc.Host, d, []string{"state: absent"}, []string{"state: directory"}))
	}
	return nil
}

// file copies one source to dest, or into dest (as base) when dest is a
// directory or ends with "/". A symbolic link at dest is written through
// only with follow; otherwise put replaces the link itself.
func (w *copyWriter) file(ctx context.Context, s copySource, dest, base string) (*Result, error) {
	target, fi, err := w.destInfo(ctx, dest)
	if err != nil {
		return nil, w.fail(dest, err)
	}
	switch {
	case fi.IsDir() || strings.HasSuffix(dest, "/"):
		if base == "" {
			return nil, w.fail(dest, errors.New("dest is a directory; content needs a file path"))
		}
		if !fi.IsDir() {
			if err := w.mkdir(ctx, dest); err != nil {
				return nil, err
			}
		}
		target = path.Join(target, base)
	default:
		dir := path.Dir(target)
		dfi, err := hostStat(ctx, w.mc, dir)
		switch {
		case err == nil && !dfi.Exists && w.mc.Check:
			// In check mode an earlier task may have made it: a file task
			// (predicted), or a package that ships it, which check mode
			// cannot know. As Ansible, predict the write; say why it
			// may still fail.
			if !w.mc.Predicted.Has(dir) {
				w.res.Msg = fmt.Sprintf("check mode: the destination directory %s does not exist yet; a real run fails unless an earlier task (a package, a file task) creates it", dir)
			}
		case err == nil && !dfi.Exists:
			err = fmt.Errorf("destination directory %s: %w", dir, fs.ErrNotExist)
		case err == nil && !dfi.IsDir():
			err = fmt.Errorf("%s is not a directory", dir)
		}
		if err != nil {
			return nil, w.fail(dest, err)
		}
	}
	o, err := w.put(ctx, s, target)
	if err != nil {
		return nil, err
	}
	d := map[string]any{"dest": o.dest, "state": "file", "size": o.size}
	for k, v := range map[string]string{"src": s.name, "checksum": o.sum, "backup_file": o.backup,
		"owner": w.attrs.owner, "group": w.attrs.group} {
		if v != "" {
			d[k] = v
		}
	}
	if o.mode != nil {
		d["mode"] = fmtMode(*o.mode)
	}
	for k, v := range map[string]int{"uid": o.uid, "gid": o.gid} {
		if v >= 0 {
			d[k] = v
		}
	}
	w.res.Data = d
	return w.res, nil
}

// destInfo describes dest: what it points to with follow; otherwise dest
// itself, where a link to a directory is refused (copying into it would
// write where the link points).
func (w *copyWriter) destInfo(ctx context.Context, dest string) (string, transport.FileInfo, error) {
	if w.follow {
		return resolveLink(ctx, w.mc, dest)
	}
	fi, err := hostStat(ctx, w.mc, dest)
	if err != nil || fi.Mode&fs.ModeSymlink == 0 {
		return dest, fi, err
	}
	if _, final, err := resolveLink(ctx, w.mc, dest); err == nil && final.IsDir() {
		return "", fi, fmt.Errorf("is a symbolic link to the directory %s; set follow: true to copy into it", fi.LinkTarget)
	}
	return dest, fi, nil
}

// tree copies a directory: its directories, then its files (paths relative
// to root), with one checksum command for all the files already there.
func (w *copyWriter) tree(ctx context.Context, src, root string, dirs, files []string, source func(string) (copySource, error)) (*Result, error) {
	all := []string{root}
	for _, d := range dirs {
		all = append(all, path.Join(root, d))
	}
	if err := w.mkdir(ctx, all...); err != nil {
		return nil, err
	}
	dests := make([]string, len(files))
	for i, f := range files {
		dests[i] = path.Join(root, f)
	}
	var err error
	if w.sums, err = hostChecksums(ctx, w.mc, dests); err != nil {
		return nil, w.fail(root, err)
	}
	for i, f := range files {
		s, err := source(f)
		if err == nil {
			_, err = w.put(ctx, s, dests[i])
		}
		if err != nil {
			return nil, err
		}
	}
	w.res.Data = map[string]any{"dest": root, "src": src, "state": "directory", "changed_files": w.changed}
	return w.res, nil
}
