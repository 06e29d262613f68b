package ssh

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

var (
	fakeSudoDir   string          // holds the test stand-in for sudo
	testHome      string          // ~ for the package under test
	clientKeyPath string          // an unencrypted client key
	clientPub     gossh.PublicKey // its public half
)

// fakeSudo mimics sudo -S -p ” [-n] [-k] [-u USER] -- CMD: it wants
// $FAKE_SUDO_PASSWORD on stdin ("" = NOPASSWD), re-prompts like sudo and
// gives up after three wrong passwords or at end of input.
const fakeSudo = `#!/bin/sh
nonint=0
while [ $# -gt 0 ]; do
  case $1 in
    -S|-k) shift ;;
    -n) nonint=1; shift ;;
    -p|-u) shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ -n "$FAKE_SUDO_PASSWORD" ]; then
  if [ $nonint = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
  # A sudo that said it wants a password, then does not read it.
  if [ -n "$FAKE_SUDO_LIE" ] && [ "$1" != true ]; then exec "$@"; fi
  # A sudo whose PAM fails once (the file is the one-shot trigger) on a
  # command other than the password check, without running it.
  if [ -n "$FAKE_SUDO_HICCUP" ] && [ "$1" != true ] && rm "$FAKE_SUDO_HICCUP" 2>/dev/null; then
    echo "Sorry, try again." >&2; echo "sudo: 1 incorrect password attempt" >&2; exit 1
  fi
  tries=0
  while :; do
    if ! IFS= read -r pw; then
      echo "sudo: no password was provided" >&2
      [ $tries -gt 0 ] && echo "sudo: $tries incorrect password attempt" >&2
      exit 1
    fi
    [ "$pw" = "$FAKE_SUDO_PASSWORD" ] && break
    tries=$((tries+1))
    if [ $tries -ge 3 ]; then echo "sudo: 3 incorrect password attempts" >&2; exit 1; fi
    echo "Sorry, try again." >&2
  done
fi
exec "$@"
`

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if to := os.Getenv("RUNBOOK_TEST_PROXY_TO"); to != "" {
		return proxyHelper(to)
	}
	dir, err := os.MkdirTemp("", "runbook-ssh-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testHome = filepath.Join(dir, "home")
	fakeSudoDir = filepath.Join(dir, "bin")
	for _, d := range []string{filepath.Join(testHome, ".ssh"), fakeSudoDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	userHomeDir = func() (string, error) { return testHome, nil }
	if err := os.WriteFile(filepath.Join(fakeSudoDir, "sudo"), []byte(fakeSudo), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if clientKeyPath, clientPub, err = writeKeyFile(dir, "client_key", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if itCleanup != nil {
			itCleanup()
		}
	}()
	return m.Run()
}

// logBuffer collects Logf output.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// clientConfig is a Config for s that trusts its host key and uses the
// test client key.
func (s *testServer) clientConfig(t testing.TB) Config {
	t.Helper()
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(s.knownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(sc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		Name: "web1", Addr: "127.0.0.1", Port: s.port, User: "tester",
		KeyFiles: []string{clientKeyPath}, KnownHostsFile: kh, SSHConfigFile: sc,
		Timeout: 3 * time.Second, Logf: (&logBuffer{}).logf,
	}
}

// dial connects or fails the test; the Conn is closed at cleanup.
func dial(t testing.TB, cfg Config) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// keyServer is a test server accepting the test client key.
func keyServer(t testing.TB, opts ...serverOpt) (*testServer, Config) {
	s := newTestServer(t, append([]serverOpt{withKey(clientPub)}, opts...)...)
	return s, s.clientConfig(t)
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// proxyHelper is a ProxyCommand stand-in (the test binary run again): it
// appends its arguments to $RUNBOOK_TEST_PROXY_LOG, then relays stdin and
// stdout to the TCP address to.
func proxyHelper(to string) int {
	if log := os.Getenv("RUNBOOK_TEST_PROXY_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(f, strings.Join(os.Args[1:], " "))
		f.Close()
	}
	conn, err := net.DialTimeout("tcp", to, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy helper:", err)
		return 1
	}
	go func() {
		_, _ = io.Copy(conn, os.Stdin)
		conn.(*net.TCPConn).CloseWrite()
	}()
	_, _ = io.Copy(os.Stdout, conn)
	return 0
}
