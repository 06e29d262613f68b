package modules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/test/lab"
)

// On a node booted with systemd, service (use: auto) is the systemd module:
// the same changes, check mode and status dict; service_facts lists the
// unit from systemctl.
func TestServiceOnTheLab(t *testing.T) {
	l := lab.Require(t)
	mc := labContext(t, l, l.Node("node1").IP)
	unit := fmt.Sprintf("rbsvc%d", time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		_, _, _, _ = l.Run("node1", "systemctl disable --now "+unit+"; rm -f /etc/systemd/system/"+unit+".service; systemctl daemon-reload")
	})
	helperMustRun(t, mc, "systemd", map[string]any{"name": unit, "unit_content": unitText("svc")})
	run := func(check bool, args map[string]any) *modules.Result {
		t.Helper()
		mc.Check = check
		args["name"] = unit
		return helperMustRun(t, mc, "service", args)
	}
	want := map[string]any{"state": "started", "enabled": true, "pattern": "ignored on systemd"}
	if r := run(true, copyArgs(want)); !r.Changed {
		t.Errorf("check: would start and enable: %+v", r)
	}
	if s := labState(t, l, "node1", unit); !strings.HasPrefix(s, "inactive disabled") {
		t.Fatalf("check mode touched the node: %s", s)
	}
	r := run(false, copyArgs(want))
	if st, _ := r.Data["status"].(map[string]any); !r.Changed || st["ActiveState"] != "active" || r.Data["enabled"] != true {
		t.Errorf("start+enable: %+v", r)
	}
	if s := labState(t, l, "node1", unit); s != "active enabled svc" {
		t.Fatalf("after start+enable: %q", s)
	}
	if r := run(false, copyArgs(want)); r.Changed {
		t.Errorf("second run must be ok: %+v", r)
	}
	mc.Check = false
	facts := helperMustRun(t, mc, "service_facts", map[string]any{})
	services, _ := facts.Facts["services"].(map[string]any)
	got, _ := services[unit+".service"].(map[string]any)
	if got["state"] != "running" || got["status"] != "enabled" || got["source"] != "systemd" {
		t.Errorf("service_facts: %v", got)
	}
	if r := run(false, map[string]any{"state": "stopped", "enabled": false}); !r.Changed {
		t.Error("stop+disable must change")
	}
	if s := labState(t, l, "node1", unit); !strings.HasPrefix(s, "inactive disabled") {
		t.Errorf("after stop+disable: %q", s)
	}
}
