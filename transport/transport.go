// Package transport is how modules reach a host: run a command, move files,
// inspect paths. The engine and the modules only see the Transport interface,
// so the local connection and SSH are interchangeable.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"time"
)

// Become asks for the command to run as another user through sudo.
type Become struct {
	User     string // target user; "" means root
	Password string // fed to sudo on stdin; never placed on a command line
}

// Cmd is one command to run on a host.
type Cmd struct {
	// Args is the program and its arguments. Transports that go through a
	// shell quote every element, so no value can inject shell syntax.
	Args []string
	// Shell, when set, is a shell script run by /bin/sh -c; Args is ignored.
	Shell string
	// Stdin, when non-nil, is copied to the command's standard input.
	Stdin io.Reader
	// Env is added to the command's environment (names must be valid shell
	// identifiers; values are quoted).
	Env map[string]string
	// Dir is the working directory; "" keeps the transport's default.
	Dir string
	// Become, when non-nil, runs the command through sudo.
	Become *Become
	// Stdout and Stderr, when non-nil, receive the command's output as it
	// is produced instead of Result.Stdout/Stderr (which stay empty), so
	// bulk data streams without being held in memory.
	Stdout io.Writer
	Stderr io.Writer
}

// Result is what a finished command produced. A non-zero exit status is not
// an error: it is reported in ExitCode.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// FileInfo describes a path on a host. Exists is false, with a nil error,
// when the path does not exist.
type FileInfo struct {
	Path    string
	Exists  bool
	Size    int64
	Mode    fs.FileMode // permission bits plus type bits (fs.ModeDir, fs.ModeSymlink)
	UID     int
	GID     int
	ModTime time.Time
	// LinkTarget is set for symbolic links (the path is not followed).
	LinkTarget string
}

// IsDir reports whether the path is a directory.
func (f FileInfo) IsDir() bool { return f.Exists && f.Mode.IsDir() }

// WriteOptions controls an atomic write.
type WriteOptions struct {
	// Mode applies when non-zero; otherwise an existing file keeps its mode
	// and a new file gets 0644.
	Mode fs.FileMode
	// UID and GID apply when >= 0; otherwise an existing file keeps its
	// owner and a new one belongs to the connecting (or become) user.
	UID, GID int
	// Become writes as another user (for SSH: through sudo).
	Become *Become
}

// KeepOwner is the WriteOptions value that keeps (or defaults) everything.
func KeepOwner() WriteOptions { return WriteOptions{UID: -1, GID: -1} }

// Transport is a connection to one host. Implementations must be safe for
// concurrent use by several goroutines.
type Transport interface {
	// Run runs a command and waits for it. The error is non-nil only when the
	// command could not be run or the connection failed (see UnreachableError).
	Run(ctx context.Context, cmd *Cmd) (*Result, error)
	// Stat describes path without following a final symbolic link.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// Checksum returns the hex SHA-256 of a regular file, computed on the host.
	Checksum(ctx context.Context, path string) (string, error)
	// WriteFile streams r into path atomically: a temporary file in the same
	// directory, then a rename, keeping the old file's mode and owner unless
	// opts says otherwise.
	WriteFile(ctx context.Context, path string, r io.Reader, opts WriteOptions) error
	// ReadFile streams the content of path into w.
	ReadFile(ctx context.Context, path string, w io.Writer) error
	// Close releases the connection.
	Close() error
}

// UnreachableError marks a failure to reach the host at all (as opposed to a
// command that ran and failed). The engine reports it as UNREACHABLE.
type UnreachableError struct {
	Host string
	Err  error
	// Answered is set when the host answered and the session was refused
	// (an unknown or changed host key, failed authentication): the host is
	// alive and the fix is on this side. ignore_unreachable never ignores
	// such a failure; it is meant for hosts that are down.
	Answered bool
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("host %s unreachable: %v", e.Host, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err (or anything it wraps) is an UnreachableError.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// IsHostDown reports whether err is an UnreachableError for a host that did
// not answer (refused, timed out, no route, connection lost), as opposed to
// one that answered and refused the session.
func IsHostDown(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u) && !u.Answered
}

// Dialer is implemented by transports that can open TCP connections from
// the host (SSH: direct-tcpip through the connection). Modules use it to
// reach services that listen only on the host's network, such as a
// Kubernetes API server reached through a master.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}
