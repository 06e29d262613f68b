// Package exitcode defines runbook's process exit codes (documented in the
// README) and how an error carries one: the error types that mean a given
// code say so with an ExitCode method, other errors are given one with
// With, and Of reads it back once, where the process exits.
package exitcode

import "errors"

// The exit codes.
const (
	OK          = 0
	Error       = 1   // runbook itself failed (cannot write, cannot connect the reporter, ...)
	HostFailed  = 2   // a task failed on a host
	Invalid     = 3   // the playbook, inventory or a vars file is invalid
	Unreachable = 4   // a host could not be reached (wins over HostFailed)
	Usage       = 5   // the command line is wrong or lacks something
	Interrupted = 130 // stopped by SIGINT/SIGTERM
)

// Coder is an error that knows the exit code it means.
type Coder interface {
	error
	ExitCode() int
}

// With gives err the exit code code; nil stays nil. The outermost code in a
// chain of wrapped errors wins.
func With(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}

type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }
func (e *codeError) ExitCode() int { return e.code }

// Of returns the exit code err carries: OK for nil, the code of the
// outermost Coder in its chain, else def.
func Of(err error, def int) int {
	if err == nil {
		return OK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return def
}

// Cause returns the error that With wrapped (err itself when it carries no
// code from With), so the one who prints it shows the cause alone.
func Cause(err error) error {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}
