package sshd_test

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/runbook-dev/runbook/test/sshd"
)

func TestServerLoginAndKill(t *testing.T) {
	s := sshd.Start(t, sshd.Options{})
	if !strings.HasPrefix(s.Host, "127.0.11.") {
		t.Fatalf("server on %s: the harness must stay on 127.0.11.0/24", s.Host)
	}
	cb, err := knownhosts.New(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	signer := loadKey(t, s.KeyPath)
	c, err := gossh.Dial("tcp", s.Addr, &gossh.ClientConfig{User: "root", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: cb, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("login: %v\n%s", err, s.Log())
	}
	sess, _ := c.NewSession()
	out, err := sess.Output("id -u")
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("id -u = %q, %v", out, err)
	}
	c.Close()
	s.Kill()
	if conn, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		conn.Close()
		t.Error("a killed server still accepts connections")
	}
}

// WatchArgs sees a secret in any process's command line, and nothing else.
func TestWatchArgsSeesASecretInArguments(t *testing.T) {
	secret := "argv-canary-" + strconv.Itoa(os.Getpid())
	unused := sshd.WatchArgs(secret + "-unused")
	stop := sshd.WatchArgs(secret)
	if err := exec.Command("/bin/sh", "-c", "sleep 0.3", secret).Run(); err != nil {
		t.Fatal(err)
	}
	if seen := stop(); !strings.Contains(seen, secret) {
		t.Errorf("WatchArgs missed %q on a command line (saw %q)", secret, seen)
	}
	if seen := unused(); seen != "" {
		t.Errorf("WatchArgs reports %q for a secret nobody used", seen)
	}
}

// WithArg finds a process by one exact argument (not a part of one), and
// WaitArg sees it go.
func TestWithArgFindsProcessesByArgument(t *testing.T) {
	token := "arg-canary-" + strconv.Itoa(os.Getpid())
	// A shell builtin waiting on a pipe: no child process to leave behind.
	cmd := exec.Command("/bin/sh", "-c", "read x", token)
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	if got := sshd.WaitArg(token, 5*time.Second, func(n int) bool { return n == 1 }); len(got) != 1 || got[0] != cmd.Process.Pid {
		t.Fatalf("WithArg(%q) = %v, want [%d]", token, got, cmd.Process.Pid)
	}
	if got := sshd.WithArg(token[:len(token)-1]); len(got) != 0 {
		t.Errorf("a part of an argument matched: %v", got)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if got := sshd.WaitArg(token, 5*time.Second, func(n int) bool { return n == 0 }); len(got) != 0 {
		t.Errorf("still seen after exit: %v", got)
	}
}
