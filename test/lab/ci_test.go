package lab

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCITrapTearsDown sources ci.sh as .ci/run does, with make and apt-get
// replaced by stubs, and checks its EXIT trap: it runs make lab-down after
// a failing run, keeps the exit status, chains the trap set before, and
// when lab-down fails kills what is left of this lab directory's nodes
// (and nothing else). Needs neither root nor the lab.
func TestCITrapTearsDown(t *testing.T) {
	src, err := findSourceDir()
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(filepath.Dir(src))
	bin := t.TempDir()
	log := filepath.Join(bin, "make.log")
	stub := `#!/bin/sh
echo "$*" >>"$STUB_LOG"
case "$*" in *lab-down*) [ "$FAIL_DOWN" = 1 ] && exit 1 ;; esac
exit 0
`
	for _, name := range []string{"make", "apt-get"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	labDir := filepath.Join(t.TempDir(), "lab")
	// Stand-ins for a node init of this lab and of another lab.
	node := startWithEnv(t, "RUNBOOK_LAB_DIR="+labDir, "RUNBOOK_LAB_NODE=master0")
	stranger := startWithEnv(t, "RUNBOOK_LAB_DIR="+labDir+"-other", "RUNBOOK_LAB_NODE=master0")

	script := `set -euo pipefail
trap 'echo "previous trap saw $?"' EXIT
. test/lab/ci.sh
echo "tests run with RUNBOOK_LAB=$RUNBOOK_LAB"
exit 3`
	for _, failDown := range []string{"0", "1"} {
		_ = os.Remove(log)
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "STUB_LOG="+log,
			"FAIL_DOWN="+failDown, "RUNBOOK_LAB_DIR="+labDir)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("FAIL_DOWN=%s: exit %v, want 3:\n%s", failDown, err, out)
		}
		s := string(out)
		if !strings.Contains(s, "tests run with RUNBOOK_LAB=required") || !strings.Contains(s, "previous trap saw 3") ||
			strings.Index(s, "lab: tearing down") > strings.Index(s, "previous trap saw 3") {
			t.Fatalf("FAIL_DOWN=%s: output:\n%s", failDown, s)
		}
		calls, _ := os.ReadFile(log)
		if got := strings.Fields(strings.ReplaceAll(string(calls), "\n", " | ")); strings.Join(got, " ") != "-s lab-up | -s lab-down |" {
			t.Fatalf("FAIL_DOWN=%s: make calls %q", failDown, calls)
		}
		if failDown == "0" && !node.running() {
			t.Fatal("a successful lab-down still killed processes")
		}
	}
	if node.killedBy(5*time.Second) != syscall.SIGKILL {
		t.Fatal("a node of the lab survived the failed lab-down")
	}
	if !stranger.running() {
		t.Fatal("the fallback killed a node of another lab directory")
	}
}

// sleeper is a long sleep started by a test, reaped in the background.
type sleeper struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startWithEnv starts a sleeper with extra environment; it is killed at the
// end of the test.
func startWithEnv(t *testing.T, env ...string) *sleeper {
	t.Helper()
	s := &sleeper{cmd: exec.Command("sleep", "300"), done: make(chan struct{})}
	s.cmd.Env = append(os.Environ(), env...)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); <-s.done })
	return s
}

func (s *sleeper) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return alive(s.cmd.Process.Pid)
	}
}

// killedBy waits (bounded) for the sleeper to end and returns the signal
// that ended it, or 0.
func (s *sleeper) killedBy(timeout time.Duration) syscall.Signal {
	select {
	case <-s.done:
	case <-time.After(timeout):
		return 0
	}
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}
