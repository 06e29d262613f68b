package modules

// Running the modules' own commands on the host: as the become user, with a
// non-zero exit status turned into an error that carries stderr; and the
// backup copy that copy, template and the text modules make.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// hostRun runs cmd on the host as the become user; a non-zero exit status
// is an error (exitError). what, unless empty, prefixes the error.
func hostRun(ctx context.Context, mc *Context, what string, cmd *transport.Cmd) (*transport.Result, error) {
	cmd.Become = mc.Become
	res, err := mc.Conn.Run(ctx, cmd)
	switch {
	case err != nil:
		res = nil
	case res.ExitCode != 0:
		err = exitError(res)
	}
	if err != nil && what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	return res, err
}

// exitError turns a failed command into an error reading as its stderr (as
// textStderr gives it) that matches fs.ErrPermission or fs.ErrNotExist when
// stderr says so.
func exitError(res *transport.Result) error {
	e := &cmdError{msg: textStderr(res)}
	switch {
	case strings.Contains(e.msg, "Permission denied"), strings.Contains(e.msg, "Operation not permitted"):
		e.kind = fs.ErrPermission
	case strings.Contains(e.msg, "No such file"):
		e.kind = fs.ErrNotExist
	}
	return e
}

type cmdError struct {
	msg  string
	kind error // fs.ErrPermission, fs.ErrNotExist or nil
}

func (e *cmdError) Error() string { return e.msg }
func (e *cmdError) Unwrap() error { return e.kind }

// hostBackup copies p next to itself as Ansible names backups,
// P.PID.YYYY-MM-DD@HH:MM:SS~, keeping mode, owner and times; it returns the
// copy's path. A symbolic link is copied as a link (cp -P): its target may
// be a file the task must not read.
func hostBackup(ctx context.Context, mc *Context, p string) (string, error) {
	dest := fmt.Sprintf("%s.%d.%s~", p, os.Getpid(), time.Now().Format("2006-01-02@15:04:05"))
	if _, err := hostRun(ctx, mc, "", &transport.Cmd{Args: []string{"cp", "-P", "-p", "--", p, dest}}); err != nil {
		return "", err
	}
	return dest, nil
}

// textStderr is a failed command's stderr, or its exit status when it wrote
// nothing there.
func textStderr(res *transport.Result) string {
	if s := strings.TrimSpace(string(res.Stderr)); s != "" {
		return s
	}
	return fmt.Sprintf("exit status %d", res.ExitCode)
}
