// Package sshd starts private OpenSSH servers on loopback addresses
// 127.0.11.x for tests: real sshd, real SFTP, real authentication. Each
// server has its own host key, config and client key; everything it started
// is killed at the end of the test.
package sshd

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Path is the OpenSSH server binary.
const Path = "/usr/sbin/sshd"

// Options configures a server.
type Options struct {
	// Users allowed to log in (AllowUsers); default root.
	Users []string
	// AuthorizedKeys is the authorized_keys file to use; default: a fresh
	// client key (Server.KeyPath) is generated and authorized.
	AuthorizedKeys string
	// PasswordAuth enables password and keyboard-interactive logins.
	PasswordAuth bool
	// Extra is appended to sshd_config (for a keyword already set, sshd
	// keeps the first value: use the fields above).
	Extra string
	// LogLevel is sshd's LogLevel; default VERBOSE. DEBUG also logs the
	// negotiated cipher, MAC and compression of each connection.
	LogLevel string
}

// Server is one running sshd.
type Server struct {
	Host    string // 127.0.11.x
	Port    int
	Addr    string // host:port
	HostKey gossh.PublicKey
	// KnownHosts is a known_hosts file trusting this server's host key.
	KnownHosts string
	// KeyPath is the client private key authorized for Users (when
	// Options.AuthorizedKeys was empty).
	KeyPath string
	Dir     string

	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
}

// Require skips the test when real sshd tests cannot run here (no sshd
// binary, not root), unless RUNBOOK_REQUIRE_SSHD=1, which makes that a
// failure so CI cannot pass by skipping.
func Require(t testing.TB) {
	t.Helper()
	if why := unavailable(); why != "" {
		if os.Getenv("RUNBOOK_REQUIRE_SSHD") == "1" {
			t.Fatalf("RUNBOOK_REQUIRE_SSHD=1 but %s", why)
		}
		t.Skip(why)
	}
}

// Available reports whether real sshd tests can run here.
func Available() bool { return unavailable() == "" }

func unavailable() string {
	if _, err := os.Stat(Path); err != nil {
		return Path + " is missing (apt-get install openssh-server)"
	}
	if os.Geteuid() != 0 {
		return "real sshd tests need root"
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		return "ssh-keygen is missing (apt-get install openssh-client)"
	}
	return ""
}

// Start starts a server and registers its teardown with t (the test is
// skipped or failed as Require says when sshd cannot run here).
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	Require(t)
	s, err := Launch(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sshd %s log:\n%s", s.Addr, s.Log())
		}
		s.Close()
	})
	return s
}

// Launch starts a server that lives until Close. Every wait is bounded; a
// server that does not greet within 10 s is an error.
func Launch(opt Options) (*Server, error) {
	if why := unavailable(); why != "" {
		return nil, fmt.Errorf("cannot run sshd: %s", why)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation dir
		return nil, err
	}
	dir, err := os.MkdirTemp("", "runbook-sshd-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir}
	if err := s.launch(opt); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) launch(opt Options) error {
	// sshd reads authorized_keys as the logging-in user: keep the dir open.
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	hostKey := filepath.Join(s.Dir, "host_ed25519")
	if err := run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKey); err != nil {
		return err
	}
	pub, err := readPublicKey(hostKey + ".pub")
	if err != nil {
		return err
	}
	s.HostKey = pub
	if opt.AuthorizedKeys == "" {
		keyPath, clientPub, err := newClientKey(s.Dir)
		if err != nil {
			return err
		}
		s.KeyPath = keyPath
		opt.AuthorizedKeys = filepath.Join(s.Dir, "authorized_keys")
		if err := os.WriteFile(opt.AuthorizedKeys, gossh.MarshalAuthorizedKey(clientPub), 0o644); err != nil {
			return err
		}
	}
	if len(opt.Users) == 0 {
		opt.Users = []string{"root"}
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		if lastErr = s.try(opt, hostKey); lastErr == nil {
			s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
			line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey) + "\n"
			return os.WriteFile(s.KnownHosts, []byte(line), 0o644)
		}
	}
	return fmt.Errorf("sshd did not start: %w", lastErr)
}

// Close kills the server and removes its files.
func (s *Server) Close() {
	s.Kill()
	_ = os.RemoveAll(s.Dir) // temp dir: nothing to do if it cannot be removed
}

// pickAddress returns a free port on a random 127.0.11.x address; several
// test processes run at once, so addresses are spread and retried.
func pickAddress() (string, int, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(253))
	if err != nil {
		return "", 0, err
	}
	host := fmt.Sprintf("127.0.11.%d", 2+n.Int64())
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		return "", 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return host, port, ln.Close()
}

func (s *Server) try(opt Options, hostKey string) error {
	host, port, err := pickAddress()
	if err != nil {
		return err
	}
	pw := "no"
	if opt.PasswordAuth {
		pw = "yes"
	}
	rootLogin := "no"
	for _, u := range opt.Users {
		if u == "root" {
			rootLogin = "prohibit-password"
			if opt.PasswordAuth {
				rootLogin = "yes"
			}
		}
	}
	logLevel := opt.LogLevel
	if logLevel == "" {
		logLevel = "VERBOSE"
	}
	conf := filepath.Join(s.Dir, "sshd_config")
	text := fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
PidFile %s/sshd.pid
AuthorizedKeysFile %s
UsePAM no
StrictModes no
PasswordAuthentication %s
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin %s
AllowUsers %s
AllowTcpForwarding yes
UseDNS no
PrintMotd no
MaxStartups 200
MaxSessions 20
Subsystem sftp internal-sftp
LogLevel %s
%s
`, host, port, hostKey, s.Dir, opt.AuthorizedKeys, pw, rootLogin, strings.Join(opt.Users, " "), logLevel, opt.Extra)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	s.Host, s.Port, s.Addr = host, port, net.JoinHostPort(host, strconv.Itoa(port))
	s.log, s.exited = &syncBuffer{}, make(chan struct{})
	s.cmd = exec.Command(Path, "-D", "-e", "-f", conf)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	exited := s.exited
	cmd := s.cmd
	go func() { _ = cmd.Wait(); close(exited) }() // exit status is not interesting: we kill it
	if err := s.waitReady(10 * time.Second); err != nil {
		s.Kill()
		return fmt.Errorf("%w; log:\n%s", err, s.log)
	}
	return nil
}

// waitReady waits until sshd greets on its port.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd not ready on %s after %s", s.Addr, limit)
}

// Kill stops the server and every process it started (per-connection
// children included) at once, like a host that loses power.
func (s *Server) Kill() { s.Signal(syscall.SIGKILL) }

// Hang freezes the server and its children (SIGSTOP): connections stay
// open but nothing answers, like a host that hangs.
func (s *Server) Hang() { s.Signal(syscall.SIGSTOP) }

// Signal sends sig to the server and all its descendants; for SIGKILL it
// waits (at most 5 s) for the server to exit.
func (s *Server) Signal(sig syscall.Signal) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	for _, pid := range Descendants(s.cmd.Process.Pid) {
		_ = syscall.Kill(pid, sig) // a process may already be gone
	}
	if sig == syscall.SIGKILL {
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
		}
	}
}

// Log returns what sshd logged so far.
func (s *Server) Log() string {
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// Descendants returns root and every process below it, read from /proc
// before any is signalled.
func Descendants(root int) []int {
	children := map[int][]int{}
	eachProcess("stat", func(pid int, stat []byte) { // unreadable /proc: only root is returned
		// "pid (comm) state ppid ...": comm may contain spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			return
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			return
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], pid)
	})
	out := []int{root}
	for i := 0; i < len(out) && i < 10000; i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

func newClientKey(dir string) (string, gossh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "id_client")
	var buf bytes.Buffer
	if err := pem.Encode(&buf, block); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return "", nil, err
	}
	sshPub, err := gossh.NewPublicKey(pub)
	return path, sshPub, err
}

func readPublicKey(path string) (gossh.PublicKey, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey(text)
	return pub, err
}

func run(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
