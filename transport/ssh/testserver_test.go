package ssh

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// testServer is an in-process SSH server on 127.0.0.1: exec through
// /bin/sh -c, the sftp subsystem, direct-tcpip (to act as a jump host),
// keepalives, and password, public key and keyboard-interactive auth.
type testServer struct {
	t        testing.TB
	ln       net.Listener
	addr     string
	port     int
	hostKeys []gossh.Signer
	password string // "" disables password auth
	kbd      bool   // offer keyboard-interactive (with password) instead of password
	keys     []gossh.PublicKey
	env      []string

	mu         sync.Mutex
	conns      map[net.Conn]bool
	accepted   int
	execs      []string // every command line received
	methods    []string // every auth method tried
	gate       chan struct{}
	killed     bool
	pgids      map[int]bool // process groups of running commands
	keepalives int          // keepalive@openssh.com requests received
}

func (s *testServer) keepaliveCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepalives
}

type serverOpt func(*testServer)

func withPassword(pw string) serverOpt { return func(s *testServer) { s.password = pw } }
func withKbdInteractive(pw string) serverOpt {
	return func(s *testServer) { s.password, s.kbd = pw, true }
}
func withKey(k gossh.PublicKey) serverOpt { return func(s *testServer) { s.keys = append(s.keys, k) } }
func withHostKey(k gossh.Signer) serverOpt {
	return func(s *testServer) { s.hostKeys = append(s.hostKeys, k) }
}

// withEnv adds an environment variable for the server's commands.
func withEnv(kv string) serverOpt { return func(s *testServer) { s.env = append(s.env, kv) } }

// withFakeSudo puts a sudo on PATH that wants password pw ("" = NOPASSWD).
func withFakeSudo(pw string) serverOpt {
	return func(s *testServer) {
		s.env = append(s.env, "PATH="+fakeSudoDir+":"+os.Getenv("PATH"), "FAKE_SUDO_PASSWORD="+pw)
	}
}

func newTestServer(t testing.TB, opts ...serverOpt) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, ln: ln, addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port,
		conns: map[net.Conn]bool{}, gate: closedChan(), pgids: map[int]bool{}}
	s.env = os.Environ()
	for _, o := range opts {
		o(s)
	}
	if len(s.hostKeys) == 0 {
		s.hostKeys = []gossh.Signer{newSigner(t)}
	}
	conf := &gossh.ServerConfig{}
	for _, k := range s.hostKeys {
		conf.AddHostKey(k)
	}
	conf.PublicKeyCallback = func(_ gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
		s.note("publickey")
		for _, k := range s.keys {
			if string(k.Marshal()) == string(key.Marshal()) {
				return nil, nil
			}
		}
		return nil, errors.New("unknown key")
	}
	if s.password != "" && !s.kbd {
		conf.PasswordCallback = func(_ gossh.ConnMetadata, pw []byte) (*gossh.Permissions, error) {
			s.note("password")
			if string(pw) == s.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	if s.kbd {
		conf.KeyboardInteractiveCallback = func(_ gossh.ConnMetadata, ask gossh.KeyboardInteractiveChallenge) (*gossh.Permissions, error) {
			s.note("keyboard-interactive")
			ans, err := ask("", "", []string{"Password: "}, []bool{false})
			if err == nil && len(ans) == 1 && ans[0] == s.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	go s.serve(conf)
	t.Cleanup(s.kill)
	return s
}

func closedChan() chan struct{} { c := make(chan struct{}); close(c); return c }

func (s *testServer) note(method string) {
	s.mu.Lock()
	s.methods = append(s.methods, method)
	s.mu.Unlock()
}

func (s *testServer) serve(conf *gossh.ServerConfig) {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.killed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		fc := &freezableConn{Conn: nc, s: s}
		s.conns[fc] = true
		s.accepted++
		s.mu.Unlock()
		go s.handle(fc, conf)
	}
}

func (s *testServer) handle(nc net.Conn, conf *gossh.ServerConfig) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		nc.Close()
	}()
	_, chans, reqs, err := gossh.NewServerConn(nc, conf)
	if err != nil {
		return
	}
	go func() {
		for r := range reqs {
			if r.Type == "keepalive@openssh.com" {
				s.mu.Lock()
				s.keepalives++
				s.mu.Unlock()
			}
			// Like OpenSSH: unknown global requests (keepalives) get "failure".
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			go s.session(nch)
		case "direct-tcpip":
			go s.directTCPIP(nch)
		default:
			nch.Reject(gossh.UnknownChannelType, "unsupported")
		}
	}
}

func (s *testServer) session(nch gossh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	var procMu sync.Mutex
	var proc *os.Process
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if gossh.Unmarshal(req.Payload, &p) != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			s.mu.Lock()
			s.execs = append(s.execs, p.Command)
			s.mu.Unlock()
			go s.exec(ch, p.Command, func(pr *os.Process) { procMu.Lock(); proc = pr; procMu.Unlock() })
		case "subsystem":
			var p struct{ Name string }
			if gossh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go func() {
				srv, err := sftp.NewServer(ch)
				if err == nil {
					_ = srv.Serve()
					srv.Close()
				}
				ch.Close()
			}()
		case "signal":
			var p struct{ Signal string }
			if gossh.Unmarshal(req.Payload, &p) == nil {
				procMu.Lock()
				if proc != nil {
					sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "INT": syscall.SIGINT}[p.Signal]
					if sig != 0 {
						_ = syscall.Kill(-proc.Pid, sig)
					}
				}
				procMu.Unlock()
			}
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

func (s *testServer) exec(ch gossh.Channel, command string, started func(*os.Process)) {
	defer ch.Close()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return
	}
	if err := cmd.Start(); err != nil {
		ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{127}))
		return
	}
	started(cmd.Process)
	s.mu.Lock()
	s.pgids[cmd.Process.Pid] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pgids, cmd.Process.Pid)
		s.mu.Unlock()
	}()
	go func() {
		_, _ = io.Copy(stdin, ch)
		stdin.Close()
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			name := map[syscall.Signal]string{syscall.SIGKILL: "KILL", syscall.SIGTERM: "TERM", syscall.SIGINT: "INT"}[ws.Signal()]
			ch.SendRequest("exit-signal", false, gossh.Marshal(struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}{Signal: name}))
			return
		}
	}
	code := 0
	if exit != nil {
		code = exit.ExitCode()
	}
	ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{uint32(code)}))
}

func (s *testServer) directTCPIP(nch gossh.NewChannel) {
	var p struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if gossh.Unmarshal(nch.ExtraData(), &p) != nil {
		nch.Reject(gossh.ConnectionFailed, "bad payload")
		return
	}
	target, err := net.DialTimeout("tcp", net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port))), 2*time.Second)
	if err != nil {
		nch.Reject(gossh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		target.Close()
		return
	}
	go gossh.DiscardRequests(reqs)
	go func() { io.Copy(target, ch); target.Close() }()
	io.Copy(ch, target)
	ch.Close()
}

// kill closes the listener and every connection, like a crashed server.
func (s *testServer) kill() {
	s.mu.Lock()
	s.killed = true
	conns := s.conns
	s.conns = map[net.Conn]bool{}
	s.mu.Unlock()
	s.ln.Close()
	for c := range conns {
		c.Close()
	}
	// Then the commands, so that none reports an exit before the drop.
	s.mu.Lock()
	for pgid := range s.pgids {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	s.mu.Unlock()
}

// dropConns closes the open connections but keeps listening.
func (s *testServer) dropConns() {
	s.mu.Lock()
	conns := s.conns
	s.conns = map[net.Conn]bool{}
	s.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// freeze makes every connection stop reading and writing (a hung host).
func (s *testServer) freeze() {
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
}

func (s *testServer) thaw() {
	s.mu.Lock()
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
	s.mu.Unlock()
}

func (s *testServer) waitThawed() {
	s.mu.Lock()
	g := s.gate
	s.mu.Unlock()
	select {
	case <-g:
	case <-time.After(30 * time.Second):
	}
}

func (s *testServer) stats() (accepted int, execs, methods []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, append([]string(nil), s.execs...), append([]string(nil), s.methods...)
}

func (s *testServer) knownHostsLine() string {
	return knownhosts.Line([]string{s.addr}, s.hostKeys[0].PublicKey())
}

type freezableConn struct {
	net.Conn
	s *testServer
}

func (c *freezableConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.s.waitThawed()
	return n, err
}

func (c *freezableConn) Write(p []byte) (int, error) {
	c.s.waitThawed()
	return c.Conn.Write(p)
}
