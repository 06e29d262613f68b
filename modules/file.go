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

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(fileModule{}) }

type fileModule struct{}

var fileSpec = &Spec{
	Name:  "file",
	Short: "Manage files, directories and links, and their mode and owner",
	Doc: "Makes path a file, directory, symbolic or hard link, or absent, and sets its mode and owner. " +
		"Without state, an existing path keeps its type and a missing one is a file (which must exist), " +
		"or a directory with recurse, or a link with src. touch creates an empty file or updates the times " +
		"of an existing path: to now by default, which always reports changed; with access_time and " +
		"modification_time given (or preserve) only a difference does. Everything else changes only what differs, " +
		"attributes (chattr) included. " +
		"Check mode predicts exactly; --diff shows the state and attribute changes.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest", "name"}, Doc: "The path on the host."},
		{Name: "state", Type: TypeString, Choices: []string{"file", "directory", "absent", "touch", "link", "hard"},
			Doc: "file: must exist, only its mode/owner are set; directory: created with its parents; absent: removed " +
				"(recursively); touch: created empty or its times updated; link/hard: a symbolic/hard link to src."},
		{Name: "src", Type: TypePath, Doc: "Link target (state link or hard). A relative src is relative to the link's directory."},
		fileParamMode, fileParamOwner, fileParamGroup, fileParamAttributes,
		{Name: "recurse", Type: TypeBool, Default: false, Doc: "With state directory: apply mode and owner to everything inside, too (symbolic modes such as u=rwX suit this)."},
		{Name: "force", Type: TypeBool, Default: false, Doc: "link/hard: replace an existing file (or empty directory) and allow a symbolic link to a missing src."},
		{Name: "follow", Type: TypeBool, Default: true, Doc: "When path is a symbolic link and state is file, directory or touch, act on what it points to."},
		fileTimeParams[0], fileTimeParams[1], fileTimeParams[2], fileTimeParams[3],
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "path", Type: TypePath, Doc: "The path."},
		{Name: "state", Type: TypeString, Doc: "The state the path is (or would be) in."},
		{Name: "mode", Type: TypeString, Doc: "Permissions afterwards, such as \"0755\"."},
		{Name: "uid", Type: TypeInt, Doc: "Owner afterwards (unknown for a path a check run would create)."},
		{Name: "gid", Type: TypeInt, Doc: "Group afterwards."},
		{Name: "size", Type: TypeInt, Doc: "Size in bytes."},
		{Name: "src", Type: TypePath, Doc: "The link target (link and hard)."},
	},
	Example: `- file:
    path: /srv/app/releases
    state: directory
    owner: app
    group: app
    mode: "0750"

- file:
    path: /srv/app/current
    src: releases/42
    state: link`,
	Validate: func(a Args) error {
		st := a.String("state")
		switch {
		case a.Bool("recurse") && st != "directory" && st != "":
			return errors.New("recurse needs state directory")
		case (st == "link" || st == "hard") && a.String("src") == "":
			return fmt.Errorf("state %s needs src", st)
		}
		return checkModeSyntax(a, false)
	},
}

func (fileModule) Spec() *Spec { return fileSpec }

// fileRun is one file task on one host.
type fileRun struct {
	mc    *Context
	path  string
	attrs fileAttrs
	times fileTimes // filetimes.go
	res   *Result
}

func (f *fileRun) fail(err error) error {
	return fmt.Errorf("file on %s: %s: %w", f.mc.Host, f.path, err)
}

func (f *fileRun) change(d ...Diff) {
	f.res.Changed = true
	if f.mc.Diff {
		f.res.Diff = append(f.res.Diff, d...)
	}
}

func (f *fileRun) stateDiff(before, after string, extra ...string) Diff {
	return stateDiff(f.mc.Host, f.path, []string{"state: " + before}, append([]string{"state: " + after}, extra...))
}

// kind names the state a path is in.
func kind(fi transport.FileInfo) string {
	switch {
	case !fi.Exists:
		return "absent"
	case fi.IsDir():
		return "directory"
	case fi.Mode&fs.ModeSymlink != 0:
		return "link"
	}
	return "file"
}

func (fileModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	p, err := hostPath(ctx, mc, "file", args.String("path"))
	if err != nil {
		return nil, err
	}
	f := &fileRun{mc: mc, path: p, res: &Result{}}
	if f.attrs, err = taskAttrs(ctx, mc, "file", args); err != nil {
		return nil, err
	}
	fi, err := hostStat(ctx, mc, f.path)
	if err != nil {
		return nil, f.fail(err)
	}
	state := args.String("state")
	switch {
	case state != "":
	case fi.Exists:
		state = kind(fi)
	case args.Bool("recurse"):
		state = "directory"
	case args.String("src") != "":
		state = "link"
	default:
		state = "file"
	}
	if f.times, err = taskTimes(args, state); err != nil {
		return nil, err
	}
	target := f.path
	if args.Bool("follow") && kind(fi) == "link" && (state == "file" || state == "directory" || state == "touch") {
		if target, fi, err = resolveLink(ctx, mc, f.path); err != nil {
			return nil, f.fail(err)
		}
	}
	switch state {
	case "absent":
		fi, err = f.absent(ctx, fi)
	case "directory":
		fi, err = f.directory(ctx, target, fi, args.Bool("recurse"))
	case "file":
		if !fi.Exists || fi.IsDir() {
			what := map[bool]string{true: "absent", false: "a directory"}[!fi.Exists]
			return nil, f.fail(fmt.Errorf("file is %s, cannot continue (state file only sets mode and owner; touch or copy creates files)", what))
		}
		fi, err = f.attrsOn(ctx, target, fi, false)
	case "touch":
		fi, err = f.touch(ctx, target, fi)
	default:
		var src string
		if src, err = hostPath(ctx, mc, "file", args.String("src")); err == nil {
			fi, err = f.link(ctx, fi, state, src, args.Bool("force"))
		}
	}
	if err != nil {
		return nil, f.fail(err)
	}
	d := map[string]any{"path": f.path, "state": state}
	if fi.Exists {
		d["mode"], d["size"] = fmtMode(unixPerm(fi.Mode)), fi.Size
		if fi.UID >= 0 {
			d["uid"] = fi.UID
		}
		if fi.GID >= 0 {
			d["gid"] = fi.GID
		}
	}
	if state == "link" || state == "hard" {
		d["src"] = args.String("src")
	}
	f.res.Data = d
	return f.res, nil
}

// attrsOn sets the task's mode and owner on p and returns what p then is.
// fresh marks a path this task just created (or would): its attributes are
// part of that change, not a change of their own.
func (f *fileRun) attrsOn(ctx context.Context, p string, fi transport.FileInfo, fresh bool) (transport.FileInfo, error) {
	pl, err := f.attrs.plan(p, fi)
	if err != nil {
		return fi, err
	}
	predicted := fresh && f.mc.Check // a path check mode would create: nothing on the host to read
	if !predicted {
		if err := planFlags(ctx, f.mc, f.attrs.flags, []*attrPlan{&pl}, false); err != nil {
			return fi, err
		}
	}
	if pl.changed() {
		if !fresh {
			f.change(pl.diff(f.mc.Host))
		}
		if err := applyPlans(ctx, f.mc, []attrPlan{pl}); err != nil { // nothing in check mode
			return fi, err
		}
		fi.Mode = fi.Mode&^modeBits | goMode(pl.newMode)
		fi.UID, fi.GID = pl.newUID, pl.newGID
	}
	if predicted {
		return fi, nil
	}
	return fi, f.setTimes(ctx, p, []string{p}, fresh)
}

// setTimes gives paths (root or under root) the times the task asks, with
// one diff for them all; a fresh path's new times are part of its creation.
func (f *fileRun) setTimes(ctx context.Context, root string, paths []string, fresh bool) error {
	changes, err := planTimes(ctx, f.mc, f.times, paths)
	if err != nil || len(changes) == 0 {
		return err
	}
	if !fresh {
		var before, after strings.Builder
		for i, c := range changes {
			if i == 100 {
				fmt.Fprintf(&after, "... and %d more\n", len(changes)-100)
				break
			}
			prefix := ""
			if c.path != root {
				prefix = c.path + ": "
			}
			c.diffLines(prefix, &before, &after)
		}
		f.change(pathDiff(f.mc.Host, root, "times", before.String(), after.String()))
	}
	return applyTimes(ctx, f.mc, changes)
}

// restat describes p after a real change; in check mode it returns the
// prediction: a new path of the given type, with an unknown owner.
func (f *fileRun) restat(ctx context.Context, p string, predicted fs.FileMode) (transport.FileInfo, error) {
	if f.mc.Check {
		f.mc.Predicted.Add(p) // later check-mode tasks may write into it
		return transport.FileInfo{Path: p, Exists: true, Mode: predicted, UID: -1, GID: -1}, nil
	}
	return hostStat(ctx, f.mc, p)
}

func (f *fileRun) absent(ctx context.Context, fi transport.FileInfo) (transport.FileInfo, error) {
	if !fi.Exists {
		return fi, nil
	}
	if path.Clean(f.path) == "/" {
		return fi, errors.New("refusing to remove /")
	}
	f.change(f.stateDiff(kind(fi), "absent"))
	if !f.mc.Check {
		if _, err := hostRun(ctx, f.mc, "removing", &transport.Cmd{Args: []string{"rm", "-rf", "--", f.path}}); err != nil {
			return fi, err
		}
	}
	return transport.FileInfo{Path: f.path}, nil
}

func (f *fileRun) directory(ctx context.Context, p string, fi transport.FileInfo, recurse bool) (transport.FileInfo, error) {
	if fi.Exists && !fi.IsDir() {
		return fi, fmt.Errorf("exists as a %s, not a directory", kind(fi))
	}
	var err error
	if !fi.Exists {
		f.change(f.stateDiff("absent", "directory"))
		if _, err = ensureDirs(ctx, f.mc, []string{p}, f.attrs); err != nil {
			return fi, err
		}
		if fi, err = f.restat(ctx, p, fs.ModeDir|0o755); err == nil {
			fi, err = f.attrsOn(ctx, p, fi, true)
		}
		if err != nil || f.mc.Check {
			return fi, err
		}
	} else if fi, err = f.attrsOn(ctx, p, fi, false); err != nil {
		return fi, err
	}
	if recurse {
		err = f.recurse(ctx, p)
	}
	return fi, err
}

// touch creates an empty file, or gives an existing path (a directory too,
// as in Ansible) the times asked: by default now, which always changes.
func (f *fileRun) touch(ctx context.Context, p string, fi transport.FileInfo) (transport.FileInfo, error) {
	fresh := !fi.Exists
	if fresh {
		f.change(f.stateDiff("absent", "touch"))
		if !f.mc.Check {
			if _, err := hostRun(ctx, f.mc, "touching", &transport.Cmd{Args: []string{"touch", "--", p}}); err != nil {
				return fi, err
			}
		}
		var err error
		if fi, err = f.restat(ctx, p, 0o644); err != nil {
			return fi, err
		}
	}
	fi, err := f.attrsOn(ctx, p, fi, fresh)
	if err != nil && fresh && !f.mc.Check {
		// As Ansible does: a file this task created goes when setting its attributes fails.
		_, _ = hostRun(ctx, f.mc, "", &transport.Cmd{Args: []string{"rm", "-f", "--", p}})
	}
	return fi, err
}

// link makes path a symbolic (state link) or hard link to src.
func (f *fileRun) link(ctx context.Context, fi transport.FileInfo, state, src string, force bool) (transport.FileInfo, error) {
	abs := src
	if !path.IsAbs(src) {
		abs = path.Join(path.Dir(f.path), src)
	}
	sfi, err := hostStat(ctx, f.mc, abs)
	switch {
	case err != nil:
		return fi, fmt.Errorf("src %s: %w", abs, err)
	case !sfi.Exists && (state == "hard" || !force):
		return fi, fmt.Errorf("src %s: %w (force: true links to a missing path)", abs, fs.ErrNotExist)
	case state == "hard" && sfi.IsDir():
		return fi, fmt.Errorf("src %s is a directory; hard links need a file", abs)
	}
	same := state == "link" && kind(fi) == "link" && fi.LinkTarget == src
	if state == "hard" && fi.Exists {
		res, err := f.mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"test", f.path, "-ef", abs}, Become: f.mc.Become})
		if err != nil {
			return fi, err
		}
		same = res.ExitCode == 0
	}
	if same {
		return f.attrsOn(ctx, f.path, fi, false)
	}
	switch k := kind(fi); {
	case k == "directory" && (!force || state == "hard"):
		return fi, errors.New("refusing to replace a directory with a link (force: true replaces an empty one with a symbolic link)")
	case k == "file" && !force, k == "link" && state == "hard" && !force:
		return fi, fmt.Errorf("refusing to replace an existing %s with a link (force: true replaces it)", k)
	}
	before := []string{"state: " + kind(fi)}
	if kind(fi) == "link" {
		before = append(before, "src: "+fi.LinkTarget)
	}
	f.change(stateDiff(f.mc.Host, f.path, before, []string{"state: " + state, "src: " + src}))
	argv := []string{"ln", "-fn", "--", abs, f.path}
	if state == "link" {
		argv = []string{"ln", "-sfn", "--", src, f.path}
	}
	if !f.mc.Check {
		if kind(fi) == "directory" { // force: an empty directory gives way
			if _, err := hostRun(ctx, f.mc, "removing the directory", &transport.Cmd{Args: []string{"rmdir", "--", f.path}}); err != nil {
				return fi, err
			}
		}
		if _, err := hostRun(ctx, f.mc, "linking", &transport.Cmd{Args: argv}); err != nil {
			return fi, err
		}
	}
	predicted := fs.ModeSymlink | 0o777
	if state == "hard" {
		predicted = sfi.Mode
	}
	if fi, err = f.restat(ctx, f.path, predicted); err != nil {
		return fi, err
	}
	return f.attrsOn(ctx, f.path, fi, true)
}

var statLine = regexp.MustCompile(`^([0-9a-f]+) (\d+) (\d+) (.*)$`)

// recurse applies the task's mode and owner to everything under root, in
// one listing and one chown/chmod per distinct value.
func (f *fileRun) recurse(ctx context.Context, root string) error {
	res, err := hostRun(ctx, f.mc, "listing the directory", &transport.Cmd{Args: []string{
		"find", root, "-mindepth", "1", "-exec", "stat", "-c", "%f %u %g %n", "--", "{}", "+"}})
	if err != nil {
		return err
	}
	type entry struct {
		raw      uint64
		uid, gid int
		name     string
	}
	var entries []entry
	prefix := strings.TrimSuffix(root, "/") + "/"
	for _, line := range strings.Split(strings.TrimSuffix(string(res.Stdout), "\n"), "\n") {
		m := statLine.FindStringSubmatch(line)
		if m == nil || !strings.HasPrefix(m[4], prefix) {
			if len(entries) > 0 { // a newline in a file name
				entries[len(entries)-1].name += "\n" + line
			}
			continue
		}
		e := entry{name: m[4]}
		e.raw, _ = strconv.ParseUint(m[1], 16, 32)
		e.uid, _ = strconv.Atoi(m[2])
		e.gid, _ = strconv.Atoi(m[3])
		entries = append(entries, e)
	}
	all := make([]attrPlan, len(entries))
	ptrs := make([]*attrPlan, len(entries))
	for i, e := range entries {
		fi := transport.FileInfo{Path: e.name, Exists: true, Mode: transport.RawMode(uint32(e.raw)), UID: e.uid, GID: e.gid}
		if all[i], err = f.attrs.plan(e.name, fi); err != nil {
			return err
		}
		ptrs[i] = &all[i]
	}
	if err := planFlags(ctx, f.mc, f.attrs.flags, ptrs, true); err != nil { // one lsattr command for them all
		return err
	}
	var plans []attrPlan
	var before, after strings.Builder
	for _, pl := range all {
		if pl.changed() {
			plans = append(plans, pl)
			if len(plans) <= 100 {
				fmt.Fprintf(&before, "%s: %s\n", pl.path, pl.summary(false))
				fmt.Fprintf(&after, "%s: %s\n", pl.path, pl.summary(true))
			}
		}
	}
	if len(plans) > 100 {
		fmt.Fprintf(&after, "... and %d more\n", len(plans)-100)
	}
	if len(plans) > 0 {
		f.change(pathDiff(f.mc.Host, root, "recursive attributes", before.String(), after.String()))
		if err := applyPlans(ctx, f.mc, plans); err != nil {
			return err
		}
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.name
	}
	return f.setTimes(ctx, root, names, false)
}
