package modules

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(statModule{}) }

type statModule struct{}

var statSpec = &Spec{
	Name:  "stat",
	Short: "Describe a path on the host",
	Doc: "Returns facts about a path on the host in the stat dictionary: whether it exists, its type, size, mode, " +
		"owner, modification time, link target, and the SHA-256 of a regular file (computed on the host). " +
		"Never changes anything.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest", "name"}, Doc: "The path on the host."},
		{Name: "follow", Type: TypeBool, Default: false, Doc: "Describe what a symbolic link points to instead of the link."},
		{Name: "get_checksum", Type: TypeBool, Default: true, Doc: "Compute the SHA-256 of a regular file."},
		{Name: "checksum_algorithm", Type: TypeString, Default: "sha256", Choices: []string{"sha256"},
			Aliases: []string{"checksum", "checksum_algo"}, Doc: "Only sha256 is supported."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "stat", Type: TypeMap, Doc: "exists; when it exists also path, size, mode (\"0644\"), isdir, isreg, islnk, " +
			"lnk_target (links), uid, gid, mtime (seconds since the epoch), and checksum and sha256 (both the hex SHA-256 of a readable regular file, computed on the host)."},
	},
	Example: `- stat:
    path: /etc/app/app.conf
  register: conf

- debug:
    msg: "{{ conf.stat.checksum }}"
  when: conf.stat.exists`,
}

func (statModule) Spec() *Spec { return statSpec }

func (statModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	p, err := hostPath(ctx, mc, "stat", args.String("path"))
	if err != nil {
		return nil, err
	}
	target, fi := p, transport.FileInfo{}
	if args.Bool("follow") {
		target, fi, err = resolveLink(ctx, mc, p)
	} else {
		fi, err = hostStat(ctx, mc, p)
	}
	if err != nil {
		return nil, fmt.Errorf("stat on %s: %s: %w", mc.Host, p, err)
	}
	if !fi.Exists {
		return &Result{Data: map[string]any{"stat": map[string]any{"exists": false}}}, nil
	}
	link := fi.Mode&fs.ModeSymlink != 0
	st := map[string]any{
		"exists": true, "path": p, "size": fi.Size, "mode": fmtMode(unixPerm(fi.Mode)),
		"isdir": fi.IsDir(), "isreg": fi.Mode.IsRegular(), "islnk": link, "uid": fi.UID, "gid": fi.GID,
		"mtime": float64(fi.ModTime.UnixNano()) / 1e9,
	}
	if link {
		st["lnk_target"] = fi.LinkTarget
	}
	if args.Bool("get_checksum") && fi.Mode.IsRegular() {
		sum, err := hostChecksum(ctx, mc, target)
		switch {
		case err == nil:
			st["checksum"], st["sha256"] = sum, sum
		case !isPermission(err): // an unreadable file has no checksum, as in Ansible
			return nil, fmt.Errorf("stat on %s: %s: %w", mc.Host, target, err)
		}
	}
	return &Result{Data: map[string]any{"stat": st}}, nil
}

// hostStat is Conn.Stat; when the login user may not look and the task has
// become, it asks again through stat(1) as the become user.
func hostStat(ctx context.Context, mc *Context, p string) (transport.FileInfo, error) {
	fi, err := transport.StatAs(ctx, mc.Conn, mc.Become, p)
	fi.Path = p
	return fi, err
}

// hostChecksum is Conn.Checksum, through sha256sum as the become user when
// the login user may not read the file.
func hostChecksum(ctx context.Context, mc *Context, p string) (string, error) {
	return transport.ChecksumAs(ctx, mc.Conn, mc.Become, p)
}

// resolveLink follows symbolic links from p (at most 40, as Linux does) and
// describes the final path; Exists is false for a dangling link.
func resolveLink(ctx context.Context, mc *Context, p string) (string, transport.FileInfo, error) {
	for hops := 0; ; hops++ {
		fi, err := hostStat(ctx, mc, p)
		if err != nil || !fi.Exists || fi.Mode&fs.ModeSymlink == 0 {
			return p, fi, err
		}
		if hops == 40 {
			return p, transport.FileInfo{}, fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		t := fi.LinkTarget
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(p), t)
		}
		p = t
	}
}

var sha256sumUnescape = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r")

// hostChecksums computes the SHA-256 of the regular files among paths with
// one command on the host; paths that are missing are left out.
func hostChecksums(ctx context.Context, mc *Context, paths []string) (map[string]string, error) {
	sums := map[string]string{}
	var files []string
	for _, p := range paths {
		fi, err := hostStat(ctx, mc, p)
		if err != nil {
			return nil, err
		}
		if fi.Exists && fi.Mode.IsRegular() {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return sums, nil
	}
	res, err := mc.Conn.Run(ctx, &transport.Cmd{Args: []string{"xargs", "-0", "sha256sum", "--"},
		Stdin: strings.NewReader(strings.Join(files, "\x00")), Become: mc.Become})
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		escaped := strings.HasPrefix(line, `\`) // GNU escapes names holding \ or a newline
		sum, name, ok := strings.Cut(strings.TrimPrefix(line, `\`), "  ")
		if !ok || len(sum) != 64 {
			continue
		}
		if escaped {
			name = sha256sumUnescape.Replace(name)
		}
		sums[name] = sum
	}
	return sums, nil
}
