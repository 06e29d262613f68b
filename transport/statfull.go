package transport

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// StatOptions says what StatFull learns beyond what stat(2) gives.
type StatOptions struct {
	// Follow describes what a symbolic link points to instead of the link.
	Follow bool
	// Digests are the checksum programs (sha1sum, md5sum, ...) to run on a
	// readable regular file; their results come back in the same order.
	Digests []string
	// Mime asks file(1) for the MIME type and charset.
	Mime bool
	// Attributes asks lsattr(1) for the file attribute flags and version.
	Attributes bool
}

// FullInfo is everything StatFull learns about a path. Exists is false,
// with a nil error, when the path (or, with Follow, the link's target)
// does not exist.
type FullInfo struct {
	FileInfo
	ATime, CTime time.Time
	// Dev, Inode, Nlink, Rdev are st_dev, st_ino, st_nlink and st_rdev.
	Dev, Inode, Nlink, Rdev uint64
	// Blocks is st_blocks (512-byte units), BlockSize st_blksize.
	Blocks, BlockSize int64
	// Owner and Group are the names of UID and GID ("" when they have none).
	Owner, Group string
	// Readable, Writeable and Executable are access(2)'s answers for the
	// user the command ran as (the become user when there is one).
	Readable, Writeable, Executable bool
	// RealPath is where a symbolic link leads in the end (as realpath -m).
	RealPath string
	// Digests holds the hex digests asked for, in StatOptions.Digests'
	// order; "" for a file that is not a readable regular file.
	Digests []string
	// MimeType and Charset are file(1)'s answers; "" when it is missing or failed.
	MimeType, Charset string
	// AttrsRead is set when lsattr answered; AttrFlags are its flag
	// letters without dashes ("ie"), AttrVersion the file's version ("" when
	// only the flags could be read, as on tmpfs).
	AttrsRead              bool
	AttrFlags, AttrVersion string
}

// statLineFormat is the stat(1) format parseStat reads.
const statLineFormat = "%f %s %u %g %i %d %h %b %o %t %T %X %Y %Z|%x|%y|%z|%U|%G"

// statFullScript describes $1 in one command: stat(1)'s fields, access(2)
// for r, w and x, the link's target and real path, the digests $3 (a list
// of programs), file(1) when $4 is 1 and lsattr(1) when $5 is 1, each
// field followed by a NUL; $6 is statLineFormat. $2 is 1 to follow a symbolic link. Exit status
// 3 means the path does not exist.
const statFullScript = `export LC_ALL=C
p=$1 L=
[ "$2" = 1 ] && L=-L
s=$(stat $L -c "$6" -- "$p" 2>&1) || {
  case $s in *"No such file"*) exit 3;; esac
  printf '%s\n' "$s" >&2; exit 1; }
a=
for t in r w x; do if test -$t "$p"; then a=$a$t; else a=$a-; fi; done
lt= lr= lnk=
if [ "$2" != 1 ] && [ -L "$p" ]; then lnk=1; lt=$(readlink -- "$p"); lr=$(readlink -m -- "$p"); fi
printf '%s\0' "$s" "$a" "$lt" "$lr"
for d in $3; do
  c=
  if [ -z "$lnk" ] && [ -f "$p" ] && [ -r "$p" ]; then c=$("$d" -- "$p" 2>&1) || c="!$c"; fi
  printf '%s\0' "$c"
done
m=
if [ "$4" = 1 ] && command -v file >/dev/null 2>&1; then m=$(file -b --mime-type --mime-encoding -- "$p" 2>/dev/null) || m=; fi
f=
if [ "$5" = 1 ] && command -v lsattr >/dev/null 2>&1; then
  f=$(lsattr -vd -- "$p" 2>/dev/null) || { f=$(lsattr -d -- "$p" 2>/dev/null) && f="- $f"; } || f=
fi
printf '%s\0' "$m" "$f"`

// StatFull describes p with one command on the host, run as b when not
// nil (so the access answers are the become user's, and a path only it
// may see can be described).
func StatFull(ctx context.Context, t Transport, b *Become, p string, o StatOptions) (FullInfo, error) {
	fi := FullInfo{FileInfo: FileInfo{Path: p}}
	for _, d := range o.Digests {
		if strings.ContainsAny(d, " \t\n/") {
			return fi, fmt.Errorf("stat %s: invalid checksum program %q", p, d)
		}
	}
	flag := map[bool]string{true: "1", false: "0"}
	res, err := t.Run(ctx, &Cmd{Args: []string{"/bin/sh", "-c", statFullScript, "runbook-stat", p,
		flag[o.Follow], strings.Join(o.Digests, " "), flag[o.Mime], flag[o.Attributes], statLineFormat}, Become: b})
	switch {
	case err != nil:
		return fi, err
	case res.ExitCode == 3:
		return fi, nil
	case res.ExitCode != 0:
		if b != nil {
			return fi, becomeReadErr("stat", p, b, res)
		}
		msg := strings.TrimSpace(string(firstLine(res.Stderr)))
		if strings.Contains(msg, "Permission denied") {
			return fi, fmt.Errorf("stat %s: %s: %w", p, msg, fs.ErrPermission)
		}
		return fi, fmt.Errorf("stat %s: %s (exit status %d)", p, msg, res.ExitCode)
	}
	fields := strings.Split(string(res.Stdout), "\x00")
	if len(fields) != 7+len(o.Digests) {
		return fi, fmt.Errorf("stat %s: unexpected output %q", p, firstLine(res.Stdout))
	}
	if err := fi.parseStat(fields[0]); err != nil {
		return fi, fmt.Errorf("stat %s: %w", p, err)
	}
	access := fields[1]
	fi.Readable, fi.Writeable, fi.Executable = access[0] == 'r', access[1] == 'w', access[2] == 'x'
	fi.LinkTarget, fi.RealPath = fields[2], fields[3]
	for i, d := range o.Digests {
		sum := strings.TrimPrefix(fields[4+i], `\`) // GNU escapes odd names with a leading backslash
		if strings.HasPrefix(sum, "!") {
			return fi, fmt.Errorf("%s of %s: %s", d, p, strings.TrimSpace(sum[1:]))
		}
		sum, _, _ = strings.Cut(sum, " ")
		fi.Digests = append(fi.Digests, sum)
	}
	rest := fields[4+len(o.Digests):]
	if mt, cs, ok := strings.Cut(rest[0], ";"); ok {
		fi.MimeType = strings.TrimSpace(mt)
		_, fi.Charset, _ = strings.Cut(cs, "=")
		fi.Charset = strings.TrimSpace(fi.Charset)
	}
	if f := strings.Fields(rest[1]); len(f) >= 2 {
		fi.AttrsRead, fi.AttrFlags = true, strings.ReplaceAll(f[1], "-", "")
		if f[0] != "-" {
			fi.AttrVersion = f[0]
		}
	}
	return fi, nil
}

// parseStat reads statFullScript's stat line.
func (fi *FullInfo) parseStat(line string) error {
	parts := strings.SplitN(line, "|", 6)
	nums := strings.Fields(parts[0])
	if len(parts) != 6 || len(nums) != 14 {
		return fmt.Errorf("unexpected stat output %q", line)
	}
	var v [14]uint64
	for i, n := range nums {
		base := 10
		if i == 0 || i == 9 || i == 10 { // %f, %t, %T are hex
			base = 16
		}
		x, err := strconv.ParseUint(n, base, 64)
		if err != nil {
			return fmt.Errorf("unexpected stat output %q: %w", line, err)
		}
		v[i] = x
	}
	fi.Exists, fi.Mode, fi.Size = true, RawMode(uint32(v[0])), int64(v[1])
	fi.UID, fi.GID, fi.Inode, fi.Dev, fi.Nlink = int(v[2]), int(v[3]), v[4], v[5], v[6]
	fi.Blocks, fi.BlockSize, fi.Rdev = int64(v[7]), int64(v[8]), makedev(v[9], v[10])
	fi.ATime = time.Unix(int64(v[11]), nanos(parts[1]))
	fi.ModTime = time.Unix(int64(v[12]), nanos(parts[2]))
	fi.CTime = time.Unix(int64(v[13]), nanos(parts[3]))
	if parts[4] != "UNKNOWN" {
		fi.Owner = parts[4]
	}
	if parts[5] != "UNKNOWN" {
		fi.Group = parts[5]
	}
	return nil
}

// nanos is the fraction of a second in a time as stat -c %y prints it
// ("2024-05-01 10:00:00.123456789 +0000"); %Y gives only whole seconds on
// older coreutils.
func nanos(human string) int64 {
	_, frac, ok := strings.Cut(human, ".")
	if !ok {
		return 0
	}
	frac, _, _ = strings.Cut(frac, " ")
	frac = (frac + "000000000")[:9]
	n, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// makedev is glibc's encoding of a device number from its major and minor
// numbers, which is what st_rdev holds.
func makedev(major, minor uint64) uint64 {
	return minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
}
