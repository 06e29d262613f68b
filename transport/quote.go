package transport

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Quote returns s as a single POSIX shell word.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// QuoteArgs quotes every argument and joins them with spaces.
func QuoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ShellLine turns cmd into one line for /bin/sh: environment assignments,
// a cd, sudo, and the command itself, every value quoted. Transports that
// can only pass a command string (SSH) use it; the password for sudo is not
// part of the line, it goes to stdin (see Become).
func ShellLine(cmd *Cmd) (string, error) {
	if err := CheckNUL(cmd); err != nil {
		return "", err
	}
	var b strings.Builder
	if cmd.Dir != "" {
		b.WriteString("cd " + Quote(cmd.Dir) + " && ")
	}
	if cmd.Become != nil {
		b.WriteString("sudo -S -p '' ")
		if cmd.Become.User != "" {
			b.WriteString("-u " + Quote(cmd.Become.User) + " ")
		}
		b.WriteString("-- ")
	}
	if len(cmd.Env) > 0 {
		names := make([]string, 0, len(cmd.Env))
		for k := range cmd.Env {
			if !envName.MatchString(k) {
				return "", fmt.Errorf("invalid environment variable name %q", k)
			}
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteString("env ")
		for _, k := range names {
			b.WriteString(k + "=" + Quote(cmd.Env[k]) + " ")
		}
	}
	switch {
	case cmd.Shell != "":
		b.WriteString("/bin/sh -c " + Quote(cmd.Shell))
	case len(cmd.Args) > 0:
		b.WriteString(QuoteArgs(cmd.Args))
	default:
		return "", fmt.Errorf("empty command")
	}
	return b.String(), nil
}

// CheckNUL refuses a command with a NUL byte in its arguments, script,
// environment, directory or become user: no command line can carry one
// (sshd drops the channel, which would look like a lost host), so it is the
// task's error. The value itself is not quoted: it may be a secret.
func CheckNUL(cmd *Cmd) error {
	const nul = "\x00"
	bad := ""
	switch {
	case strings.Contains(cmd.Shell, nul):
		bad = "the shell script"
	case strings.Contains(cmd.Dir, nul):
		bad = "the working directory"
	case cmd.Become != nil && strings.Contains(cmd.Become.User, nul):
		bad = "the become user"
	}
	for i, a := range cmd.Args {
		if bad == "" && strings.Contains(a, nul) {
			bad = fmt.Sprintf("argument %d", i)
		}
	}
	for k, v := range cmd.Env {
		if bad == "" && strings.Contains(v, nul) {
			bad = "environment variable " + k
		}
	}
	if bad != "" {
		return fmt.Errorf("%s contains a NUL byte, which no command line can carry", bad)
	}
	return nil
}
