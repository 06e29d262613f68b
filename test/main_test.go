// Package test drives the built runbook binary the way an operator does and
// asserts on its output, registered results and exit codes.
package test

import (
	"github.com/runbook-dev/runbook/test/internal/runbookbin"
	"github.com/runbook-dev/runbook/test/lab"

	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bin is the runbook binary under test, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	var cleanup func()
	var err error
	bin, cleanup, err = runbookbin.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := lab.AfterTests(); err != nil && code == 0 { // stop a lab these tests started
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	cleanup()
	os.Exit(code)
}

// result is one invocation of the binary.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// runbook runs the binary in dir with args; it never waits more than a minute.
func runbook(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=", "HOME="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// waitAtMostAMinute waits for a started command, killing it and failing the
// test when it has not finished within a minute.
func waitAtMostAMinute(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not finish within a minute", cmd.Args)
	}
}

// workdir writes files into a fresh directory.
func workdir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "$DIR", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const localHosts = "[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\n"

func mustContain(t *testing.T, r result, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("output lacks %q\n%s", p, r)
		}
	}
}
