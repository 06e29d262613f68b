package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/runbook-dev/runbook/transport"
)

// These tests talk to real OpenSSH servers started by sshd_harness_test.go.

func TestIntegrationKeyAuthAndFiles(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	c := dial(t, sshdConfig(t, p, env, itUser))
	if got := runOK(t, c, "id", "-un"); got != itUser+"\n" {
		t.Fatalf("whoami: %q", got)
	}
	ctx := ctxTimeout(t, 30*time.Second)
	dir := runOK(t, c, "mktemp", "-d")
	dir = strings.TrimSpace(dir)
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := make([]byte, 5<<20+11)
	rand.Read(data)
	target := dir + "/big file's"
	if err := c.WriteFile(ctx, target, bytes.NewReader(data), transport.WriteOptions{Mode: 0o640, UID: -1, GID: -1}); err != nil {
		t.Fatal(err)
	}
	var back bytes.Buffer
	if err := c.ReadFile(ctx, target, &back); err != nil || !bytes.Equal(back.Bytes(), data) {
		t.Fatalf("ReadFile: %v (%d bytes)", err, back.Len())
	}
	fi, err := c.Stat(ctx, target)
	if err != nil || fi.Size != int64(len(data)) || fi.Mode.Perm() != 0o640 || fi.UID != env.uid {
		t.Fatalf("Stat: %+v %v", fi, err)
	}
	sum := sha256.Sum256(data)
	if got, err := c.Checksum(ctx, target); err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Checksum: %q %v", got, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}

	// Cancelling signals the remote command (OpenSSH honours "signal").
	cctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.Run(cctx, &transport.Cmd{Shell: "sleep 2; touch " + dir + "/late"}); err != context.DeadlineExceeded {
		t.Fatalf("cancel: %v", err)
	}
	time.Sleep(2300 * time.Millisecond)
	if _, err := os.Stat(dir + "/late"); err == nil {
		t.Fatal("the cancelled command kept running")
	}
}

func TestIntegrationPasswordAuth(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.KeyFiles = []string{filepath.Join(t.TempDir(), "no-such-key")}
	cfg.Password = env.password
	runOK(t, dial(t, cfg), "true")

	cfg.Password = "not-the-password"
	_, err := Dial(ctxTimeout(t, 15*time.Second), cfg)
	if !transport.IsUnreachable(err) || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), cfg.Password) {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestIntegrationAgentAuth(t *testing.T) {
	// Not parallel: sets SSH_AUTH_SOCK.
	env := requireSSHD(t)
	p := startSSHD(t, env)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agentCmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agentCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agentCmd.Process.Kill(); agentCmd.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for _, err := os.Stat(sock); err != nil; _, err = os.Stat(sock) {
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent socket did not appear")
		}
		time.Sleep(20 * time.Millisecond)
	}
	add := exec.Command("ssh-add", env.keyPath)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.KeyFiles = []string{filepath.Join(t.TempDir(), "no-such-key")}
	cfg.UseAgent = true
	runOK(t, dial(t, cfg), "true")
}

func TestIntegrationKnownHosts(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	_, err := Dial(ctxTimeout(t, 10*time.Second), cfg)
	if hk := hostKeyErr(t, err); !hk.Unknown || !strings.Contains(err.Error(), "--accept-new-host-keys") {
		t.Fatalf("unknown: %v", err)
	}
	cfg.AcceptNewHostKeys = true
	dial(t, cfg)
	data, _ := os.ReadFile(cfg.KnownHostsFile)
	if string(data) != knownhosts.Line([]string{p.Addr}, p.HostKey)+"\n" {
		t.Fatalf("recorded %q", data)
	}
	// The same address with another key: refused even with accept-new.
	writeFile(t, cfg.KnownHostsFile, knownhosts.Line([]string{p.Addr}, newSigner(t).PublicKey())+"\n")
	_, err = Dial(ctxTimeout(t, 10*time.Second), cfg)
	if hk := hostKeyErr(t, err); !hk.Changed {
		t.Fatalf("changed: %v", err)
	}
}

func TestIntegrationSudo(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.BecomePassword = env.password
	c := dial(t, cfg)
	ctx := ctxTimeout(t, 60*time.Second)
	res := run(t, c, &transport.Cmd{Args: []string{"id", "-un"}, Become: &transport.Become{}})
	if string(res.Stdout) != "root\n" {
		t.Fatalf("become root: %+v", res)
	}
	res = run(t, c, &transport.Cmd{Args: []string{"sh", "-c", "id -un; cat"}, Stdin: strings.NewReader("input\n"),
		Become: &transport.Become{User: itNoPwUser}})
	if string(res.Stdout) != itNoPwUser+"\ninput\n" {
		t.Fatalf("become %s: %+v", itNoPwUser, res)
	}

	// A root-only directory, written through sudo: owner and mode kept.
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	target := filepath.Join(dir, "root.conf")
	writeFile(t, target, "old")
	os.Chmod(target, 0o604)
	os.Chown(target, 0, 5)
	opts := transport.WriteOptions{UID: -1, GID: -1, Become: &transport.Become{}}
	if err := c.WriteFile(ctx, target, strings.NewReader("new content\n"), opts); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(target); string(data) != "new content\n" {
		t.Fatalf("content %q", data)
	}
	st, _ := os.Stat(target)
	if sys := st.Sys().(*syscall.Stat_t); st.Mode().Perm() != 0o604 || sys.Uid != 0 || sys.Gid != 5 {
		t.Fatalf("mode/owner: %v %d:%d", st.Mode(), sys.Uid, sys.Gid)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}

	// Wrong password: a clear error, quickly (sudo's own delay included).
	bad := sshdConfig(t, p, env, itUser)
	bad.BecomePassword = "wrong-sudo-password"
	cb := dial(t, bad)
	start := time.Now()
	_, err := cb.Run(ctx, &transport.Cmd{Args: []string{"true"}, Become: &transport.Become{}})
	if err == nil || err.Error() != fmt.Sprintf("incorrect sudo password for %s@%s: check the password given with -K or ansible_become_password", itUser, bad.Name) {
		t.Fatalf("wrong sudo password: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("wrong sudo password took %v", d)
	}
}

func TestIntegrationSudoNoPassword(t *testing.T) {
	t.Parallel()
	env := requireSSHD(t)
	p := startSSHD(t, env)
	c := dial(t, sshdConfig(t, p, env, itNoPwUser))
	res := run(t, c, &transport.Cmd{Args: []string{"sh", "-c", "id -un; cat"}, Stdin: strings.NewReader("x"), Become: &transport.Become{}})
	if string(res.Stdout) != "root\nx" {
		t.Fatalf("got %+v", res)
	}
}

func TestIntegrationJumpHost(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	env := requireSSHD(t)
	jump := startSSHD(t, env)
	target := startSSHD(t, env)
	cfg := sshdConfig(t, target, env, itUser)
	cfg.JumpHost = fmt.Sprintf("%s@%s:%d", itUser, jump.Host, jump.Port)
	// Unknown jump host key: refused like any host.
	if _, err := Dial(ctxTimeout(t, 10*time.Second), cfg); !strings.Contains(fmt.Sprint(err), jump.Addr) {
		t.Fatalf("unknown jump host: %v", err)
	}
	kh, _ := os.ReadFile(cfg.KnownHostsFile)
	writeFile(t, cfg.KnownHostsFile, string(kh)+knownhosts.Line([]string{jump.Addr}, jump.HostKey)+"\n")
	cfg.Timeout = time.Second
	c := dial(t, cfg)
	if got := runOK(t, c, "sh", "-c", "echo $SSH_CONNECTION"); !strings.Contains(got, target.Host+" "+fmt.Sprint(target.Port)) {
		t.Fatalf("SSH_CONNECTION %q", got)
	}
	if d := waitUnreachable(t, c, jump.Kill); d > cfg.Timeout {
		t.Fatalf("losing the jump host took %v", d)
	}
}

func TestIntegrationSSHDKilledMidRun(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	env := requireSSHD(t)
	p := startSSHD(t, env)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.Timeout = time.Second
	c := dial(t, cfg)
	if d := waitUnreachable(t, c, p.Kill); d > cfg.Timeout {
		t.Fatalf("took %v", d)
	}
}

func TestIntegrationSSHDHung(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	env := requireSSHD(t)
	p := startSSHD(t, env)
	cfg := sshdConfig(t, p, env, itUser)
	cfg.Timeout = time.Second
	c := dial(t, cfg)
	limit := cfg.Timeout + keepaliveInterval(cfg.Timeout) + 500*time.Millisecond
	if d := waitUnreachable(t, c, p.Hang); d > limit {
		t.Fatalf("took %v, want at most %v", d, limit)
	}
}

func TestIntegrationSilentListener(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	env := requireSSHD(t)
	_ = env
	ln, err := net.Listen("tcp", nextLoopback()+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	held := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	t.Cleanup(func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	})
	a := ln.Addr().(*net.TCPAddr)
	start := time.Now()
	_, err = Dial(context.Background(), Config{Name: "mute", Addr: a.IP.String(), Port: a.Port, User: itUser, Timeout: 500 * time.Millisecond})
	if !transport.IsUnreachable(err) || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}
