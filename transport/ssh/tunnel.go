package ssh

import (
	"context"
	"fmt"
	"net"

	"github.com/runbook-dev/runbook/transport"
)

var _ transport.Dialer = (*Conn)(nil)

// DialContext opens a TCP connection from the host to addr through the SSH
// connection (direct-tcpip), so the controller needs no route to addr; the
// host resolves addr's name. A dead connection is reconnected once, as for
// every other operation.
func (c *Conn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, fmt.Errorf("dial %s %s through %s: only tcp can be tunnelled", network, addr, c.cfg.Name)
	}
	l, _, err := c.current(ctx)
	if err != nil {
		return nil, c.unreachable(err)
	}
	conn, err := l.client.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, c.scrubErr(fmt.Errorf("dial %s through %s: %w", addr, c.cfg.Name, err))
	}
	return conn, nil
}
