package modules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(unarchiveModule{}) }

type unarchiveModule struct{}

var unarchiveSpec = &Spec{
	Name:  "unarchive",
	Short: "Unpack a tar or zip archive into a directory on the host",
	Doc: "Unpacks an archive into dest, an existing directory on the host. The archive is read on the controller: " +
		"src on the controller (next to the playbook or in its files/), on the host with remote_src (read through " +
		"the connection), or a URL, which the controller downloads as get_url does (so an offline host needs no " +
		"route to it; from: host dials from the host). Formats are found by content: tar (plain, gzip, bzip2, xz, " +
		"zstd) and zip. Every member is checked before anything is written: a name that is absolute or holds " +
		"\"..\", a symbolic link pointing outside dest, a member written through a symbolic link of the archive, " +
		"or through a directory on the host that leads outside dest, fails the task with nothing extracted. " +
		"Each member is compared with what is under dest (type, size, mtime to the second, permissions unless " +
		"mode is given, a link's target), as Ansible's tar --diff does; only the members that differ are sent, as " +
		"one tar stream, to the host's tar (tar -x, --no-same-owner, permissions kept), so the task is changed only " +
		"when something is extracted or mode/owner/group change. Then mode/owner/group are applied to every member " +
		"and top directory. Owners recorded in the archive are not restored (Ansible's tar restores them when run " +
		"as root). Check mode predicts exactly (Ansible skips tar archives in check mode); --diff lists the members " +
		"that would be extracted.",
	Params: append([]Param{
		{Name: "src", Type: TypeString, Required: true,
			Doc: "The archive: a controller path (relative: next to the playbook, then in files/), a path on the host with remote_src, or an http(s) URL."},
		{Name: "dest", Type: TypePath, Required: true, Doc: "The directory on the host to unpack into; it must exist."},
		{Name: "remote_src", Type: TypeBool, Default: false, Doc: "src is a path on the host."},
		{Name: "copy", Type: TypeBool, Default: true, Doc: "Ansible's older spelling: copy: false is remote_src: true."},
		{Name: "creates", Type: TypePath, Doc: "A path on the host; when it exists the task is skipped."},
		{Name: "list_files", Type: TypeBool, Default: false, Doc: "Return the archive's member names (after extra_opts' --strip-components) as files."},
		{Name: "exclude", Type: TypeList, Doc: "Shell patterns (fnmatch: * matches / too) of members not to extract; a pattern also matches a name's trailing part and excludes a directory's contents."},
		{Name: "include", Type: TypeList, Doc: "Shell patterns of the only members to extract (a matching directory brings its contents). Not with exclude."},
		{Name: "extra_opts", Type: TypeList,
			Doc: "tar options: --strip-components=N (or --strip-components N), --exclude=PATTERN, --no-same-owner; others are refused, since runbook reads the archive itself."},
		{Name: "keep_newer", Type: TypeBool, Default: false, Doc: "Leave a file alone when the one under dest is newer than the archive's."},
		{Name: "mode", Type: TypeMode, Doc: fileParamMode.Doc + " Applied to every member and top directory (use X for directories: \"u=rwX,go=rX\")."},
		fileParamOwner, fileParamGroup,
	}, dlParams...),
	Check: CheckFull,
	Returns: []Return{
		{Name: "dest", Type: TypePath, Doc: "The directory unpacked into."},
		{Name: "src", Type: TypeString, Doc: "The archive (a URL without its password)."},
		{Name: "handler", Type: TypeString, Doc: "The archive's kind as Ansible names it: TgzArchive, TarArchive, TarBzipArchive, TarXzArchive, TarZstdArchive, ZipArchive."},
		{Name: "files", Type: TypeList, Doc: "With list_files: the member names (directories end with /)."},
		{Name: "extracted", Type: TypeList, Doc: "The members extracted (or, in check mode, that would be)."},
	},
	Example: `- name: Unpack a release shipped with the playbook
  unarchive:
    src: tool-1.4.2-linux-amd64.tar.gz   # files/ next to the playbook
    dest: /opt/tool
    extra_opts: [--strip-components=1]
    mode: "u=rwX,go=rX"

- name: Unpack an archive already on the host
  unarchive:
    src: /var/tmp/images.zip
    dest: /var/lib/images
    remote_src: true
    creates: /var/lib/images/manifest.json`,
	Validate: func(a Args) error {
		if a.Has("include") && a.Has("exclude") {
			return errors.New("include and exclude are mutually exclusive")
		}
		if strings.Contains(a.String("src"), "://") {
			if err := dlCheckURL("src", a.String("src")); err != nil {
				return err
			}
		}
		if _, _, err := arExtraOpts(a.StringList("extra_opts")); err != nil {
			return err
		}
		for _, p := range append(a.StringList("include"), a.StringList("exclude")...) {
			if _, err := fnmatchRE(p); err != nil {
				return fmt.Errorf("pattern %q: %w", p, err)
			}
		}
		return checkModeSyntax(a, false)
	},
}

func (unarchiveModule) Spec() *Spec { return unarchiveSpec }

var arStripOpt = regexp.MustCompile(`^--strip(?:-components)?(?:=(\d+))?$`)

// arExtraOpts reads the tar options runbook honours itself.
func arExtraOpts(opts []string) (strip int, excludes []string, err error) {
	for i := 0; i < len(opts); i++ {
		o := opts[i]
		switch m := arStripOpt.FindStringSubmatch(o); {
		case m != nil:
			n := m[1]
			if n == "" && i+1 < len(opts) {
				i, n = i+1, opts[i+1]
			}
			if strip, err = strconv.Atoi(n); err != nil || strip < 0 {
				return 0, nil, fmt.Errorf("extra_opts: %s needs a number", o)
			}
		case strings.HasPrefix(o, "--exclude="):
			excludes = append(excludes, strings.TrimPrefix(o, "--exclude="))
		case o == "--no-same-owner" || o == "-o":
		default:
			return 0, nil, fmt.Errorf("extra_opts: %q is not supported (runbook reads the archive itself and honours "+
				"--strip-components=N, --exclude=PATTERN and --no-same-owner; use include/exclude for the rest)", o)
		}
	}
	return strip, excludes, nil
}

// unarchiver is one unarchive task on one host.
type unarchiver struct {
	mc        *Context
	args      Args
	src, dest string
	attrs     fileAttrs
}

func (u *unarchiver) fail(err error) error {
	return fmt.Errorf("unarchive on %s: %s: %w", u.mc.Host, u.src, err)
}

func (unarchiveModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	u := &unarchiver{mc: mc, args: args, src: uriRedact(args.String("src"))}
	if c := args.String("creates"); c != "" {
		p, err := hostPath(ctx, mc, "unarchive", c)
		if err != nil {
			return nil, err
		}
		if fi, err := hostStat(ctx, mc, p); err != nil {
			return nil, u.fail(err)
		} else if fi.Exists {
			return &Result{Skipped: true, Msg: "skipped, since " + p + " exists"}, nil
		}
	}
	var err error
	if u.dest, err = hostPath(ctx, mc, "unarchive", args.String("dest")); err != nil {
		return nil, err
	}
	fi, err := hostStat(ctx, mc, u.dest)
	predicted := mc.Check && !fi.Exists && mc.Predicted.Has(u.dest)
	switch {
	case err != nil:
		return nil, u.fail(err)
	case !predicted && (!fi.Exists || (!fi.IsDir() && fi.Mode&fs.ModeSymlink == 0)):
		return nil, u.fail(fmt.Errorf("destination '%s' is not a directory", u.dest))
	}
	if u.attrs, err = taskAttrs(ctx, mc, "unarchive", args); err != nil {
		return nil, err
	}
	local, cleanup, err := u.fetch(ctx)
	if err != nil {
		return nil, u.fail(err)
	}
	defer cleanup()
	strip, moreExcl, _ := arExtraOpts(args.StringList("extra_opts"))
	ar, err := arOpen(local, strip, u.dest)
	if err != nil {
		return nil, u.fail(err)
	}
	members, err := arSelect(ar.members, args.StringList("include"), append(args.StringList("exclude"), moreExcl...))
	if err != nil {
		return nil, u.fail(err)
	}
	data := map[string]any{"dest": u.dest, "src": u.src, "handler": ar.handler}
	if args.Bool("list_files") {
		files := []any{}
		for _, m := range members {
			if m.kind == 'd' {
				files = append(files, m.name+"/")
			} else {
				files = append(files, m.name)
			}
		}
		data["files"] = files
	}
	res := &Result{Data: data}
	var host map[string]arHostEnt
	if !predicted {
		if host, err = u.probe(ctx, members); err != nil {
			return nil, u.fail(err)
		}
	}
	pick, extracted := map[int]bool{}, []any{}
	for _, m := range u.toExtract(members, host) {
		pick[m.index] = true
		extracted = append(extracted, m.name)
	}
	data["extracted"] = extracted
	res.Changed = len(extracted) > 0
	if res.Changed && mc.Diff {
		res.Diff = append(res.Diff, u.diff(extracted))
	}
	if res.Changed && !mc.Check {
		if err := u.extract(ctx, ar, pick); err != nil {
			return nil, u.fail(err)
		}
	}
	if !predicted {
		if err := u.applyAttrs(ctx, members, pick, res); err != nil {
			return nil, u.fail(err)
		}
	}
	res.Msg = fmt.Sprintf("%d of %d members extracted", len(extracted), len(members))
	if mc.Check {
		res.Msg = fmt.Sprintf("%d of %d members would be extracted", len(extracted), len(members))
	}
	return res, nil
}

// fetch makes the archive a controller file: src itself, a download, or a
// copy of the host's file; cleanup removes what fetch made.
func (u *unarchiver) fetch(ctx context.Context) (string, func(), error) {
	src, none := u.args.String("src"), func() {}
	switch {
	case strings.Contains(src, "://"):
		req, err := dlRequest(u.mc, u.args, src)
		if err != nil {
			return "", none, err
		}
		dl, err := dlFetch(ctx, u.mc, req, dlOptions{label: "unarchive " + path.Base(src)})
		if err != nil {
			return "", none, err
		}
		if dl.file == "" {
			return "", none, fmt.Errorf("failed to download: HTTP Error %d: %s", dl.status, dl.reason)
		}
		return dl.file, func() { os.Remove(dl.file) }, nil
	case u.args.Bool("remote_src") || !u.args.Bool("copy"):
		p, err := hostPath(ctx, u.mc, "unarchive", src)
		if err != nil {
			return "", none, err
		}
		f, err := os.CreateTemp("", ".runbook-unarchive-")
		if err != nil {
			return "", none, err
		}
		cleanup := func() { f.Close(); os.Remove(f.Name()) }
		if err := hostRead(ctx, u.mc, p, f); err != nil {
			cleanup()
			return "", none, fmt.Errorf("reading the archive from the host: %w", err)
		}
		return f.Name(), cleanup, f.Close()
	}
	p, err := findLocal(u.mc, src, "files")
	if err != nil {
		return "", none, err
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return "", none, fmt.Errorf("%s is a directory, not an archive", filepath.Clean(p))
	}
	return p, none, nil
}

// arSelect applies include and exclude patterns (fnmatch, as Ansible
// filters its member list).
func arSelect(members []*arMember, include, exclude []string) ([]*arMember, error) {
	compile := func(pats []string) ([]*regexp.Regexp, error) {
		var out []*regexp.Regexp
		for _, p := range pats {
			re, err := fnmatchRE(strings.TrimRight(p, "/"))
			if err != nil {
				return nil, err
			}
			out = append(out, re)
		}
		return out, nil
	}
	inc, err := compile(include)
	if err != nil {
		return nil, err
	}
	exc, err := compile(exclude)
	if err != nil {
		return nil, err
	}
	// matches: the name or one of its parent directories; trailing too
	// also tries each part after a "/" (GNU tar's unanchored exclude).
	matches := func(res []*regexp.Regexp, name string, trailing bool) bool {
		for p := name; p != "."; p = path.Dir(p) {
			for _, re := range res {
				if re.MatchString(p) {
					return true
				}
				for i := 0; trailing && i < len(p); i++ {
					if p[i] == '/' && re.MatchString(p[i+1:]) {
						return true
					}
				}
			}
		}
		return false
	}
	var out []*arMember
	for _, m := range members {
		// Patterns match the name as extracted or as stored (GNU tar
		// matches --exclude before --strip-components).
		in := len(inc) == 0 || matches(inc, m.name, false) || matches(inc, m.orig, false)
		if !in || matches(exc, m.name, true) || matches(exc, m.orig, true) {
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, errors.New("no member of the archive is left to extract (check include/exclude)")
	}
	return out, nil
}

// diff lists the members extracted, at most 200.
func (u *unarchiver) diff(extracted []any) Diff {
	var b strings.Builder
	for i, e := range extracted {
		if i == 200 {
			fmt.Fprintf(&b, "… and %d more\n", len(extracted)-200)
			break
		}
		fmt.Fprintf(&b, "%s\n", e)
	}
	return Diff{BeforeHeader: diffHeader(u.mc.Host, u.dest, "before"), AfterHeader: diffHeader(u.mc.Host, u.dest, "unarchive "+u.src),
		After: b.String()}
}

// arExtractScript extracts the tar stream on stdin into $1: permissions as
// recorded, owners not restored, an existing symbolic link or file at a
// member's path replaced (GNU tar's default unlinks, never follows).
const arExtractScript = `command -v tar >/dev/null 2>&1 || { echo "tar is not installed on the host" >&2; exit 127; }
exec tar -x -p --no-same-owner -f - -C "$1"`

// extract sends the picked members to the host's tar.
func (u *unarchiver) extract(ctx context.Context, ar *arArchive, pick map[int]bool) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := ar.stream(pw, pick)
		pw.CloseWithError(err)
		done <- err
	}()
	_, err := hostRun(ctx, u.mc, "extracting", &transport.Cmd{Args: []string{"/bin/sh", "-c", arExtractScript, "runbook-unarchive", u.dest},
		Stdin: pr})
	pr.CloseWithError(errors.New("extraction ended"))
	if serr := <-done; serr != nil && err == nil {
		err = fmt.Errorf("reading the archive: %w", serr)
	}
	return err
}
