package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/transport"
)

// Run runs cmd on the host as one line built by transport.ShellLine (so
// every argument, environment value and directory is quoted). A non-zero
// exit status, including death by a signal (128+n), is a Result, not an
// error. Cancelling ctx signals and closes the session.
func (c *Conn) Run(ctx context.Context, cmd *transport.Cmd) (_ *transport.Result, err error) {
	if cmd == nil {
		return nil, errors.New("ssh: nil command")
	}
	if cmd.Become != nil {
		defer c.scrubInto(&err, cmd.Become.Password)
		return c.runBecome(ctx, cmd)
	}
	defer c.scrubInto(&err)
	line, err := transport.ShellLine(cmd)
	if err != nil {
		return nil, err
	}
	return c.exec(ctx, line, cmd.Stdin, cmd)
}

// exec runs one command line in a new session; out, when non-nil, is the
// command it runs: it says where stdout and stderr stream (see
// transport.Cmd), and the command is stopped on the host if ctx is
// cancelled (see abort.go). A nil out is a short internal probe.
func (c *Conn) exec(ctx context.Context, line string, stdin io.Reader, out *transport.Cmd) (*transport.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, l, release, err := c.newSession(ctx)
	if err != nil {
		return nil, err
	}
	closeSession := sync.OnceFunc(func() { s.Close(); release() })
	defer closeSession()

	var stdout, stderr bytes.Buffer
	track := out != nil && ctx.Value(untracked{}) == nil
	if out == nil {
		out = &transport.Cmd{}
	}
	s.Stdout, s.Stderr = transport.Outputs(out, &stdout, &stderr)
	var marks *sessionWriter
	if track {
		line = markedLine(line)
		marks = newSessionWriter(s.Stderr)
		s.Stderr = marks
	}
	src := &recordingReader{r: stdin}
	var stdinPipe io.WriteCloser
	if stdin != nil {
		// Copied by us rather than by the session, so Wait does not wait
		// for a reader the command never drained.
		if stdinPipe, err = s.StdinPipe(); err != nil {
			return nil, c.lost(l, err)
		}
	}
	if err := s.Start(line); err != nil {
		return nil, c.lost(l, fmt.Errorf("starting command: %w", err))
	}
	if stdinPipe != nil {
		// Only once the command runs: an end of input that reaches sshd
		// before the exec request can be dropped (the command's stdin
		// does not exist yet), and the command would wait for input
		// forever (seen with -race: crontab - over SSH never returned).
		go func() {
			_, _ = io.Copy(stdinPipe, src)
			stdinPipe.Close()
		}()
	}
	waited := make(chan error, 1)
	go func() { waited <- s.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		c.abort(s, marks, waited, closeSession, out.Become)
		return nil, ctx.Err()
	}
	if marks != nil {
		if ferr := marks.flush(); ferr != nil && err == nil {
			err = ferr
		}
	}

	res := &transport.Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exit *gossh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		// ExitStatus is 128+n for a command killed by signal n.
		res.ExitCode = exit.ExitStatus()
		if res.ExitCode == 0 {
			res.ExitCode = 255
		}
	default:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.lost(l, fmt.Errorf("command did not finish: %w", err))
	}
	if err := src.err(); err != nil {
		// The command saw a truncated input: its result is meaningless.
		return nil, fmt.Errorf("reading the command's stdin: %w", err)
	}
	return res, nil
}

// recordingReader remembers the first read error other than io.EOF.
type recordingReader struct {
	r     io.Reader
	mu    sync.Mutex
	error error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.mu.Lock()
		if r.error == nil {
			r.error = err
		}
		r.mu.Unlock()
	}
	return n, err
}

func (r *recordingReader) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.error
}
