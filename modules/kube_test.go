package modules_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/test/lab"
	"github.com/runbook-dev/runbook/transport"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// labConnector dials lab nodes over real SSH, once per node for the whole
// test (as the engine keeps one connection per host for a run), closing
// them when the test ends.
func labConnector(tb testing.TB, l *lab.Lab) func(ctx context.Context, host string) (transport.Transport, error) {
	var mu sync.Mutex
	conns := map[string]transport.Transport{}
	tb.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return func(ctx context.Context, h string) (transport.Transport, error) {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := conns[h]; ok {
			return c, nil
		}
		c, err := ssh.Dial(ctx, ssh.Config{Name: h, Addr: h, Port: 22, User: "root", KeyFiles: []string{l.KeyPath()},
			KnownHostsFile: l.KnownHostsPath(), Timeout: 5 * time.Second})
		if err != nil {
			return nil, err
		}
		conns[h] = c
		return c, nil
	}
}

// labContext is a module context for a task running for host on the lab,
// with Connect reaching every lab node over real SSH.
func labContext(t *testing.T, l *lab.Lab, host string) *modules.Context {
	t.Helper()
	connect := labConnector(t, l)
	var masters []any
	for _, m := range l.Masters() {
		masters = append(masters, m.IP)
	}
	mc := helperContext(t, map[string]any{"groups": map[string][]any{"master": masters}})
	mc.Host = host
	mc.Connect = connect
	c, err := connect(context.Background(), host)
	if err != nil {
		t.Fatalf("ssh to %s: %v", host, err)
	}
	mc.Conn = c
	return mc
}

func TestConfigMapRoundTripOnTheLab(t *testing.T) {
	l := lab.Require(t)
	mc := labContext(t, l, l.Node("node1").IP)
	name := fmt.Sprintf("runbook-test-%d", time.Now().UnixNano())
	apply := map[string]any{"name": name, "data": map[string]any{"domain": "sea.hub", "port": 5000}}
	r := helperMustRun(t, mc, "configmap", apply)
	if !r.Changed || r.Data["via"] != l.Master0().IP {
		t.Fatalf("first apply: changed=%v via=%v", r.Changed, r.Data["via"])
	}
	t.Cleanup(func() { _, _ = helperRun(t, mc, "configmap", map[string]any{"name": name, "action": "delete"}) })
	if r := helperMustRun(t, mc, "configmap", apply); r.Changed {
		t.Error("second identical apply must be ok")
	}
	got := helperMustRun(t, mc, "configmap", map[string]any{"name": name, "action": "get"})
	if d := got.Data["data"].(map[string]any); d["port"] != "5000" || d["domain"] != "sea.hub" {
		t.Errorf("get: %v", d)
	}
	// Check mode: a server-side dry run predicts the change and stores nothing.
	mc.Check, mc.Diff = true, true
	r = helperMustRun(t, mc, "configmap", map[string]any{"name": name, "data": map[string]any{"domain": "sea.hub", "port": 5001}})
	if !r.Changed || len(r.Diff) != 1 || !strings.Contains(r.Diff[0].After, "5001") {
		t.Errorf("check apply: changed=%v diff=%v", r.Changed, r.Diff)
	}
	mc.Check = false
	got = helperMustRun(t, mc, "configmap", map[string]any{"name": name, "action": "get"})
	if got.Data["data"].(map[string]any)["port"] != "5000" {
		t.Error("check mode changed the ConfigMap")
	}
	if r := helperMustRun(t, mc, "configmap", map[string]any{"name": name, "action": "delete"}); !r.Changed {
		t.Error("delete of an existing ConfigMap is a change")
	}
	if got := helperMustRun(t, mc, "configmap", map[string]any{"name": name, "action": "get"}); got.Data["exists"] != false {
		t.Error("still there after delete")
	}
}

func TestSecretValuesNeverShowAndDumpToHost(t *testing.T) {
	l := lab.Require(t)
	node := l.Node("node1").IP
	mc := labContext(t, l, node)
	mc.Diff = true
	name := fmt.Sprintf("runbook-secret-%d", time.Now().UnixNano())
	r := helperMustRun(t, mc, "secret", map[string]any{"name": name, "data": map[string]any{"password": "S3cr3t-Value", "user": "sealer"}})
	t.Cleanup(func() { _, _ = helperRun(t, mc, "secret", map[string]any{"name": name, "action": "delete"}) })
	for _, d := range r.Diff {
		if strings.Contains(d.Before+d.After, "S3cr3t-Value") {
			t.Errorf("secret value in diff: %+v", d)
		}
	}
	found := false
	for _, s := range r.Secrets {
		found = found || s == "S3cr3t-Value"
	}
	if !found {
		t.Error("the module must declare the secret value so the engine masks it")
	}
	dir := fmt.Sprintf("/tmp/%s", name)
	dump := map[string]any{"name": name, "action": "dump", "dest_dir": dir}
	if r := helperMustRun(t, mc, "secret", dump); !r.Changed {
		t.Error("first dump writes files")
	}
	if r := helperMustRun(t, mc, "secret", dump); r.Changed {
		t.Error("second dump must be ok")
	}
	out, _, code, err := l.Run("node1", "stat -c '%a' "+dir+"/password; cat "+dir+"/password")
	if err != nil || code != 0 || out != "600\nS3cr3t-Value" {
		t.Errorf("dumped file on node1: %q (code %d, %v)", out, code, err)
	}
}

func TestKubeFailsOverWhenMaster0IsDead(t *testing.T) {
	l := lab.Require(t)
	ctx := context.Background()
	if err := l.HardKill(ctx, l.Master0().Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Restart(context.Background(), l.Master0().Name); err != nil {
			t.Errorf("restart master0: %v", err)
		}
	})
	mc := labContext(t, l, l.Node("node1").IP)
	start := time.Now()
	r := helperMustRun(t, mc, "configmap", map[string]any{"name": "sealer-clusterfile", "action": "get", "timeout": 3})
	if r.Data["via"] != l.Masters()[1].IP || r.Data["exists"] != true {
		t.Errorf("via=%v exists=%v, want the second master and the seeded ConfigMap", r.Data["via"], r.Data["exists"])
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("failover took %v", took)
	}

}
