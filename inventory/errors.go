package inventory

import (
	"fmt"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Error is an error found in an inventory source. It names the file and,
// when known, the 1-based line and column where the problem is.
type Error struct {
	File string
	Line int // 0 when unknown
	Col  int // 0 when unknown
	Msg  string
	Err  error // the cause, if any (its text is part of Msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Error formats the error as "file:line:col: msg", leaving out unknown parts.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// nodeErr builds an *Error positioned at n.
func nodeErr(file string, n *yaml.Node, format string, args ...any) error {
	e := &Error{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}
