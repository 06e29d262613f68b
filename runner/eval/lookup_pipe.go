package eval

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"unicode"
)

// The pipe and lines lookups: a command run on the controller through
// /bin/sh in playbook_dir, as Ansible runs it (also in check mode: a lookup
// runs while the task's arguments are templated).

// runPipe runs one command and gives its standard output; a non-zero exit
// is an error naming the command (with what it wrote to stderr).
func runPipe(vars map[string]any, command string) (string, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = baseDir(vars)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := fmt.Sprintf("command %q failed: %v", command, err)
		if ee, ok := err.(*exec.ExitError); ok && ee.Exited() {
			msg = fmt.Sprintf("command %q returned %d", command, ee.ExitCode())
		}
		if e := strings.TrimSpace(stderr.String()); e != "" {
			msg += ": " + lastLines(e, 5)
		}
		return "", fmt.Errorf("%s", msg)
	}
	return stdout.String(), nil
}

// lastLines keeps the end of a command's error output.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lookupPipe gives each command's output, trailing whitespace stripped.
func lookupPipe(lc *lookupCall) ([]any, error) {
	out := make([]any, 0, len(lc.terms))
	for _, t := range lc.terms {
		s, err := runPipe(lc.vars, str(t))
		if err != nil {
			return nil, err
		}
		out = append(out, strings.TrimRightFunc(s, unicode.IsSpace))
	}
	return out, nil
}

// lookupLines gives the lines of each command's output.
func lookupLines(lc *lookupCall) ([]any, error) {
	out := []any{}
	for _, t := range lc.terms {
		s, err := runPipe(lc.vars, str(t))
		if err != nil {
			return nil, err
		}
		for _, l := range splitLinesPy(s) {
			out = append(out, l)
		}
	}
	return out, nil
}

// splitLinesPy is Python's str.splitlines for \n, \r\n and \r.
func splitLinesPy(s string) []string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
