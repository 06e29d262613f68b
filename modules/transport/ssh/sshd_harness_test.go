package ssh

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The integration harness runs private OpenSSH servers (/usr/sbin/sshd -D)
// on 127.0.11.x only, as root, with two local users: runbooktest (sudo
// with its password) and runbooknopw (sudo NOPASSWD).
const (
	sshdPath      = "/usr/sbin/sshd"
	itUser        = "runbooktest"
	itNoPwUser    = "runbooknopw"
	itSudoersFile = "/etc/sudoers.d/runbooktest"
)

type itEnv struct {
	dir      string // shared: authorized_keys, client key
	password string // of both users (login and sudo)
	keyPath  string // client key authorized for both users
	uid, gid int    // of runbooktest
	home     string // of runbooktest
}

var (
	itOnce    sync.Once
	itShared  *itEnv
	itErr     error
	itNextIP  atomic.Int32
	itCleanup func()
)

// requireSSHD sets up (once) and returns the environment, or skips the
// test: unless RUNBOOK_REQUIRE_SSHD=1, which turns a skip into a failure.
func requireSSHD(t *testing.T) *itEnv {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("RUNBOOK_REQUIRE_SSHD") == "1" {
			t.Fatalf("RUNBOOK_REQUIRE_SSHD=1 but %s", why)
		}
		t.Skip(why)
	}
	if _, err := os.Stat(sshdPath); err != nil {
		skip(sshdPath + " is missing (apt-get install openssh-server)")
	}
	if os.Geteuid() != 0 {
		skip("the sshd integration tests must run as root (they create users)")
	}
	for _, tool := range []string{"ssh-keygen", "ssh-agent", "ssh-add", "sudo", "useradd", "chpasswd", "visudo"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(tool + " is missing")
		}
	}
	itOnce.Do(func() { itShared, itErr = setupIT() })
	if itErr != nil {
		t.Fatalf("integration setup: %v", itErr)
	}
	return itShared
}

func runTool(stdin string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func setupIT() (*itEnv, error) {
	dir, err := os.MkdirTemp("", "runbook-sshd-")
	if err != nil {
		return nil, err
	}
	// Afterwards: no sudo rule and no usable password are left behind.
	itCleanup = func() {
		os.Remove(itSudoersFile)
		for _, u := range []string{itUser, itNoPwUser} {
			_ = runTool("", "passwd", "-l", u)
		}
		os.RemoveAll(dir)
	}
	// sshd reads authorized_keys as the user: the directory must be open.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	env := &itEnv{dir: dir, password: "Rb-" + hex.EncodeToString(pw)}
	for _, u := range []string{itUser, itNoPwUser} {
		if _, err := user.Lookup(u); err != nil {
			if err := runTool("", "useradd", "-m", "-s", "/bin/sh", u); err != nil {
				return nil, err
			}
		}
	}
	if err := runTool(itUser+":"+env.password+"\n"+itNoPwUser+":"+env.password+"\n", "chpasswd"); err != nil {
		return nil, err
	}
	sudoers := itUser + " ALL=(ALL:ALL) ALL\n" + itNoPwUser + " ALL=(ALL:ALL) NOPASSWD: ALL\n" +
		"Defaults:" + itUser + " timestamp_timeout=0, passwd_tries=3\n"
	tmp := itSudoersFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(sudoers), 0o440); err != nil {
		return nil, err
	}
	if err := runTool("", "visudo", "-cf", tmp); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, itSudoersFile); err != nil {
		return nil, err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	var pub gossh.PublicKey
	if env.keyPath, pub, err = writeKeyFile(dir, "id_client", ""); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), gossh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return nil, err
	}
	u, err := user.Lookup(itUser)
	if err != nil {
		return nil, err
	}
	env.uid, _ = strconv.Atoi(u.Uid)
	env.gid, _ = strconv.Atoi(u.Gid)
	env.home = u.HomeDir
	return env, nil
}

// sshdProc is one running sshd.
type sshdProc struct {
	host    string // 127.0.11.x
	port    int
	addr    string
	hostKey gossh.PublicKey
	cmd     *exec.Cmd
	log     *syncBuffer
	exited  chan struct{}
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

// nextLoopback hands out 127.0.11.2 .. 127.0.11.254, never anything else.
func nextLoopback() string {
	return fmt.Sprintf("127.0.11.%d", 2+int(itNextIP.Add(1)-1)%253)
}

// startSSHD starts a private sshd and stops it (and all its children) at
// cleanup. Every wait is bounded.
func startSSHD(t *testing.T, env *itEnv) *sshdProc {
	t.Helper()
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_ed25519")
	if err := runTool("", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKey); err != nil {
		t.Fatal(err)
	}
	pubText, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := trySSHD(t, env, dir, hostKey, pub)
		if err == nil {
			return p
		}
		lastErr = err
	}
	t.Fatalf("sshd did not start: %v", lastErr)
	return nil
}

func trySSHD(t *testing.T, env *itEnv, dir, hostKey string, pub gossh.PublicKey) (*sshdProc, error) {
	host := nextLoopback()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "sshd_config")
	text := fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers %s %s
AllowTcpForwarding yes
UseDNS no
PrintMotd no
MaxStartups 100
Subsystem sftp internal-sftp
LogLevel VERBOSE
`, host, port, hostKey, dir, env.dir, itUser, itNoPwUser)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	p := &sshdProc{host: host, port: port, addr: net.JoinHostPort(host, strconv.Itoa(port)),
		hostKey: pub, log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(sshdPath, "-D", "-e", "-f", conf)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("sshd %s log:\n%s", p.addr, p.log)
		}
	})
	if err := p.waitReady(10 * time.Second); err != nil {
		p.kill()
		return nil, fmt.Errorf("%v; log:\n%s", err, p.log)
	}
	return p, nil
}

// waitReady waits until sshd greets on its port.
func (p *sshdProc) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd not ready on %s after %s", p.addr, limit)
}

// signalTree sends sig to sshd and every descendant (per-connection
// children included), collected before any is signalled.
func (p *sshdProc) signalTree(sig syscall.Signal) {
	pids := descendants(p.cmd.Process.Pid)
	for _, pid := range pids {
		syscall.Kill(pid, sig)
	}
}

// kill stops everything this sshd started and waits (boundedly) for it.
func (p *sshdProc) kill() {
	p.signalTree(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
}

// descendants returns root and all processes below it, from /proc.
func descendants(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may contain spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out) && i < 10000; i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// config is a client Config for user on p, trusting p's host key.
func (p *sshdProc) config(t *testing.T, env *itEnv, user string) Config {
	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, knownhosts.Line([]string{p.addr}, p.hostKey)+"\n")
	return Config{Name: "it-" + p.host, Addr: p.host, Port: p.port, User: user,
		KeyFiles: []string{env.keyPath}, KnownHostsFile: kh, Timeout: 3 * time.Second,
		Logf: (&logBuffer{}).logf}
}
