package test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestWaitForConnectionOverRealSSH: the host stops answering (sshd frozen)
// while wait_for_connection runs; it keeps trying, each attempt bounded by
// connect_timeout, and carries on once the host answers again, on a new
// connection the next task uses.
func TestWaitForConnectionOverRealSSH(t *testing.T) {
	a := sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: web
  gather_facts: false
  tasks:
    - name: first
      shell: touch $DIR/ready
    - name: wait
      wait_for_connection: {delay: 1, sleep: 1, connect_timeout: 1, timeout: 40}
      register: w
    - name: after
      command: echo back after {{ w.elapsed }}s
      register: after
    - debug: {var: after.stdout}
`})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": a}, "")
	cmd := exec.Command(bin, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(dir, "ready"), 20*time.Second)
	a.Hang()
	time.Sleep(4 * time.Second)
	a.Signal(syscall.SIGCONT)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("runbook did not finish:\n%s", out.String())
	}
	s := out.String()
	if cmd.ProcessState.ExitCode() != 0 || !strings.Contains(s, "a                          : ok=4    changed=2    unreachable=0    failed=0") {
		t.Fatalf("exit %d:\n%s", cmd.ProcessState.ExitCode(), s)
	}
	if strings.Contains(s, "back after 0s") || strings.Contains(s, "back after 1s") || strings.Contains(s, "back after 2s") {
		t.Errorf("wait_for_connection did not wait for the frozen host:\n%s", s)
	}
}
