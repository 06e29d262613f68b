package ssh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/transport"
)

// sftpClient returns the connection's SFTP client, opening it on first use
// (or after a reconnect): one channel, concurrent reads and writes.
func (c *Conn) sftpClient(ctx context.Context) (*sftp.Client, *link, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	c.sftpMu.Lock()
	defer c.sftpMu.Unlock()
	if c.sftp != nil && !c.sftpLink.isDead() {
		return c.sftp, c.sftpLink, nil
	}
	if c.sftp != nil {
		c.sftp.Close()
		c.sftp = nil
	}
	l, reconnected, err := c.current(ctx)
	if err != nil {
		return nil, nil, err
	}
	cl, err := openSFTP(l.client)
	var refused *gossh.OpenChannelError
	if err != nil && !errors.As(err, &refused) && !reconnected && l.isDeadAfterBrief() {
		if l, err = c.reconnect(ctx, l); err != nil {
			return nil, nil, err
		}
		cl, err = openSFTP(l.client)
	}
	if err != nil {
		if l.isDeadAfterBrief() {
			return nil, nil, c.lost(l, fmt.Errorf("opening SFTP: %w", err))
		}
		return nil, nil, c.scrubErr(fmt.Errorf("opening SFTP on %s: %w", c.hostName(), err))
	}
	c.sftp, c.sftpLink = cl, l
	return cl, l, nil
}

func openSFTP(client *gossh.Client) (*sftp.Client, error) {
	opts := []sftp.ClientOption{sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true), sftp.UseFstat(true)}
	// OpenSSH's sftp-server takes messages up to 256 KiB; others are only
	// promised the 32 KiB default.
	if strings.Contains(string(client.ServerVersion()), "OpenSSH") {
		opts = append(opts, sftp.MaxPacketUnchecked(64*1024))
	}
	return sftp.NewClient(client, opts...)
}

// fileErr wraps an SFTP failure; a dead connection is UnreachableError.
func (c *Conn) fileErr(l *link, op, p string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var status *sftp.StatusError
	answered := errors.As(err, &status) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
	if !answered && l.isDeadAfterBrief() {
		return c.lost(l, err)
	}
	if errors.Is(err, sftp.ErrSSHFxConnectionLost) {
		// The SFTP channel died on a live connection: open a new one next time.
		c.sftpMu.Lock()
		if c.sftp != nil && c.sftpLink == l {
			c.sftp.Close()
			c.sftp = nil
		}
		c.sftpMu.Unlock()
	}
	return c.scrubErr(fmt.Errorf("%s %s on %s: %w", op, p, c.hostName(), err))
}

// Stat describes p without following a final symlink (SFTP lstat).
func (c *Conn) Stat(ctx context.Context, p string) (_ transport.FileInfo, err error) {
	defer c.scrubInto(&err)
	cl, l, err := c.sftpClient(ctx)
	if err != nil {
		return transport.FileInfo{}, err
	}
	fi, err := cl.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return transport.FileInfo{Path: p}, nil
	}
	if err != nil {
		return transport.FileInfo{}, c.fileErr(l, "stat", p, err)
	}
	info := transport.FileInfo{Path: p, Exists: true, Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}
	if st, ok := fi.Sys().(*sftp.FileStat); ok {
		info.UID, info.GID = int(st.UID), int(st.GID)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if info.LinkTarget, err = cl.ReadLink(p); err != nil {
			return transport.FileInfo{}, c.fileErr(l, "readlink", p, err)
		}
	}
	return info, nil
}

// Checksum runs `sha256sum -- PATH` on the host. A missing file is an error
// wrapping fs.ErrNotExist, an unreadable one fs.ErrPermission.
func (c *Conn) Checksum(ctx context.Context, p string) (_ string, err error) {
	defer c.scrubInto(&err)
	res, err := c.Run(ctx, &transport.Cmd{Args: []string{"sha256sum", "--", p}})
	if err != nil {
		return "", err
	}
	stderr := strings.TrimSpace(string(res.Stderr))
	switch {
	case res.ExitCode == 127:
		return "", fmt.Errorf("checksum of %s on %s: sha256sum is not installed", p, c.hostName())
	case res.ExitCode != 0 && strings.Contains(stderr, "No such file"):
		return "", fmt.Errorf("checksum of %s on %s: %w", p, c.hostName(), fs.ErrNotExist)
	case res.ExitCode != 0 && strings.Contains(stderr, "Permission denied"):
		// transport.ChecksumAs retries as the become user on this.
		return "", fmt.Errorf("checksum of %s on %s: %s: %w", p, c.hostName(), stderr, fs.ErrPermission)
	case res.ExitCode != 0:
		return "", fmt.Errorf("checksum of %s on %s: %s (exit status %d)", p, c.hostName(), stderr, res.ExitCode)
	}
	// GNU coreutils prefixes the line with a backslash when it escapes the name.
	out := strings.TrimPrefix(string(res.Stdout), "\\")
	sum, _, _ := strings.Cut(out, " ")
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", fmt.Errorf("checksum of %s on %s: unexpected sha256sum output %q", p, c.hostName(), firstLine(res.Stdout))
	}
	return sum, nil
}

// ReadFile streams the content of p into w over SFTP.
func (c *Conn) ReadFile(ctx context.Context, p string, w io.Writer) (err error) {
	defer c.scrubInto(&err)
	cl, l, err := c.sftpClient(ctx)
	if err != nil {
		return err
	}
	f, err := cl.Open(p)
	if err != nil {
		return c.fileErr(l, "open", p, err)
	}
	defer f.Close()
	if _, err := f.WriteTo(ctxWriter{ctx, w}); err != nil {
		return c.fileErr(l, "read", p, err)
	}
	return nil
}

// WriteFile streams r into p atomically. Without become it goes over SFTP:
// a temporary ".NAME.runbook-tmp-RANDOM" in p's directory, owner and mode
// set before any data is written (explicit, else kept from the existing
// file, else 0644), then renamed over p. With opts.Become it goes through
// one sudo'd shell (see writeFileSudo). The temporary file never outlives
// a failure. A symbolic link at p is replaced by a new file, never
// followed: the link's target keeps its content, and lends the new file
// neither mode nor owner.
func (c *Conn) WriteFile(ctx context.Context, p string, r io.Reader, opts transport.WriteOptions) (err error) {
	if opts.Become != nil {
		defer c.scrubInto(&err, opts.Become.Password)
		return c.writeFileSudo(ctx, p, r, opts)
	}
	defer c.scrubInto(&err)
	cl, l, err := c.sftpClient(ctx)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	uid, gid := opts.UID, opts.GID
	keepOwner := false
	old, err := cl.Lstat(p)
	switch {
	case err == nil && old.Mode()&fs.ModeSymlink != 0:
		// Replaced, never followed: the new file takes nothing from the
		// link's target.
	case err == nil && old.IsDir():
		return fmt.Errorf("write %s on %s: is a directory", p, c.hostName())
	case err == nil:
		mode = old.Mode() & modeBits
		if st, ok := old.Sys().(*sftp.FileStat); ok && uid < 0 && gid < 0 {
			uid, gid, keepOwner = int(st.UID), int(st.GID), true
		}
	case !errors.Is(err, fs.ErrNotExist):
		return c.fileErr(l, "stat", p, err)
	}
	if opts.Mode != 0 {
		mode = opts.Mode & modeBits
	}
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+".runbook-tmp-"+randomHex(8))
	f, err := cl.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return c.fileErr(l, "write", p, fmt.Errorf("creating a temporary file: %w", noSpace(cl, tmp, err)))
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			_ = cl.Remove(tmp)
		}
	}()
	if err := chownTemp(f, uid, gid, keepOwner); err != nil {
		return c.fileErr(l, "write", p, fmt.Errorf("chown: %w", err))
	}
	if err := f.Chmod(mode); err != nil {
		return c.fileErr(l, "write", p, fmt.Errorf("chmod: %w", err))
	}
	if _, err := f.ReadFromWithConcurrency(transport.ContextReader(ctx, r), 0); err != nil {
		return c.fileErr(l, "write", p, noSpace(cl, tmp, err))
	}
	if err := f.Close(); err != nil {
		return c.fileErr(l, "write", p, noSpace(cl, tmp, err))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := replaceFile(cl, tmp, p); err != nil {
		return c.fileErr(l, "write", p, fmt.Errorf("renaming the temporary file: %w", err))
	}
	done = true
	return nil
}

// noSpace names a full file system behind an SFTP write failure, which
// the protocol reports only as "Failure" (SSH_FX_FAILURE): it asks for the
// file system's free space (statvfs@openssh.com) while the failed
// temporary file still holds its blocks, and on a full one (under 1 MiB or
// no inode free) wraps err with syscall.ENOSPC and the bytes free.
func noSpace(cl *sftp.Client, p string, err error) error {
	var status *sftp.StatusError
	if !errors.As(err, &status) || status.FxCode() != sftp.ErrSSHFxFailure {
		return err
	}
	vfs, verr := cl.StatVFS(path.Dir(p))
	if verr != nil {
		return err
	}
	free := vfs.Bavail * vfs.Frsize
	switch {
	case vfs.Files > 0 && vfs.Favail == 0:
		return fmt.Errorf("%w: no free inode on the file system of %s (%w)", syscall.ENOSPC, path.Dir(p), err)
	case free < 1<<20:
		return fmt.Errorf("%w: the file system of %s has %d bytes free (%w)", syscall.ENOSPC, path.Dir(p), free, err)
	}
	return err
}

const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// chownTemp gives the temporary file its owner before it holds data (a
// chown after a chmod could clear setuid bits). A kept owner is best
// effort: an unprivileged user cannot give files away.
func chownTemp(f *sftp.File, uid, gid int, keep bool) error {
	if uid < 0 && gid < 0 {
		return nil
	}
	cur, err := f.Stat()
	if err != nil {
		return err
	}
	st, ok := cur.Sys().(*sftp.FileStat)
	if !ok {
		return nil
	}
	if uid < 0 {
		uid = int(st.UID)
	}
	if gid < 0 {
		gid = int(st.GID)
	}
	if uid == int(st.UID) && gid == int(st.GID) {
		return nil
	}
	if err := f.Chown(uid, gid); err != nil && !keep {
		return err
	}
	return nil
}

// renamer is the part of *sftp.Client that replaceFile uses.
type renamer interface {
	HasExtension(name string) (string, bool)
	PosixRename(oldname, newname string) error
	Rename(oldname, newname string) error
	Lstat(p string) (os.FileInfo, error)
	Remove(p string) error
}

// replaceFile renames tmp over dst: atomically with posix-rename@openssh.com;
// otherwise a plain SFTP rename, which refuses to replace, so the old file
// is moved aside first and moved back if the second rename fails.
func replaceFile(cl renamer, tmp, dst string) error {
	if _, ok := cl.HasExtension("posix-rename@openssh.com"); ok {
		return cl.PosixRename(tmp, dst)
	}
	err := cl.Rename(tmp, dst)
	if err == nil {
		return nil
	}
	if _, statErr := cl.Lstat(dst); statErr != nil {
		return err
	}
	aside := path.Join(path.Dir(dst), "."+path.Base(dst)+".runbook-old-"+randomHex(8))
	if err := cl.Rename(dst, aside); err != nil {
		return err
	}
	if err := cl.Rename(tmp, dst); err != nil {
		if restoreErr := cl.Rename(aside, dst); restoreErr != nil {
			return fmt.Errorf("%w (and restoring the old file from %s failed: %v)", err, aside, restoreErr)
		}
		return err
	}
	_ = cl.Remove(aside)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ctxWriter stops a copy when ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.w.Write(p)
}
