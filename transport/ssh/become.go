package ssh

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// sudoState caches, per become user, what sudo on this host needs.
type sudoState struct {
	mu       chan struct{} // 1-slot lock usable with a context
	probed   bool
	needsPw  bool
	verified map[[32]byte]bool // digests of passwords sudo accepted
}

func (c *Conn) sudoFor(user string) *sudoState {
	c.sudoMu.Lock()
	defer c.sudoMu.Unlock()
	st := c.sudo[user]
	if st == nil {
		st = &sudoState{mu: make(chan struct{}, 1), verified: map[[32]byte]bool{}}
		c.sudo[user] = st
	}
	return st
}

func (st *sudoState) lock(ctx context.Context) error {
	select {
	case st.mu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (st *sudoState) unlock() { <-st.mu }

// sudoArgs is "sudo FLAGS [-u USER] -- true" as a quoted line.
func sudoArgs(user string, flags ...string) string {
	args := append([]string{"sudo"}, flags...)
	if user != "" {
		args = append(args, "-u", user)
	}
	return transport.QuoteArgs(append(args, "--", "true"))
}

func (c *Conn) userAtHost() string { return c.res.target.user + "@" + c.hostName() }

// runBecome runs cmd through sudo. Whether sudo wants a password is found
// out once per become user (`sudo -n true`); only then is the password
// (from the Cmd, else Config.BecomePassword) checked once with
// `sudo -k -S true`, and fed as the first line of stdin, never on a
// command line. A wrong password is an error, found without running cmd.
func (c *Conn) runBecome(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	user := cmd.Become.User
	pw := cmd.Become.Password
	if pw == "" {
		pw = c.cfg.BecomePassword
	}
	line, err := transport.ShellLine(cmd)
	if err != nil {
		return nil, err
	}
	st := c.sudoFor(user)
	needsPw, err := c.sudoNeedsPassword(ctx, st, user)
	if err != nil {
		return nil, c.scrubErr(err, pw)
	}
	stdin := cmd.Stdin
	if needsPw {
		if pw == "" {
			return nil, fmt.Errorf("sudo on %s requires a password and none was given: run with -K (--ask-become-pass) or set ansible_become_password", c.userAtHost())
		}
		if err := c.verifySudoPassword(ctx, st, user, pw); err != nil {
			return nil, c.scrubErr(err, pw)
		}
		first := strings.NewReader(pw + "\n")
		if stdin == nil {
			stdin = first
		} else {
			stdin = io.MultiReader(first, stdin)
		}
	}
	res, err := c.exec(ctx, line, stdin, cmd)
	if err != nil {
		return nil, c.scrubErr(err, pw)
	}
	if res.ExitCode == 1 && sudoAuthFailed(res.Stderr) {
		// sudo changed its mind (password changed, cached credentials
		// expired, a PAM hiccup): forget what we knew.
		_ = st.lock(context.Background())
		st.probed, st.verified = false, map[[32]byte]bool{}
		st.unlock()
		if !needsPw {
			return nil, fmt.Errorf("sudo on %s asked for a password although `sudo -n true` did not", c.userAtHost())
		}
		// sudo refused before the command started, so it is safe to run it
		// once more if the password still checks out — but only when the
		// password was its only input: a failed sudo may have eaten part of
		// a caller's stdin.
		if cmd.Stdin != nil || c.verifySudoPassword(ctx, st, user, pw) != nil {
			return nil, c.incorrectSudoPassword()
		}
		if res, err = c.exec(ctx, line, strings.NewReader(pw+"\n"), cmd); err != nil {
			return nil, c.scrubErr(err, pw)
		}
		if res.ExitCode == 1 && sudoAuthFailed(res.Stderr) {
			return nil, c.incorrectSudoPassword()
		}
	}
	return res, nil
}

func (c *Conn) incorrectSudoPassword() error {
	return fmt.Errorf("incorrect sudo password for %s: check the password given with -K or ansible_become_password", c.userAtHost())
}

func (c *Conn) sudoNeedsPassword(ctx context.Context, st *sudoState, user string) (bool, error) {
	if err := st.lock(ctx); err != nil {
		return false, err
	}
	defer st.unlock()
	if st.probed {
		return st.needsPw, nil
	}
	res, err := c.exec(ctx, sudoArgs(user, "-n"), nil, nil)
	if err != nil {
		return false, err
	}
	switch {
	case res.ExitCode == 0:
		st.needsPw = false
	case res.ExitCode == 127:
		return false, fmt.Errorf("sudo is not installed on %s: install it, or connect as root (ansible_user=root) without become", c.hostName())
	default:
		st.needsPw = true
	}
	st.probed = true
	return st.needsPw, nil
}

// verifySudoPassword runs `sudo -k -S -p ” true` once with the password:
// -k makes sudo ignore cached credentials, so the check is real. sudo
// re-prompts after a wrong password; stdin ends after one line, so it
// fails at once instead of waiting.
func (c *Conn) verifySudoPassword(ctx context.Context, st *sudoState, user, pw string) error {
	digest := sha256.Sum256([]byte(pw))
	if err := st.lock(ctx); err != nil {
		return err
	}
	defer st.unlock()
	if st.verified[digest] {
		return nil
	}
	res, err := c.exec(ctx, sudoArgs(user, "-k", "-S", "-p", ""), strings.NewReader(pw+"\n"), nil)
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		st.verified[digest] = true
		return nil
	}
	if sudoAuthFailed(res.Stderr) {
		return c.incorrectSudoPassword()
	}
	msg := strings.TrimSpace(string(firstLine(res.Stderr)))
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", res.ExitCode)
	}
	return fmt.Errorf("sudo refused on %s: %s", c.userAtHost(), msg)
}

// sudoAuthFailed recognises sudo's messages for a missing or wrong password.
func sudoAuthFailed(stderr []byte) bool {
	s := string(stderr)
	return strings.HasPrefix(s, "Sorry, try again.") ||
		strings.Contains(s, "incorrect password attempt") ||
		strings.Contains(s, "sudo: no password was provided") ||
		strings.HasPrefix(s, "sudo: a password is required")
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
