package runner

import (
	"context"
	"fmt"
	"sync"

	"github.com/runbook-dev/runbook/transport"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// Connector opens a connection to a host from its variables.
type Connector interface {
	Connect(ctx context.Context, host string, vars map[string]any) (transport.Transport, error)
}

// DefaultConnector uses the local connection for ansible_connection=local
// and for a host named localhost that sets no connection (the implicit
// localhost, or one listed in an inventory such as -i localhost, without an
// ansible_host elsewhere), and SSH otherwise.
type DefaultConnector struct {
	// SSH opens SSH connections; nil means SSH is not available.
	SSH Connector
	// Default is the connection of hosts that set no ansible_connection
	// (-c): "local" or "ssh"; "" is ssh except for the local host.
	Default string
}

// Connect implements Connector.
func (c DefaultConnector) Connect(ctx context.Context, host string, vars map[string]any) (transport.Transport, error) {
	conn, _ := vars["ansible_connection"].(string)
	if conn == "" {
		conn = c.Default
	}
	if conn == "" && isLocalhost(host, vars) {
		conn = "local"
	}
	switch conn {
	case "local":
		return transport.NewLocal(), nil
	case "", "ssh":
		if c.SSH == nil {
			return nil, &transport.UnreachableError{Host: host, Err: fmt.Errorf("no SSH connector configured")}
		}
		return c.SSH.Connect(ctx, host, vars)
	}
	return nil, &transport.UnreachableError{Host: host, Err: fmt.Errorf("unsupported ansible_connection %q (supported: local, ssh)", conn)}
}

// isLocalhost: the host is named localhost and its ansible_host, if any,
// is a loopback name or address.
func isLocalhost(host string, vars map[string]any) bool {
	if host != "localhost" {
		return false
	}
	switch addr, _ := vars["ansible_host"].(string); addr {
	case "", "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// connPool keeps one connection per host and login user for the whole run,
// opened on first use (remote_user may log in to one host as several users).
// A host that could not be reached is not retried within the run, until
// meta: reset_connection drops its connections.
type connPool struct {
	connector Connector
	// trace, when set (-vvv), logs connects and every operation.
	trace func(host, format string, args ...any)
	mu    sync.Mutex
	conns map[poolKey]*poolEntry
}

type poolKey struct{ host, user string }

type poolEntry struct {
	once sync.Once
	conn transport.Transport // traced at -vvv
	raw  transport.Transport // never traced: for no_log tasks
	err  error
}

func newConnPool(c Connector, trace func(host, format string, args ...any)) *connPool {
	return &connPool{connector: c, conns: map[poolKey]*poolEntry{}, trace: trace}
}

// get returns the host's connection, dialling it once. quiet asks for the
// untraced connection (no_log tasks: their commands are not shown at -vvv).
func (p *connPool) get(ctx context.Context, host string, vars map[string]any, quiet bool) (transport.Transport, error) {
	key := poolKey{host: host, user: loginUser(vars)}
	p.mu.Lock()
	ent, ok := p.conns[key]
	if !ok {
		ent = &poolEntry{}
		p.conns[key] = ent
	}
	p.mu.Unlock()
	ent.once.Do(func() {
		if p.trace != nil {
			p.trace(host, "CONNECT %s", describeTarget(host, vars))
		}
		ent.conn, ent.err = p.connector.Connect(ctx, host, vars)
		if ent.err != nil && !transport.IsUnreachable(ent.err) {
			ent.err = &transport.UnreachableError{Host: host, Err: ent.err}
		}
		ent.raw = ent.conn
		if p.trace != nil && ent.err == nil {
			ent.conn = &tracingTransport{Transport: ent.conn, host: host, logf: p.trace}
		}
	})
	if quiet {
		return ent.raw, ent.err
	}
	return ent.conn, ent.err
}

// reset closes the host's connections (meta: reset_connection): the next
// task logs in again, so a new group membership or login user takes effect.
func (p *connPool) reset(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, ent := range p.conns {
		if key.host != host {
			continue
		}
		delete(p.conns, key)
		if ent.raw != nil {
			_ = ent.raw.Close() // dropped either way: the next task reconnects
		}
	}
}

func (p *connPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ent := range p.conns {
		if ent.raw != nil {
			_ = ent.raw.Close() // end of run: nothing to do about a failed close
		}
	}
}

// SSHConnector dials hosts over SSH, with Defaults for what host variables
// do not set (user, key, timeout, host key policy).
type SSHConnector struct {
	Defaults ssh.Config
}

// Connect implements Connector.
func (c SSHConnector) Connect(ctx context.Context, host string, vars map[string]any) (transport.Transport, error) {
	cfg, err := ssh.ConfigFromVars(host, vars, c.Defaults)
	if err != nil {
		return nil, &transport.UnreachableError{Host: host, Err: err}
	}
	conn, err := ssh.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// describeTarget says where a host is reached, for -vvv.
func describeTarget(host string, vars map[string]any) string {
	if c, _ := vars["ansible_connection"].(string); c == "local" {
		return "local connection"
	}
	addr := host
	if h, ok := vars["ansible_host"]; ok {
		addr = fmt.Sprint(h)
	}
	user, port := "(default user)", "22"
	if u, ok := vars["ansible_user"]; ok {
		user = fmt.Sprint(u)
	}
	if p, ok := vars["ansible_port"]; ok {
		port = fmt.Sprint(p)
	}
	return fmt.Sprintf("ssh %s@%s:%s", user, addr, port)
}

// loginVars are the variables that name the SSH login user, in the order
// the SSH transport reads them.
var loginVars = []string{"ansible_user", "ansible_ssh_user", "ansible_remote_user"}

// loginUser is the login user the variables name ("" for the default).
func loginUser(vars map[string]any) string {
	for _, k := range loginVars {
		if u, ok := vars[k]; ok && u != nil {
			return fmt.Sprint(u)
		}
	}
	return ""
}

// withRemoteUser applies the task's (or its blocks' or play's) remote_user
// to the variables a connection is opened with. As in Ansible, a connection
// variable (ansible_user, set anywhere: inventory, vars, -e) beats the
// keyword; the keyword beats -u and the defaults.
func (ht *hostTask) withRemoteUser(targetVars, vars map[string]any) (map[string]any, error) {
	user := ht.t.RemoteUser
	if user == "" {
		user = ht.sc.remoteUser
	}
	if user == "" || loginUser(targetVars) != "" {
		return targetVars, nil
	}
	rendered, err := renderDeep(user, vars)
	if err != nil {
		return nil, fmt.Errorf("remote_user: %w", err)
	}
	out := make(map[string]any, len(targetVars)+1)
	for k, v := range targetVars {
		out[k] = v
	}
	out["ansible_user"] = fmt.Sprint(rendered)
	return out, nil
}
