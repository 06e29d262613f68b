package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// NewLocal returns a Transport that runs commands and touches files on this
// machine, for `connection: local` and localhost.
//
// Commands given as Args are executed directly, without a shell. A command
// that cannot be found or executed is reported the way a shell reports it
// (exit status 127 or 126 with a message on stderr) rather than as an error,
// so a task behaves the same locally and over SSH.
func NewLocal() Transport { return localTransport{} }

type localTransport struct{}

// localSudo is the sudo program; tests replace it with a fake.
var localSudo = "sudo"

// localWaitDelay bounds how long Run waits for output pipes after the command
// exits or is cancelled (a background child may keep them open).
const localWaitDelay = 500 * time.Millisecond

// localStdinSync waits for the marker line ($0) and then runs the command.
// It sits between sudo and the command when a password is fed on stdin: if
// sudo did not need the password (NOPASSWD, cached credentials) the password
// line is consumed here instead of reaching the command.
const localStdinSync = `while IFS= read -r l; do if [ "$l" = "$0" ]; then exec "$@"; fi; done; exit 1`

var localCurrentUser = sync.OnceValues(user.Current)

// localIsUser reports whether the process already runs as target ("" is root).
func localIsUser(target string) bool {
	if target == "" {
		target = "root"
	}
	if u, err := localCurrentUser(); err == nil {
		return target == u.Username || target == u.Uid
	}
	return (target == "root" || target == "0") && os.Geteuid() == 0
}

func (localTransport) Run(ctx context.Context, cmd *Cmd) (*Result, error) {
	if cmd == nil {
		return nil, errors.New("local: nil command")
	}
	argv, env, stdin, err := localCommand(cmd)
	if err != nil {
		return nil, err
	}
	if cmd.Dir != "" {
		if fi, err := os.Stat(cmd.Dir); err != nil || !fi.IsDir() {
			reason := "not a directory"
			if err != nil {
				reason = localErrText(err)
			}
			// What `cd DIR && cmd` reports through a shell.
			return &Result{ExitCode: 2, Stderr: fmt.Appendf(nil, "cd: %s: %s\n", cmd.Dir, reason)}, nil
		}
	}
	prog := argv[0]
	if !strings.Contains(prog, "/") {
		if p, ok := localLookPath(prog, env); ok {
			prog = p
		} else {
			return &Result{ExitCode: 127, Stderr: fmt.Appendf(nil, "%s: command not found\n", argv[0])}, nil
		}
	}
	c := exec.CommandContext(ctx, prog, argv[1:]...)
	c.Args[0] = argv[0]
	c.Env, c.Dir, c.Stdin = env, cmd.Dir, stdin
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = Outputs(cmd, &stdout, &stderr)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		// The whole process group: a shell's children must not outlive it.
		if err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL); err != nil {
			// sudo runs as root; it relays SIGTERM to the command.
			_ = syscall.Kill(c.Process.Pid, syscall.SIGTERM)
		}
		return nil
	}
	c.WaitDelay = localWaitDelay
	err = c.Run()
	if ctxErr := ctx.Err(); ctxErr != nil && (err != nil || c.ProcessState == nil) {
		return nil, fmt.Errorf("local: %s: %w", argv[0], ctxErr)
	}
	res := &Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	switch {
	case err == nil || errors.Is(err, exec.ErrWaitDelay) && c.ProcessState != nil:
		res.ExitCode = localExitCode(c.ProcessState)
	case errors.As(err, &exitErr):
		res.ExitCode = localExitCode(exitErr.ProcessState)
	case c.ProcessState == nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)):
		res.ExitCode = 126 // as a shell reports "not executable", or 127 "not found"
		if errors.Is(err, fs.ErrNotExist) {
			res.ExitCode = 127
		}
		res.Stderr = fmt.Appendf(res.Stderr, "%s: %s\n", argv[0], localErrText(err))
	default:
		return nil, fmt.Errorf("local: %s: %w", argv[0], err)
	}
	return res, nil
}

// localCommand builds the argv, environment and stdin for cmd, wrapping it in
// sudo when it must run as another user.
func localCommand(cmd *Cmd) (argv, env []string, stdin io.Reader, err error) {
	if err := CheckNUL(cmd); err != nil {
		return nil, nil, nil, fmt.Errorf("local: %w", err)
	}
	switch {
	case cmd.Shell != "":
		argv = []string{"/bin/sh", "-c", cmd.Shell}
	case len(cmd.Args) > 0:
		argv = append([]string(nil), cmd.Args...)
	default:
		return nil, nil, nil, errors.New("local: empty command")
	}
	names := make([]string, 0, len(cmd.Env))
	for k := range cmd.Env {
		if !envName.MatchString(k) {
			return nil, nil, nil, fmt.Errorf("local: invalid environment variable name %q", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	pairs := make([]string, len(names))
	for i, k := range names {
		pairs[i] = k + "=" + cmd.Env[k]
	}
	stdin = cmd.Stdin
	if cmd.Become == nil || localIsUser(cmd.Become.User) {
		return argv, append(os.Environ(), pairs...), stdin, nil
	}
	// sudo resets the environment, so the task's variables go after it.
	if len(pairs) > 0 {
		argv = append(append([]string{"env"}, pairs...), argv...)
	}
	wrap := []string{localSudo, "-S", "-p", ""}
	if cmd.Become.Password == "" {
		// Fail at once if a password is needed, rather than read the command's stdin as one.
		wrap = append(wrap, "-n")
	}
	if cmd.Become.User != "" {
		wrap = append(wrap, "-u", cmd.Become.User)
	}
	wrap = append(wrap, "--")
	if cmd.Become.Password != "" {
		marker := "runbook-stdin-" + rand.Text()
		wrap = append(wrap, "/bin/sh", "-c", localStdinSync, marker)
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		stdin = io.MultiReader(strings.NewReader(cmd.Become.Password+"\n"+marker+"\n"), stdin)
	}
	return append(wrap, argv...), os.Environ(), stdin, nil
}

// localLookPath finds prog in the PATH the command will see (the task's
// environment may set its own), as execvp would.
func localLookPath(prog string, env []string) (string, bool) {
	pathList := ""
	for _, kv := range env { // the last PATH wins, as in os/exec
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathList = v
		}
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

func localExitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal()) // as Python's subprocess reports it
	}
	return ps.ExitCode()
}

func localErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

func (localTransport) Stat(ctx context.Context, path string) (FileInfo, error) {
	info := FileInfo{Path: path}
	if err := ctx.Err(); err != nil {
		return info, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return info, nil
		}
		return info, err
	}
	info.Exists, info.Size, info.Mode, info.ModTime = true, fi.Size(), fi.Mode(), fi.ModTime()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		info.UID, info.GID = int(st.Uid), int(st.Gid)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if info.LinkTarget, err = os.Readlink(path); err != nil {
			return info, err
		}
	}
	return info, nil
}

func (localTransport) Checksum(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ContextReader(ctx, f)); err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (localTransport) ReadFile(ctx context.Context, path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, ContextReader(ctx, f)); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func (localTransport) Close() error { return nil }

func (t localTransport) WriteFile(ctx context.Context, path string, r io.Reader, opts WriteOptions) (err error) {
	if opts.Become != nil && !localIsUser(opts.Become.User) {
		return t.sudoWrite(ctx, path, r, opts)
	}
	old, statErr := os.Lstat(path)
	if statErr == nil && old.Mode()&fs.ModeSymlink != 0 {
		// The link is replaced, never followed: the new file takes nothing
		// from its target (a link another user planted must not lend a
		// privileged write its target's owner).
		statErr = fs.ErrNotExist
	}
	switch {
	case statErr == nil && old.IsDir():
		return fmt.Errorf("write %s: is a directory", path)
	case statErr != nil && !errors.Is(statErr, fs.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, statErr)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".runbook-tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if _, err = io.Copy(tmp, ContextReader(ctx, r)); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	// Owner before mode: chown clears set-id bits.
	uid, gid := opts.UID, opts.GID
	var oldSt *syscall.Stat_t
	if statErr == nil {
		oldSt, _ = old.Sys().(*syscall.Stat_t)
	}
	if oldSt != nil {
		if uid < 0 && gid < 0 {
			// Keep the old owner when allowed; an unprivileged user cannot.
			if e := tmp.Chown(int(oldSt.Uid), int(oldSt.Gid)); e != nil && !errors.Is(e, fs.ErrPermission) {
				return e
			}
		} else if uid < 0 {
			uid = int(oldSt.Uid)
		} else if gid < 0 {
			gid = int(oldSt.Gid)
		}
	}
	if uid >= 0 || gid >= 0 {
		if err = tmp.Chown(uid, gid); err != nil {
			return err
		}
	}
	mode := fs.FileMode(0o644)
	switch {
	case opts.Mode != 0:
		mode = opts.Mode
	case statErr == nil:
		mode = old.Mode()
	}
	if err = tmp.Chmod(mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, e := os.Open(filepath.Dir(path)); e == nil { // make the rename durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// localSudoWriteScript writes the $5 bytes of stdin to $1 atomically as the
// become user; fewer bytes (a failed copy) leave $1 untouched. A symbolic
// link at $1 is replaced (mv -T), never followed. $2 is the
// octal mode, $3 and $4 the owner and group ("" keeps the old file's, which
// only an explicit owner may fail to set).
const localSudoWriteScript = `set -e
t=$(mktemp "$(dirname -- "$1")/.runbook-tmp-XXXXXX")
trap 'rm -f -- "$t"' EXIT
head -c "$5" > "$t"
[ "$(wc -c < "$t")" -eq "$5" ]
m=$2 u=$3 g=$4
if [ -e "$1" ] && [ ! -L "$1" ]; then
  [ -n "$u" ] || u=$(stat -c %u -- "$1")
  [ -n "$g" ] || g=$(stat -c %g -- "$1")
  [ -n "$m" ] || m=$(stat -c %a -- "$1")
fi
[ -n "$m" ] || m=644
if [ -n "$u" ]; then chown -- "$u${g:+:$g}" "$t" || [ -z "$3$4" ]
elif [ -n "$g" ]; then chgrp -- "$g" "$t" || [ -z "$4" ]
fi
chmod -- "$m" "$t"
if [ -L "$1" ]; then mv -fT -- "$t" "$1"; else mv -f -- "$t" "$1"; fi
trap - EXIT`

func (t localTransport) sudoWrite(ctx context.Context, path string, r io.Reader, opts WriteOptions) error {
	mode, uid, gid := "", "", ""
	if opts.Mode != 0 {
		m := uint32(opts.Mode.Perm())
		for i, bit := range []fs.FileMode{fs.ModeSticky, fs.ModeSetgid, fs.ModeSetuid} {
			if opts.Mode&bit != 0 {
				m |= 0o1000 << i
			}
		}
		mode = strconv.FormatUint(uint64(m), 8)
	}
	if opts.UID >= 0 {
		uid = strconv.Itoa(opts.UID)
	}
	if opts.GID >= 0 {
		gid = strconv.Itoa(opts.GID)
	}
	// Spool the content first: a reader failing halfway must not end up as a
	// short file, and the script can only tell by the length.
	spool, err := os.CreateTemp("", "runbook-spool-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	n, err := io.Copy(spool, ContextReader(ctx, r))
	if err == nil {
		_, err = spool.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	res, err := t.Run(ctx, &Cmd{
		Args:   []string{"/bin/sh", "-c", localSudoWriteScript, "runbook-write", path, mode, uid, gid, strconv.FormatInt(n, 10)},
		Stdin:  spool,
		Become: opts.Become,
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("write %s as %q: exit status %d: %s", path, opts.Become.User, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return nil
}

// DialContext opens a TCP connection from this machine.
func (localTransport) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
