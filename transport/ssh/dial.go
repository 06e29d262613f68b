package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/transport"
)

// maxSessions bounds the sessions open at once on one connection: OpenSSH
// refuses more than MaxSessions (default 10) and the SFTP channel is one.
const maxSessions = 8

// errClosed is returned for any operation after Close.
var errClosed = errors.New("ssh connection is closed")

// Conn is an SSH connection to one host; it implements transport.Transport
// and is safe for concurrent use. All sessions share one TCP connection
// (reconnected at most once per operation when it dies) and all file
// operations share one SFTP client, opened on first use.
type Conn struct {
	cfg     Config
	res     *resolved
	hosts   *hostKeyPolicy
	keys    *keyFiles // target's keys
	jkeys   *keyFiles // jump host's keys
	secrets []string
	slots   chan struct{} // session semaphore

	dialMu sync.Mutex // serialises reconnects
	mu     sync.Mutex
	cur    *link
	broken error // sticky: a reconnect failed
	closed bool

	sftpMu   sync.Mutex
	sftp     *sftp.Client
	sftpLink *link

	sudoMu sync.Mutex
	sudo   map[string]*sudoState
}

var _ transport.Transport = (*Conn)(nil)

// Dial resolves cfg (ssh_config, defaults), connects, verifies the host key
// and authenticates. Network, handshake, host key and authentication
// failures are *transport.UnreachableError; a bad configuration or a
// cancelled ctx is a plain error. ctx bounds only the connect: the Conn
// lives until Close.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	c := &Conn{cfg: cfg, slots: make(chan struct{}, maxSessions), sudo: map[string]*sudoState{}}
	for _, s := range []string{cfg.Password, cfg.KeyPassphrase, cfg.BecomePassword} {
		if len(s) >= 3 {
			c.secrets = append(c.secrets, s)
		}
	}
	res, err := resolve(cfg)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", c.hostName(), err)
	}
	c.res = res
	if c.hosts, err = newHostKeyPolicy(cfg, c.logf); err != nil {
		return nil, fmt.Errorf("host %s: %w", c.hostName(), err)
	}
	if cfg.InsecureSkipHostKeyCheck {
		c.logf("runbook: WARNING: host key checking is DISABLED for %s (%s): the connection can be intercepted",
			res.target.name, res.target.addr())
	}
	c.keys = loadKeyFiles(res.target, cfg.KeyPassphrase)
	if res.jump != nil {
		c.jkeys = loadKeyFiles(res.jump, cfg.KeyPassphrase)
	}
	l, err := c.connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.unreachable(err)
	}
	c.cur = l
	return c, nil
}

func (c *Conn) logf(format string, args ...any) {
	msg := c.scrub(fmt.Sprintf(format, args...))
	if c.cfg.Logf != nil {
		c.cfg.Logf("%s", msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}

func (c *Conn) hostName() string {
	if c.cfg.Name != "" {
		return c.cfg.Name
	}
	return c.cfg.Addr
}

// unreachable wraps err as the transport's UnreachableError.
func (c *Conn) unreachable(err error) error {
	var u *transport.UnreachableError
	if errors.As(err, &u) {
		return err
	}
	var hk *HostKeyError
	var auth *AuthError
	answered := errors.As(err, &hk) || errors.As(err, &auth)
	return &transport.UnreachableError{Host: c.hostName(), Err: c.scrubErr(err), Answered: answered}
}

// connect establishes a new link (through the jump host if any).
func (c *Conn) connect(ctx context.Context) (*link, error) {
	var jump *gossh.Client
	if j := c.res.jump; j != nil {
		jc, _, err := c.handshake(ctx, j, c.jkeys, nil)
		if err != nil {
			return nil, fmt.Errorf("via %s: %w", j.addr(), err)
		}
		jump = jc
	}
	client, clock, err := c.handshake(ctx, c.res.target, c.keys, jump)
	if err != nil {
		if jump != nil {
			jump.Close()
		}
		return nil, err
	}
	return newLink(client, jump, clock, c.cfg.timeout()), nil
}

// preferredCiphers: AES-GCM, then ChaCha20-Poly1305, then the defaults.
func preferredCiphers() []string {
	first := []string{gossh.CipherAES128GCM, gossh.CipherChaCha20Poly1305}
	out := slices.Clone(first)
	for _, c := range gossh.SupportedAlgorithms().Ciphers {
		if !slices.Contains(first, c) {
			out = append(out, c)
		}
	}
	return out
}

// handshake dials ep (directly or through via) and runs the SSH handshake,
// both within the timeout: a peer that accepts TCP but never speaks fails.
// The readClock says when the connection last read from the peer.
func (c *Conn) handshake(ctx context.Context, ep *endpoint, keys *keyFiles, via *gossh.Client) (*gossh.Client, *readClock, error) {
	timeout := c.cfg.timeout()
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var raw net.Conn
	var proxy *proxyConn
	var err error
	switch {
	case via != nil:
		raw, err = via.DialContext(hctx, "tcp", ep.addr())
	case ep.proxyCommand != "":
		if proxy, err = dialProxy(ep.proxyCommand, ep.addr()); err != nil {
			return nil, nil, err
		}
		raw = proxy
	default:
		var d net.Dialer
		raw, err = d.DialContext(hctx, "tcp", ep.addr())
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// The dialer's deadline can fire just before hctx reports it.
		var ne net.Error
		if hctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
			return nil, nil, &causeError{err: err, msg: fmt.Sprintf("connecting to %s: timed out after %s (is the host up and the port open? check ansible_host and ansible_port; -T allows longer)", ep.addr(), timeout)}
		}
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err
		}
		return nil, nil, fmt.Errorf("connecting to %s: %w (is sshd listening there? check ansible_host and ansible_port)", ep.addr(), err)
	}
	clock := newReadClock(raw)
	raw = clock
	auth := newAuth(ep, keys, c.cfg.UseAgent, timeout)
	defer auth.close()
	conf := &gossh.ClientConfig{
		Config:            gossh.Config{Ciphers: preferredCiphers()},
		User:              ep.user,
		Auth:              auth.methods,
		HostKeyCallback:   c.hosts.callback(ep),
		HostKeyAlgorithms: c.hosts.algorithms(ep.addr()),
		Timeout:           timeout,
	}
	stop := context.AfterFunc(hctx, func() { raw.Close() })
	cc, chans, reqs, err := gossh.NewClientConn(raw, ep.addr(), conf)
	if !stop() {
		if cc != nil {
			cc.Close()
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if proxy != nil {
			return nil, nil, fmt.Errorf("SSH handshake with %s through its ProxyCommand: no answer within %s", ep.addr(), timeout)
		}
		return nil, nil, fmt.Errorf("SSH handshake with %s: no answer within %s (is an SSH server on that port? check ansible_port)", ep.addr(), timeout)
	}
	if err != nil {
		var hk *HostKeyError
		switch {
		case errors.As(err, &hk):
			raw.Close()
			return nil, nil, hk
		case isAuthFailure(err):
			raw.Close()
			return nil, nil, authError(ep, err, auth.notes)
		case proxy != nil:
			// Most likely the command failed: say how, before closing it.
			perr := proxy.exitError()
			raw.Close()
			if perr != nil {
				return nil, nil, fmt.Errorf("SSH handshake with %s through its ProxyCommand: %w (%v)", ep.addr(), perr, err)
			}
			return nil, nil, fmt.Errorf("SSH handshake with %s through its ProxyCommand: %w", ep.addr(), err)
		}
		raw.Close()
		return nil, nil, fmt.Errorf("SSH handshake with %s: %w", ep.addr(), err)
	}
	return gossh.NewClient(cc, chans, reqs), clock, nil
}

// current returns a live link, reconnecting (once) if the current one is
// dead. reconnected says whether this call reconnected.
func (c *Conn) current(ctx context.Context) (l *link, reconnected bool, err error) {
	c.mu.Lock()
	l, closed, broken := c.cur, c.closed, c.broken
	c.mu.Unlock()
	switch {
	case closed:
		return nil, false, errClosed
	case broken != nil:
		return nil, false, broken
	case l != nil && !l.isDead():
		return l, false, nil
	}
	l, err = c.reconnect(ctx, l)
	return l, err == nil, err
}

// reconnect replaces the dead link old, unless another goroutine already
// did. A failed reconnect makes the Conn permanently unreachable.
func (c *Conn) reconnect(ctx context.Context, old *link) (*link, error) {
	c.dialMu.Lock()
	defer c.dialMu.Unlock()
	c.mu.Lock()
	cur, closed, broken := c.cur, c.closed, c.broken
	c.mu.Unlock()
	switch {
	case closed:
		return nil, errClosed
	case broken != nil:
		return nil, broken
	case cur != old && cur != nil && !cur.isDead():
		return cur, nil
	}
	if old != nil {
		old.kill(errors.New("connection replaced"))
	}
	l, err := c.connect(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			c.broken = c.unreachable(fmt.Errorf("%v; reconnecting failed: %w", old.cause(), err))
			return nil, c.broken
		}
		return nil, err
	}
	if c.closed {
		l.kill(errClosed)
		return nil, errClosed
	}
	c.cur = l
	return l, nil
}

// newSession opens a session, waiting for a free slot. If the connection
// turns out dead it reconnects once; then the error is UnreachableError.
// The returned release must be called after the session is closed.
func (c *Conn) newSession(ctx context.Context) (*gossh.Session, *link, func(), error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, nil, ctx.Err()
	}
	release := func() { <-c.slots }
	l, reconnected, err := c.current(ctx)
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	s, err := l.client.NewSession()
	var refused *gossh.OpenChannelError
	if err != nil && !errors.As(err, &refused) && !reconnected {
		l.kill(fmt.Errorf("connection lost: opening a session failed: %w", err))
		if l, err = c.reconnect(ctx, l); err == nil {
			s, err = l.client.NewSession()
		}
	}
	if err != nil {
		release()
		if errors.As(err, &refused) || errors.Is(err, errClosed) || ctx.Err() != nil || transport.IsUnreachable(err) {
			return nil, nil, nil, c.scrubErr(err)
		}
		return nil, nil, nil, c.unreachable(fmt.Errorf("opening a session: %w", err))
	}
	return s, l, release, nil
}

// lost turns err, seen by an operation on link l, into an UnreachableError
// when the link died (waiting briefly: the session may notice first).
func (c *Conn) lost(l *link, err error) error {
	if !l.isDeadAfterBrief() {
		if c.isClosed() {
			return errClosed
		}
		return c.scrubErr(err)
	}
	if c.isClosed() {
		return errClosed
	}
	return c.unreachable(l.cause())
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close closes the SFTP client and the connection. Pending operations fail.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	l := c.cur
	c.mu.Unlock()
	if l != nil {
		l.kill(errClosed) // first: unblocks everything waiting on the peer
	}
	c.sftpMu.Lock()
	if c.sftp != nil {
		c.sftp.Close()
		c.sftp = nil
	}
	c.sftpMu.Unlock()
	return nil
}

// causeError is an error with its own message that keeps its cause for
// errors.Is and errors.As.
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }
func (e *causeError) Unwrap() error { return e.err }
