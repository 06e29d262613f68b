package modules_test

import (
	"testing"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/transport"
)

// testConn is one connection that module tests run against. Every
// connection reaches this same machine (the local one directly, the SSH one
// through a private sshd on loopback), so a test can check the host's real
// state with the os package after the module ran.
type testConn struct {
	Name string
	Conn transport.Transport
}

// eachConn runs fn once per available connection, as a subtest.
func eachConn(t *testing.T, fn func(t *testing.T, c testConn)) {
	t.Helper()
	for _, c := range testConns(t) {
		t.Run(c.Name, func(t *testing.T) { fn(t, c) })
	}
}

// testConns lists the connections: local always; real OpenSSH when the
// harness can start one (see test/sshd).
func testConns(t *testing.T) []testConn {
	t.Helper()
	conns := []testConn{{Name: "local", Conn: transport.NewLocal()}}
	if c := sshdConn(t); c != nil {
		conns = append(conns, testConn{Name: "sshd", Conn: c})
	}
	return conns
}

// connContext is helperContext with a chosen connection.
func connContext(t *testing.T, c testConn, vars map[string]any) *modules.Context {
	mc := helperContext(t, vars)
	mc.Conn = c.Conn
	return mc
}
