package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHConfig is a client configuration for root on any node: the lab key
// (and the password as a fallback) and host keys checked against
// KnownHostsPath.
func (l *Lab) SSHConfig() (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(l.KeyPath())
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	hk, err := knownhosts.New(l.KnownHostsPath())
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User:              "root",
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer), ssh.Password(RootPassword)},
		HostKeyCallback:   hk,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           5 * time.Second,
	}, nil
}

// DialSSH connects to the node's sshd (its IP, port 22) as root with cfg,
// or with SSHConfig when cfg is nil. The whole handshake is bounded by
// timeout.
func (l *Lab) DialSSH(ctx context.Context, node string, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	n := l.Node(node)
	if cfg == nil {
		var err error
		if cfg, err = l.SSHConfig(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", n.Addr(SSHPort))
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, n.Addr(SSHPort), cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// SSHRun runs cmd on the node over SSH (a real sshd session) and returns its
// combined output; it is bounded by timeout.
func (l *Lab) SSHRun(ctx context.Context, node, cmd string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := l.DialSSH(ctx, node, nil, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	type res struct {
		out []byte
		err error
	}
	ch := make(chan res, 1)
	go func() { o, e := s.CombinedOutput(cmd); ch <- res{o, e} }()
	select {
	case r := <-ch:
		return string(r.out), r.err
	case <-ctx.Done():
		c.Close()
		return "", fmt.Errorf("lab: ssh %s %q: %w", node, cmd, ctx.Err())
	}
}
