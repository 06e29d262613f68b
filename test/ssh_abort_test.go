package test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestDoubleInterruptEndsRemoteCommands: two Ctrl-C abort the running
// task, and its remote processes end on every host: a root login (where
// OpenSSH refuses "signal") and a sudo user with become (where the command
// runs as root), through real OpenSSH and real sudo.
func TestDoubleInterruptEndsRemoteCommands(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	root := sshd.Start(t, sshd.Options{})
	sudo := sshd.Start(t, sshd.Options{Users: []string{becomeUser}})
	token := fmt.Sprintf("%d.%06d", 8000+rand.IntN(1000), rand.IntN(1000000)) // a sleep nothing else runs
	t.Cleanup(func() {
		for _, pid := range sshd.WithArg(token) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // leftovers of a failed run; gone already: fine
		}
	})
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n" +
		"    - {name: long, shell: 'sleep " + token + "'}\n    - {name: never, command: 'true'}\n"})
	inv := fmt.Sprintf("[web]\n"+
		"r ansible_host=%s ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s\n"+
		"s ansible_host=%s ansible_port=%d ansible_user=%s ansible_ssh_private_key_file=%s ansible_become=true ansible_become_password=%s\n",
		root.Host, root.Port, root.KeyPath, sudo.Host, sudo.Port, u.Name, sudo.KeyPath, u.Password)
	kh := readFile(t, root.KnownHosts) + readFile(t, sudo.KnownHosts)
	for name, content := range map[string]string{"hosts": inv, "known_hosts": kh} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(bin, "play", "site.yaml", "-i", "hosts", "--known-hosts", "known_hosts")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := sshd.WaitArg(token, 20*time.Second, func(n int) bool { return n >= 2 })
	if len(started) < 2 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the remote commands never started on both hosts (%d seen):\n%s", len(started), out.String())
	}
	var asRoot int
	for _, pid := range started {
		if st, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil && st.Sys().(*syscall.Stat_t).Uid == 0 {
			asRoot++
		}
	}
	if asRoot < 2 {
		t.Errorf("both commands should run as root (one by login, one by sudo): %d do", asRoot)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(200 * time.Millisecond)
	interrupted := time.Now()
	_ = cmd.Process.Signal(syscall.SIGINT)
	waitAtMostAMinute(t, cmd)
	if took := time.Since(interrupted); took > 10*time.Second {
		t.Errorf("runbook took %v to exit after the second interrupt", took)
	}
	if left := sshd.WaitArg(token, time.Second, func(n int) bool { return n == 0 }); len(left) > 0 {
		t.Errorf("remote commands still running after the abort: %v\n%s", left, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "aborting running tasks") || strings.Contains(s, "TASK [never]") {
		t.Errorf("output:\n%s", s)
	}
}
