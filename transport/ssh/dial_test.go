package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// silentListener accepts TCP connections and never says anything.
func silentListener(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestDialSilentListenerTimesOut(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	cfg := Config{Name: "mute", Addr: "127.0.0.1", Port: silentListener(t), User: "x",
		KnownHostsFile: filepath.Join(t.TempDir(), "kh"), Timeout: 500 * time.Millisecond}
	start := time.Now()
	_, err := Dial(context.Background(), cfg)
	elapsed := time.Since(start)
	if !transport.IsUnreachable(err) || !strings.Contains(err.Error(), "no answer within 500ms (is an SSH server on that port? check ansible_port)") {
		t.Fatalf("got %v", err)
	}
	if elapsed < 400*time.Millisecond || elapsed > 1500*time.Millisecond {
		t.Fatalf("failed after %v, want about 500ms", elapsed)
	}
}

func TestDialRefused(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err := Dial(context.Background(), Config{Name: "gone", Addr: "127.0.0.1", Port: port, Timeout: 500 * time.Millisecond})
	if !transport.IsUnreachable(err) || !strings.Contains(err.Error(), "host gone unreachable") ||
		!strings.Contains(err.Error(), "connection refused (is sshd listening there? check ansible_host and ansible_port)") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("the cause is lost: %#v", err)
	}
}

// waitUnreachable runs a long command and returns how long the failure
// caused by action took to surface.
func waitUnreachable(t *testing.T, c *Conn, action func()) time.Duration {
	t.Helper()
	// cat on an input that never ends: it runs until the connection drops,
	// and then ends by itself (a sleep would outlive the test).
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	errc := make(chan error, 1)
	go func() {
		_, err := c.Run(context.Background(), &transport.Cmd{Args: []string{"cat"}, Stdin: pr})
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	action()
	select {
	case err := <-errc:
		if !transport.IsUnreachable(err) {
			t.Fatalf("want UnreachableError, got %v", err)
		}
		return time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatal("Run still hanging 10s after the server went away")
	}
	return 0
}

func TestServerKilledMidRun(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	s, cfg := keyServer(t)
	cfg.Timeout = 500 * time.Millisecond
	c := dial(t, cfg)
	if d := waitUnreachable(t, c, s.kill); d > cfg.Timeout {
		t.Fatalf("took %v", d)
	}
	// The reconnect fails (nothing listens): unreachable, and from then on
	// at once.
	_, err := c.Run(context.Background(), &transport.Cmd{Args: []string{"true"}})
	if !transport.IsUnreachable(err) {
		t.Fatalf("after the kill: %v", err)
	}
	start := time.Now()
	if _, err := c.Stat(context.Background(), "/"); !transport.IsUnreachable(err) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("later ops must fail fast: %v after %v", err, time.Since(start))
	}
}

func TestServerHungMidRun(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	s, cfg := keyServer(t)
	cfg.Timeout = 500 * time.Millisecond
	c := dial(t, cfg)
	// Also an SFTP client, to show it fails too.
	if _, err := c.Stat(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.thaw)
	// Detection takes at most one keepalive interval plus the timeout.
	if d := waitUnreachable(t, c, s.freeze); d > cfg.Timeout+keepaliveInterval(cfg.Timeout)+300*time.Millisecond {
		t.Fatalf("took %v", d)
	}
	start := time.Now()
	if _, err := c.Stat(context.Background(), "/"); !transport.IsUnreachable(err) {
		t.Fatalf("Stat on a hung host: %v", err)
	}
	if d := time.Since(start); d > 2*cfg.Timeout {
		t.Fatalf("Stat took %v", d)
	}
}

func TestReconnectOnce(t *testing.T) {
	t.Parallel()
	s, cfg := keyServer(t)
	c := dial(t, cfg)
	if _, err := c.Stat(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	s.dropConns()
	time.Sleep(100 * time.Millisecond)
	runOK(t, c, "true")
	if _, err := c.Stat(context.Background(), "/"); err != nil {
		t.Fatalf("SFTP after reconnect: %v", err)
	}
	if accepted, _, _ := s.stats(); accepted != 2 {
		t.Fatalf("%d connections, want 2", accepted)
	}
}

func TestClosedConn(t *testing.T) {
	t.Parallel()
	_, cfg := keyServer(t)
	c := dial(t, cfg)
	c.Close()
	if _, err := c.Run(context.Background(), &transport.Cmd{Args: []string{"true"}}); !errors.Is(err, errClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if err := c.ReadFile(context.Background(), "/etc/hostname", &bytes.Buffer{}); !errors.Is(err, errClosed) {
		t.Fatalf("ReadFile after Close: %v", err)
	}
}

func TestJumpHost(t *testing.T) {
	// Not parallel: timing-sensitive, so it runs before the parallel tests.
	jump, _ := keyServer(t)
	target, cfg := keyServer(t, withPassword("target-only-pw"))
	cfg.Password = "target-only-pw"
	cfg.JumpHost = fmt.Sprintf("jumper@127.0.0.1:%d", jump.port)
	kh := jump.knownHostsLine() + "\n" + target.knownHostsLine() + "\n"
	writeFile(t, cfg.KnownHostsFile, kh)
	c := dial(t, cfg)
	runOK(t, c, "true")
	if _, err := c.Stat(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	_, _, jumpMethods := jump.stats()
	for _, m := range jumpMethods {
		if m != "publickey" {
			t.Fatalf("the target's password reached the jump host: %v", jumpMethods)
		}
	}
	// Losing the jump host is losing the target.
	if d := waitUnreachable(t, c, jump.kill); d > time.Second {
		t.Fatalf("took %v", d)
	}
}

// No secret ever appears in an error message.
func TestNoSecretsInErrors(t *testing.T) {
	t.Parallel()
	const pw, pass, become = "PW-topsecret-1", "PASS-topsecret-2", "BECOME-topsecret-3"
	s, cfg := keyServer(t, withPassword("other"), withFakeSudo("sudo-real"))
	path, _ := newKeyFile(t, t.TempDir(), "enc", "right-phrase")
	var errs []error
	bad := cfg
	bad.KeyFiles, bad.Password, bad.KeyPassphrase, bad.BecomePassword = []string{path}, pw, pass, become
	_, err := Dial(context.Background(), bad)
	errs = append(errs, err)
	good := cfg
	good.Password, good.BecomePassword = pw, become
	c := dial(t, good)
	_, err = c.Run(context.Background(), &transport.Cmd{Args: []string{"true"}, Become: &transport.Become{}})
	errs = append(errs, err)
	_, err = c.Run(context.Background(), &transport.Cmd{Args: []string{"echo"}, Become: &transport.Become{Password: pw + "x"}})
	errs = append(errs, err)
	errs = append(errs, c.WriteFile(context.Background(), "/nonexistent-dir/x", strings.NewReader(become), transport.KeepOwner()))
	errs = append(errs, c.WriteFile(context.Background(), "/nonexistent-dir/x", strings.NewReader("x"),
		transport.WriteOptions{UID: -1, GID: -1, Become: &transport.Become{Password: "sudo-real"}}))
	s.kill()
	_, err = c.Run(context.Background(), &transport.Cmd{Args: []string{"echo", pw}})
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: want an error", i)
		}
		for _, sec := range []string{pw, pass, become, "sudo-real", "right-phrase"} {
			if strings.Contains(err.Error(), sec) {
				t.Errorf("case %d: secret %q in %q", i, sec, err)
			}
		}
	}
}

// fullBacklogPort listens on 127.0.0.1 with a backlog of one and never
// accepts; once the queue is full the kernel drops further SYNs, so a
// connect hangs until its timeout, like a firewalled host.
func fullBacklogPort(t *testing.T) int {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skip("raw socket:", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	for i := 0; i < 8; i++ { // fill the queue; later connects hang
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			return port
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel kept accepting connections into a full backlog")
	return 0
}

func TestDialConnectTimeout(t *testing.T) {
	t.Parallel()
	port := fullBacklogPort(t)
	_, err := Dial(context.Background(), Config{Name: "slow", Addr: "127.0.0.1", Port: port, Timeout: 300 * time.Millisecond,
		KnownHostsFile: filepath.Join(t.TempDir(), "kh")})
	want := fmt.Sprintf("connecting to 127.0.0.1:%d: timed out after 300ms (is the host up and the port open? check ansible_host and ansible_port; -T allows longer)", port)
	if !transport.IsUnreachable(err) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v", err)
	}
}

// TestKeepaliveOnlyWhenIdle: a connection that keeps reading from the peer
// sends no keepalives (they cost CPU at a thousand hosts); a silent one
// does, so a dead peer is still found.
func TestKeepaliveOnlyWhenIdle(t *testing.T) {
	s, cfg := keyServer(t)
	cfg.Timeout = 1500 * time.Millisecond // keepalive after 500ms of silence
	c := dial(t, cfg)
	before := s.keepaliveCount()
	// 2.5 s of output every 10 ms: five idle intervals long, never idle.
	res := run(t, c, &transport.Cmd{Shell: "i=0; while [ $i -lt 250 ]; do echo x; sleep 0.01; i=$((i+1)); done"})
	if len(res.Stdout) != 500 {
		t.Fatalf("busy command: %+v", res)
	}
	// A fixed ticker would have sent about five; allow one for a stalled
	// machine.
	if n := s.keepaliveCount() - before; n > 1 {
		t.Errorf("%d keepalives on a busy connection", n)
	}
	mid := s.keepaliveCount()
	deadline := time.Now().Add(10 * time.Second)
	for s.keepaliveCount() == mid {
		if time.Now().After(deadline) {
			t.Fatal("no keepalive on an idle connection within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
