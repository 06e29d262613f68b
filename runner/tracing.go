package runner

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/runbook-dev/runbook/transport"
)

// tracingTransport logs what a connection does, for -vvv: each command line
// and file operation, the way Ansible prints "SSH: EXEC". Secrets cannot
// leak through it: passwords never appear in command lines (sudo reads them
// from stdin), and the reporter masks every known secret value anyway.
type tracingTransport struct {
	transport.Transport
	host string
	logf func(host, format string, args ...any)
}

func (t *tracingTransport) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	line, err := transport.ShellLine(cmd)
	if err != nil {
		line = fmt.Sprintf("(unprintable command: %v)", err)
	}
	t.logf(t.host, "EXEC %s", line)
	res, err := t.Transport.Run(ctx, cmd)
	switch {
	case err != nil:
		t.logf(t.host, "EXEC failed: %v", err)
	case res.ExitCode != 0:
		t.logf(t.host, "EXEC exit status %d", res.ExitCode)
	}
	return res, err
}

func (t *tracingTransport) Stat(ctx context.Context, path string) (transport.FileInfo, error) {
	t.logf(t.host, "STAT %s", path)
	return t.Transport.Stat(ctx, path)
}

func (t *tracingTransport) Checksum(ctx context.Context, path string) (string, error) {
	t.logf(t.host, "CHECKSUM %s", path)
	return t.Transport.Checksum(ctx, path)
}

func (t *tracingTransport) WriteFile(ctx context.Context, path string, r io.Reader, opts transport.WriteOptions) error {
	t.logf(t.host, "PUT %s (mode %v, uid %d, gid %d, become %v)", path, opts.Mode, opts.UID, opts.GID, opts.Become != nil)
	return t.Transport.WriteFile(ctx, path, r, opts)
}

func (t *tracingTransport) ReadFile(ctx context.Context, path string, w io.Writer) error {
	t.logf(t.host, "FETCH %s", path)
	return t.Transport.ReadFile(ctx, path, w)
}

// DialContext forwards to the connection when it can tunnel, so modules
// that reach services through the host work at -vvv too.
func (t *tracingTransport) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d, ok := t.Transport.(transport.Dialer)
	if !ok {
		return nil, fmt.Errorf("connection to %s cannot open tunnels", t.host)
	}
	t.logf(t.host, "TUNNEL %s %s", network, addr)
	return d.DialContext(ctx, network, addr)
}
