package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// The reads of the Transport interface (Stat, Checksum, ReadFile) run as
// the connecting user. StatAs, ChecksumAs and ReadFileAs are the same reads
// for a task with become: they ask the connection first (SFTP for SSH: no
// extra process), and when that is refused for lack of permission they ask
// again through sudo as the become user, with the password on sudo's stdin
// as for Run. A nil Become is a plain read.

// IsPermission reports whether err is a refusal for lack of permission.
func IsPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission)
}

// statScript prints "RAWMODE SIZE UID GID MTIME" and, for a symbolic link,
// its target; exit status 3 means the path does not exist.
const statScript = `[ -e "$1" ] || [ -L "$1" ] || exit 3
stat -c '%f %s %u %g %Y' -- "$1" || exit 1
if [ -L "$1" ]; then readlink -- "$1"; fi`

// StatAs is t.Stat(p), run as the become user when the connecting user may
// not look.
func StatAs(ctx context.Context, t Transport, b *Become, p string) (FileInfo, error) {
	fi, err := t.Stat(ctx, p)
	if b == nil || !IsPermission(err) {
		return fi, err
	}
	fi = FileInfo{Path: p}
	res, err := t.Run(ctx, &Cmd{Args: []string{"/bin/sh", "-c", statScript, "runbook-stat", p}, Become: b})
	switch {
	case err != nil:
		return fi, err
	case res.ExitCode == 3:
		return fi, nil
	case res.ExitCode != 0:
		return fi, becomeReadErr("stat", p, b, res)
	}
	line, target, _ := strings.Cut(string(res.Stdout), "\n")
	var raw uint32
	var mtime int64
	if _, err := fmt.Sscanf(line, "%x %d %d %d %d", &raw, &fi.Size, &fi.UID, &fi.GID, &mtime); err != nil {
		return fi, fmt.Errorf("stat %s as %s: unexpected output %q", p, becomeName(b), line)
	}
	fi.Exists, fi.Mode, fi.ModTime = true, RawMode(raw), time.Unix(mtime, 0)
	fi.LinkTarget = strings.TrimSuffix(target, "\n")
	return fi, nil
}

// ChecksumAs is t.Checksum(p), computed by sha256sum as the become user
// when the connecting user may not read p.
func ChecksumAs(ctx context.Context, t Transport, b *Become, p string) (string, error) {
	sum, err := t.Checksum(ctx, p)
	if b == nil || !IsPermission(err) {
		return sum, err
	}
	res, err := t.Run(ctx, &Cmd{Args: []string{"sha256sum", "--", p}, Become: b})
	if err != nil {
		return "", err
	}
	if res.ExitCode != 0 {
		return "", becomeReadErr("checksum of", p, b, res)
	}
	// GNU coreutils prefixes the line with a backslash when it escapes the name.
	sum, _, _ = strings.Cut(strings.TrimPrefix(string(res.Stdout), `\`), " ")
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", fmt.Errorf("checksum of %s as %s: unexpected sha256sum output %q", p, becomeName(b), firstLine(res.Stdout))
	}
	return sum, nil
}

// ReadFileAs is t.ReadFile(p, w), streamed by cat as the become user when
// the connecting user may not read p (and nothing was written to w yet).
func ReadFileAs(ctx context.Context, t Transport, b *Become, p string, w io.Writer) error {
	cw := &countingWriter{w: w}
	err := t.ReadFile(ctx, p, cw)
	if b == nil || !IsPermission(err) || cw.n > 0 {
		return err
	}
	var stderr strings.Builder
	res, err := t.Run(ctx, &Cmd{Args: []string{"cat", "--", p}, Become: b, Stdout: w, Stderr: &limitedWriter{w: &stderr, n: 4096}})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		res.Stderr = []byte(stderr.String())
		return becomeReadErr("read", p, b, res)
	}
	return nil
}

// becomeReadErr describes a failed read as the become user; a missing file
// wraps fs.ErrNotExist and a refusal fs.ErrPermission.
func becomeReadErr(op, p string, b *Become, res *Result) error {
	msg := strings.TrimSpace(string(firstLine(res.Stderr)))
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", res.ExitCode)
	}
	err := fmt.Errorf("%s %s as %s: %s", op, p, becomeName(b), msg)
	switch {
	case strings.Contains(msg, "No such file"):
		return fmt.Errorf("%w: %w", err, fs.ErrNotExist)
	case strings.Contains(msg, "Permission denied"):
		return fmt.Errorf("%w: %w", err, fs.ErrPermission)
	}
	return err
}

func becomeName(b *Become) string {
	if b.User == "" {
		return "root"
	}
	return b.User
}

func firstLine(b []byte) []byte {
	s, _, _ := strings.Cut(string(b), "\n")
	return []byte(s)
}

// RawMode converts a st_mode value (stat -c %f prints it in hex) to an
// fs.FileMode.
func RawMode(raw uint32) fs.FileMode {
	m := fs.FileMode(raw & 0o777)
	for bit, mode := range map[uint32]fs.FileMode{0o4000: fs.ModeSetuid, 0o2000: fs.ModeSetgid, 0o1000: fs.ModeSticky} {
		if raw&bit != 0 {
			m |= mode
		}
	}
	switch raw & 0o170000 {
	case 0o040000:
		m |= fs.ModeDir
	case 0o120000:
		m |= fs.ModeSymlink
	case 0o010000:
		m |= fs.ModeNamedPipe
	case 0o140000:
		m |= fs.ModeSocket
	case 0o020000:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		m |= fs.ModeDevice
	}
	return m
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// limitedWriter keeps the first n bytes and discards the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
