package modules

// Linux file attributes (chattr/lsattr) as the file modules' attributes
// parameter asks for them: parsed once per task, read on the host with
// lsattr before anything changes, set with chattr only when they differ,
// and read back afterwards, so a file system that ignores them fails the
// task instead of passing in silence.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// fileParamAttributes is the attributes parameter of file, copy, template
// and the text modules.
var fileParamAttributes = Param{Name: "attributes", Type: TypeString, Aliases: []string{"attr"},
	Doc: `Linux file attributes as chattr takes them: "+i" adds, "-a" removes, "=ai" or "ai" sets exactly these ` +
		`(attributes chattr cannot clear, such as e on ext4, stay). Read with lsattr first, so only a real ` +
		`difference changes anything; a file system without attribute support (tmpfs for most letters, ` +
		`overlay, NFS) fails the task.`}

// flagNames are the names stat gives the attribute letters (Ansible's).
var flagNames = map[byte]string{'A': "noatime", 'a': "append", 'c': "compressed", 'C': "nocow", 'd': "nodump",
	'D': "dirsync", 'e': "extents", 'E': "encrypted", 'h': "blocksize", 'i': "immutable", 'I': "indexed",
	'j': "journalled", 'N': "inline", 's': "zero", 'S': "synchronous", 't': "notail", 'T': "blockroot",
	'u': "undelete", 'X': "compressedraw", 'Z': "compresseddirty"}

// flagSpec is a parsed attributes parameter: op is '+', '-' or '='.
type flagSpec struct {
	op      byte
	letters string
}

// settableFlags are the letters chattr takes.
const settableFlags = "aAcCdDeFijmPsStTux"

var flagsSyntax = regexp.MustCompile(`^([+=-]?)([A-Za-z]*)$`)

// parseFlags reads an attributes value; "" asks for nothing, "=" for no
// attributes at all.
func parseFlags(v string) (flagSpec, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return flagSpec{}, nil
	}
	m := flagsSyntax.FindStringSubmatch(v)
	if m == nil {
		return flagSpec{}, fmt.Errorf("attributes %q: want letters chattr takes, optionally after +, - or = (\"+i\", \"-a\", \"=ai\")", v)
	}
	for _, c := range m[2] {
		if !strings.ContainsRune(settableFlags, c) {
			return flagSpec{}, fmt.Errorf("attributes %q: %q is not an attribute chattr sets (one of %s)", v, c, settableFlags)
		}
	}
	op := byte('=')
	if m[1] != "" {
		op = m[1][0]
	}
	if m[2] == "" && op != '=' {
		return flagSpec{}, nil // "+" or "-" alone asks for nothing
	}
	return flagSpec{op: op, letters: sortFlags(m[2])}, nil
}

func (f flagSpec) asked() bool { return f.op != 0 }

// chattrArg is the argument chattr gets.
func (f flagSpec) chattrArg() string { return string(f.op) + f.letters }

// want is the set of letters a file whose letters are cur has once f is
// applied: letters chattr cannot set or clear stay as they are.
func (f flagSpec) want(cur string) string {
	var out []byte
	for _, c := range []byte(cur) {
		keep := !strings.ContainsRune(settableFlags, rune(c)) || c == 'e' // e cannot be cleared
		switch f.op {
		case '+', '-':
			keep = keep || !strings.ContainsRune(f.letters, rune(c))
		}
		if keep {
			out = append(out, c)
		}
	}
	if f.op != '-' {
		out = append(out, f.letters...)
	}
	return sortFlags(string(out))
}

// sortFlags puts letters in one order, without repeats, so sets compare.
func sortFlags(s string) string {
	b := []byte(s)
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	out := b[:0]
	for i, c := range b {
		if i == 0 || c != b[i-1] {
			out = append(out, c)
		}
	}
	return string(out)
}

// lsattrScript prints, for each path given, a line with its attribute
// letters as lsattr shows them (dashes and all), or "!" and lsattr's
// complaint; one line per path, in order.
const lsattrScript = `export LC_ALL=C
command -v lsattr >/dev/null 2>&1 || { echo "lsattr is not installed (e2fsprogs)" >&2; exit 4; }
for p; do
  if o=$(lsattr -d -- "$p" 2>&1); then printf '%s\n' "${o%% *}"; else printf '!%s\n' "$o" | tr '\n' ' '; echo; fi
done`

// readFlags reads the attribute letters of paths on the host (as the
// become user), in one command; the letters come back sorted. A path whose
// file system keeps no attributes is an error naming it.
func readFlags(ctx context.Context, mc *Context, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	res, err := hostRun(ctx, mc, "reading attributes with lsattr", &transport.Cmd{
		Args:  []string{"xargs", "-0", "/bin/sh", "-c", lsattrScript, "runbook-lsattr"},
		Stdin: strings.NewReader(strings.Join(paths, "\x00"))})
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(res.Stdout), "\n"), "\n")
	if len(lines) != len(paths) {
		return nil, fmt.Errorf("reading attributes with lsattr: unexpected output %q", textFirstLine(res.Stdout))
	}
	out := make([]string, len(paths))
	for i, l := range lines {
		if msg, bad := strings.CutPrefix(l, "!"); bad {
			return nil, flagsUnsupported(paths[i], strings.TrimSpace(msg))
		}
		out[i] = sortFlags(strings.ReplaceAll(l, "-", ""))
	}
	return out, nil
}

// errNoAttributes marks a path whose file system does not keep the
// attributes asked for.
var errNoAttributes = errors.New("file attributes not supported")

func flagsUnsupported(p, detail string) error {
	return fmt.Errorf("%w on the file system of %s (%s); leave attributes out for paths on tmpfs, overlay or NFS", errNoAttributes, p, detail)
}

// planFlags fills in the plans' attribute letters now and as f asks,
// reading them from the host in one command; a symbolic link (which has
// none) is left alone, and so is a FIFO, socket or device when
// skipSpecial (recurse), else it is an error, as lsattr cannot read it.
func planFlags(ctx context.Context, mc *Context, f flagSpec, pls []*attrPlan, skipSpecial bool) error {
	var paths []string
	var todo []*attrPlan
	for _, pl := range pls {
		switch {
		case !f.asked() || pl.link || pl.special && skipSpecial:
		case pl.special:
			return fmt.Errorf("%s is a FIFO, socket or device: attributes apply to files and directories", pl.path)
		default:
			paths, todo = append(paths, pl.path), append(todo, pl)
		}
	}
	cur, err := readFlags(ctx, mc, paths)
	if err != nil {
		return err
	}
	for i, pl := range todo {
		pl.oldFlags, pl.newFlags, pl.flagArg = cur[i], f.want(cur[i]), f.chattrArg()
	}
	return nil
}

// applyFlags runs chattr on the plans whose attributes change, then reads
// them back: a file system that took chattr's word without keeping the
// attributes (or refused them) fails here, naming the path.
func applyFlags(ctx context.Context, mc *Context, plans []attrPlan) error {
	byArg := map[string][]string{}
	var changed []attrPlan
	for _, p := range plans {
		if p.flagsChanged() {
			byArg[p.flagArg] = append(byArg[p.flagArg], p.path)
			changed = append(changed, p)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	args := make([]string, 0, len(byArg))
	for a := range byArg {
		args = append(args, a)
	}
	sort.Strings(args)
	for _, a := range args {
		paths := byArg[a]
		res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"xargs", "-0", "chattr", a, "--"},
			Stdin: strings.NewReader(strings.Join(paths, "\x00")), Become: mc.Become})
		if err != nil {
			return fmt.Errorf("chattr %s: %w", a, err)
		}
		if res.ExitCode != 0 {
			msg := textStderr(res)
			if strings.Contains(msg, "Operation not supported") || strings.Contains(msg, "Inappropriate ioctl") {
				return flagsUnsupported(strings.Join(paths, ", "), "chattr "+a+": "+msg)
			}
			return fmt.Errorf("chattr %s %s: %w", a, strings.Join(paths, " "), exitError(res))
		}
	}
	paths := make([]string, len(changed))
	for i, p := range changed {
		paths[i] = p.path
	}
	now, err := readFlags(ctx, mc, paths)
	if err != nil {
		return err
	}
	for i, p := range changed {
		if now[i] != p.newFlags {
			return flagsUnsupported(p.path, fmt.Sprintf("chattr %s left attributes %q, not %q", p.flagArg, now[i], p.newFlags))
		}
	}
	return nil
}

// setFlagsOn gives p, a file this task just wrote (a new inode, which
// took none of the old file's attributes), the attributes f asks.
func setFlagsOn(ctx context.Context, mc *Context, f flagSpec, p string) error {
	if !f.asked() || mc.Check {
		return nil
	}
	pl := attrPlan{path: p}
	if err := planFlags(ctx, mc, f, []*attrPlan{&pl}, false); err != nil {
		return err
	}
	return applyFlags(ctx, mc, []attrPlan{pl})
}
