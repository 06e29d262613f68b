package fleet

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// handshakeTimeout bounds a client that connects and never finishes the
// SSH handshake.
const handshakeTimeout = 15 * time.Second

// server is one host: a listener and the connections it accepted.
type server struct {
	host    Host
	ln      net.Listener
	conf    *gossh.ServerConfig
	hostKey gossh.PublicKey
	logf    func(string, ...any)

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	procs  map[*exec.Cmd]struct{}
	wg     sync.WaitGroup
}

func newServer(h Host, client gossh.PublicKey, logf func(string, ...any)) (*server, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	want := client.Marshal()
	conf := &gossh.ServerConfig{
		PublicKeyCallback: func(c gossh.ConnMetadata, k gossh.PublicKey) (*gossh.Permissions, error) {
			if c.User() == "root" && bytes.Equal(k.Marshal(), want) {
				return &gossh.Permissions{}, nil
			}
			return nil, fmt.Errorf("key not authorized for %q", c.User())
		},
		ServerVersion: "SSH-2.0-runbook-fleet",
	}
	conf.AddHostKey(signer)
	ln, err := net.Listen("tcp", net.JoinHostPort(h.IP, "0"))
	if err != nil {
		return nil, err
	}
	return &server{host: h, ln: ln, conf: conf, hostKey: signer.PublicKey(), logf: logf,
		conns: map[net.Conn]struct{}{}, procs: map[*exec.Cmd]struct{}{}}, nil
}

func (s *server) serve() {
	defer s.wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: back off
				continue
			}
			return // closed
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(c)
		}()
	}
}

func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// handle runs the handshake and serves the connection's channels.
func (s *server) handle(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	conn, chans, reqs, err := gossh.NewServerConn(c, s.conf)
	if err != nil {
		return // a client that gave up or failed auth: nothing to serve
	}
	_ = c.SetDeadline(time.Time{})
	defer conn.Close()
	go gossh.DiscardRequests(reqs) // keepalives get a "failure" reply, as OpenSSH gives
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(gossh.UnknownChannelType, "only sessions")
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.session(nc) }()
	}
}

// startProc registers a command so close can kill it; false when closing.
func (s *server) startProc(cmd *exec.Cmd) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("host is shutting down")
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.procs[cmd] = struct{}{}
	return nil
}

func (s *server) endProc(cmd *exec.Cmd) {
	s.mu.Lock()
	delete(s.procs, cmd)
	s.mu.Unlock()
}

// close stops accepting, kills running commands and drops connections.
func (s *server) close() {
	s.mu.Lock()
	s.closed = true
	for cmd := range s.procs {
		_ = cmd.Process.Kill() // it may have exited already
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
}
