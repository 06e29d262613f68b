package modules

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(statModule{}) }

type statModule struct{}

var statSpec = &Spec{
	Name:  "stat",
	Short: "Describe a path on the host",
	Doc: "Returns facts about a path on the host in the stat dictionary, with Ansible's fields: whether it exists, " +
		"its type, size, mode and permission bits, owner and group (ids and names), times, device and inode, " +
		"link target, whether the task's user (the become user with become) may read, write or execute it, " +
		"a checksum of a regular file, its MIME type (file(1)) and its attributes (lsattr). All in one command on " +
		"the host. Never changes anything.",
	Params: []Param{
		{Name: "path", Type: TypePath, Required: true, Aliases: []string{"dest", "name"}, Doc: "The path on the host."},
		{Name: "follow", Type: TypeBool, Default: false, Doc: "Describe what a symbolic link points to instead of the link."},
		{Name: "get_checksum", Type: TypeBool, Default: true, Doc: "Compute the checksum of a readable regular file, on the host."},
		{Name: "checksum_algorithm", Type: TypeString, Default: "sha1", Choices: statDigests,
			Aliases: []string{"checksum", "checksum_algo"}, Doc: "Algorithm of checksum (sha1 as in Ansible; copy's checksum is sha256)."},
		{Name: "get_md5", Type: TypeBool, Default: false, Doc: "Also return md5 (deprecated in Ansible; use checksum_algorithm: md5)."},
		{Name: "get_mime", Type: TypeBool, Default: true, Aliases: []string{"mime", "mime_type", "mime-type"},
			Doc: "Return mimetype and charset as file(1) gives them (\"unknown\" without it)."},
		{Name: "get_attributes", Type: TypeBool, Default: true, Aliases: []string{"attr", "attributes"},
			Doc: "Return attributes, attr_flags and version as lsattr(1) gives them."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "stat", Type: TypeMap, Doc: "exists; when it exists also path, mode (\"0644\"), isdir, isreg, islnk, ischr, isblk, " +
			"isfifo, issock, uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime, ctime (seconds since the " +
			"epoch, fractional), wusr, rusr, xusr, wgrp, rgrp, xgrp, woth, roth, xoth, isuid, isgid, blocks, block_size, " +
			"device_type, readable, writeable, executable, lnk_source and lnk_target (links), checksum (and md5) of a " +
			"readable regular file, mimetype and charset, attributes (names), attr_flags (letters) and version."},
	},
	Example: `- stat:
    path: /etc/app/app.conf
    checksum_algorithm: sha256
  register: conf

- debug:
    msg: "{{ conf.stat.checksum }}"
  when: conf.stat.exists`,
}

// statDigests are the checksum algorithms, each computed by NAMEsum on the host.
var statDigests = []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}

func (statModule) Spec() *Spec { return statSpec }

func (statModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	p, err := hostPath(ctx, mc, "stat", args.String("path"))
	if err != nil {
		return nil, err
	}
	o := transport.StatOptions{Follow: args.Bool("follow"), Mime: args.Bool("get_mime"), Attributes: args.Bool("get_attributes")}
	var keys []string
	if args.Bool("get_checksum") {
		o.Digests, keys = append(o.Digests, args.String("checksum_algorithm")+"sum"), append(keys, "checksum")
	}
	if args.Bool("get_md5") {
		o.Digests, keys = append(o.Digests, "md5sum"), append(keys, "md5")
	}
	fi, err := transport.StatFull(ctx, mc.Conn, mc.Become, p, o)
	if err != nil {
		return nil, fmt.Errorf("stat on %s: %s: %w", mc.Host, p, err)
	}
	if !fi.Exists {
		return &Result{Data: map[string]any{"stat": map[string]any{"exists": false}}}, nil
	}
	st := statFields(p, fi)
	for i, k := range keys {
		if fi.Digests[i] != "" {
			st[k] = fi.Digests[i]
		}
	}
	if o.Mime {
		st["mimetype"], st["charset"] = "unknown", "unknown"
		if fi.MimeType != "" {
			st["mimetype"], st["charset"] = fi.MimeType, fi.Charset
		}
	}
	if o.Attributes {
		st["version"], st["attributes"], st["attr_flags"] = nil, []any{}, ""
		if fi.AttrsRead {
			names := []any{}
			for _, c := range []byte(fi.AttrFlags) {
				if n, ok := flagNames[c]; ok {
					names = append(names, n)
				}
			}
			st["attributes"], st["attr_flags"] = names, fi.AttrFlags
			if fi.AttrVersion != "" {
				st["version"] = fi.AttrVersion
			}
		}
	}
	return &Result{Data: map[string]any{"stat": st}}, nil
}

// statFields are the fields of Ansible's stat that come from stat(2),
// access(2), the password and group files and readlink.
func statFields(p string, fi transport.FullInfo) map[string]any {
	m, perm := fi.Mode, unixPerm(fi.Mode)
	st := map[string]any{
		"exists": true, "path": p, "mode": fmtMode(perm), "size": fi.Size, "uid": fi.UID, "gid": fi.GID,
		"isdir": m.IsDir(), "isreg": m.IsRegular(), "islnk": m&fs.ModeSymlink != 0, "isfifo": m&fs.ModeNamedPipe != 0,
		"issock": m&fs.ModeSocket != 0, "ischr": m&fs.ModeCharDevice != 0, "isblk": m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0,
		"inode": fi.Inode, "dev": fi.Dev, "nlink": fi.Nlink, "blocks": fi.Blocks, "block_size": fi.BlockSize, "device_type": fi.Rdev,
		"atime": pyStatTime(fi.ATime), "mtime": pyStatTime(fi.ModTime), "ctime": pyStatTime(fi.CTime),
		"isuid": perm&0o4000 != 0, "isgid": perm&0o2000 != 0,
		"readable": fi.Readable, "writeable": fi.Writeable, "executable": fi.Executable,
	}
	for i, who := range []string{"usr", "grp", "oth"} {
		shift := uint(6 - 3*i)
		st["r"+who], st["w"+who], st["x"+who] = perm>>shift&4 != 0, perm>>shift&2 != 0, perm>>shift&1 != 0
	}
	if m&fs.ModeSymlink != 0 {
		st["lnk_target"], st["lnk_source"] = fi.LinkTarget, fi.RealPath
	}
	if fi.Owner != "" {
		st["pw_name"] = fi.Owner
	}
	if fi.Group != "" {
		st["gr_name"] = fi.Group
	}
	return st
}

// pyStatTime is a time as Python's os.stat gives it: seconds plus nanoseconds
// times 1e-9, as a double (the explicit conversion keeps Go from fusing
// the multiply and add, which Python's C does not).
func pyStatTime(t time.Time) float64 {
	return float64(t.Unix()) + float64(float64(t.Nanosecond())*1e-9)
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
