package ssh

import "strings"

// redacted replaces a secret found in a message.
const redacted = "********"

// scrub removes every configured secret from s. Secrets are never put into
// messages on purpose; this is the safety net for text that comes from
// elsewhere (a server's error, an echoed line).
func (c *Conn) scrub(s string, extra ...string) string {
	for _, sec := range c.secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	for _, sec := range extra {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// scrubErr returns err, or an error with the same chain whose message has
// the secrets removed.
func (c *Conn) scrubErr(err error, extra ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.scrub(msg, extra...); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubInto scrubs *errp in place (for a deferred call in every public
// method, so no path can return a secret).
func (c *Conn) scrubInto(errp *error, extra ...string) {
	*errp = c.scrubErr(*errp, extra...)
}
