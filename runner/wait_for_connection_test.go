package runner_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/report"
	"github.com/runbook-dev/runbook/transport"
)

// flakyConnector refuses a host's first `down` connects, as a rebooting
// host does, then connects locally.
type flakyConnector struct {
	mu       sync.Mutex
	down     int
	connects int
}

func (c *flakyConnector) Connect(_ context.Context, host string, _ map[string]any) (transport.Transport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
	if c.connects <= c.down {
		return nil, &transport.UnreachableError{Host: host, Err: errors.New("connection refused")}
	}
	return transport.NewLocal(), nil
}

// TestWaitForConnection: a host that refuses the first connects is waited
// for (not UNREACHABLE), and the next task uses the new connection.
func TestWaitForConnection(t *testing.T) {
	conn := &flakyConnector{down: 2}
	out, rec := run{inventory: "h1\n", opts: runner.Options{Connector: conn}, playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait
      wait_for_connection: {sleep: 0, timeout: 20}
      register: w
    - command: echo {{ w.elapsed }}
`}.do(t)
	if e := rec.result(t, "wait", "h1"); e.Status != report.StatusOK {
		t.Fatalf("wait: %s %v", e.Status, e.Result)
	}
	if st := rec.stats("h1"); st.OK != 2 || st.Unreachable != 0 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
	if conn.connects != 3 || out == nil {
		t.Errorf("connects %d, want 3: two refused, one that the command reuses", conn.connects)
	}
}

// TestWaitForConnectionTimesOut: bounded in time; the failure says why.
func TestWaitForConnectionTimesOut(t *testing.T) {
	conn := &flakyConnector{down: 1 << 30}
	start := time.Now()
	_, rec := run{inventory: "h1\n", opts: runner.Options{Connector: conn}, playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait
      wait_for_connection: {timeout: 2, sleep: 1, delay: 1}
`}.do(t)
	e := rec.result(t, "wait", "h1")
	if e.Status != report.StatusFailed || !strings.HasPrefix(msgOf(e), "timed out waiting for ping module test: ") ||
		!strings.Contains(msgOf(e), "connection refused") || e.Result["elapsed"] != 3 {
		t.Errorf("timeout: %s %v", e.Status, e.Result)
	}
	if d := time.Since(start); d > 8*time.Second || conn.connects > 3 {
		t.Errorf("took %s and %d connects for timeout 2, sleep 1", d, conn.connects)
	}
}

// TestWaitForConnectionCheckMode: skipped without connecting, as Ansible does.
func TestWaitForConnectionCheckMode(t *testing.T) {
	conn := &flakyConnector{}
	_, rec := run{inventory: "h1\n", opts: runner.Options{Connector: conn, Check: true}, playbook: `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait
      wait_for_connection:
`}.do(t)
	if e := rec.result(t, "wait", "h1"); e.Status != report.StatusSkipped || conn.connects != 0 {
		t.Errorf("check mode: %s, %d connects", e.Status, conn.connects)
	}
}
