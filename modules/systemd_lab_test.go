package modules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/test/lab"
)

func unitText(desc string) string {
	return "[Unit]\nDescription=" + desc + "\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"
}

// labState reads a unit's state on a lab node.
func labState(t *testing.T, l *lab.Lab, node, unit string) string {
	t.Helper()
	out, _, _, err := l.Run(node, fmt.Sprintf("systemctl is-active %[1]s; systemctl is-enabled %[1]s; systemctl show -p Description --value %[1]s", unit))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(out), " ")
}

// labMainPID is a unit's main process on a lab node.
func labMainPID(t *testing.T, l *lab.Lab, node, unit string) string {
	t.Helper()
	out, _, _, err := l.Run(node, "systemctl show -p MainPID --value "+unit)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func TestSystemdOnTheLab(t *testing.T) {
	l := lab.Require(t)
	node := l.Node("node1")
	mc := labContext(t, l, node.IP)
	unit := fmt.Sprintf("rbtest%d", time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		_, _, _, _ = l.Run("node1", "systemctl disable --now "+unit+"; systemctl unmask "+unit+"; rm -f /usr/lib/systemd/system/"+unit+".service; systemctl daemon-reload")
	})
	run := func(check bool, args map[string]any) *modules.Result {
		t.Helper()
		mc.Check = check
		args["name"], args["unit_dir"] = unit, "/usr/lib/systemd/system" // a packaged unit can be masked
		return helperMustRun(t, mc, "systemd", args)
	}
	install := map[string]any{"unit_content": unitText("first"), "enabled": true, "state": "started"}

	// Check mode on a unit that does not exist yet but this task installs.
	if r := run(true, copyArgs(install)); !r.Changed || !strings.Contains(r.Msg, "would") {
		t.Errorf("check on a new unit: changed=%v msg=%q", r.Changed, r.Msg)
	}
	if s := labState(t, l, "node1", unit); !strings.HasPrefix(s, "inactive") {
		t.Fatalf("check mode touched the node: %s", s)
	}
	r := run(false, copyArgs(install))
	if st, _ := r.Data["status"].(map[string]any); !r.Changed || st["ActiveState"] != "active" || st["UnitFileState"] != "enabled" || r.Data["enabled"] != true {
		t.Errorf("install+enable+start must change and return the unit's status: %+v", r)
	}
	if s := labState(t, l, "node1", unit); s != "active enabled first" {
		t.Fatalf("after install: %q", s)
	}
	if r := run(false, copyArgs(install)); r.Changed {
		t.Errorf("second run must be ok: %s", r.Msg)
	}
	// A changed unit file is installed and reloaded; check mode predicts it.
	changed := map[string]any{"unit_content": unitText("second"), "state": "restarted"}
	pid := labMainPID(t, l, "node1", unit)
	mc.Diff = true
	r = run(true, copyArgs(changed))
	h := node.IP + ":/usr/lib/systemd/system/" + unit + ".service (content)"
	if !r.Changed || len(r.Diff) != 1 || r.Diff[0].BeforeHeader != h || r.Diff[0].Before != unitText("first") || r.Diff[0].After != unitText("second") {
		t.Errorf("check: a changed unit would change, with its diff: %+v", r)
	}
	mc.Diff = false
	if s := labState(t, l, "node1", unit); s != "active enabled first" {
		t.Fatalf("check mode changed the unit: %s", s)
	}
	run(false, copyArgs(changed))
	if s := labState(t, l, "node1", unit); s != "active enabled second" {
		t.Fatalf("after change: %q (daemon-reload must pick up the new unit)", s)
	}
	if p := labMainPID(t, l, "node1", unit); p == pid || p == "0" {
		t.Errorf("restarted: MainPID %s -> %s", pid, p)
	}
	if r := run(false, map[string]any{"masked": true, "state": "stopped"}); !r.Changed {
		t.Error("mask+stop must change")
	}
	if s := labState(t, l, "node1", unit); !strings.HasPrefix(s, "inactive masked") {
		t.Errorf("after mask: %q", s)
	}
	if r := run(false, map[string]any{"masked": false}); !r.Changed {
		t.Error("unmask must change")
	}
	run(false, map[string]any{"enabled": false, "state": "stopped"})
	if s := labState(t, l, "node1", unit); !strings.HasPrefix(s, "inactive disabled") {
		t.Errorf("after disable+stop: %q", s)
	}
}

func TestSystemdCheckModeTrustsEarlierTasks(t *testing.T) {
	l := lab.Require(t)
	mc := labContext(t, l, l.Node("node1").IP)
	mc.Check = true
	unit := "rbmissing-unit"
	if _, err := helperRun(t, mc, "systemd", map[string]any{"name": unit, "state": "started"}); err == nil {
		t.Fatal("a unit nothing installs must fail in check mode too")
	}
	// An earlier copy task would have written the unit file.
	mc.Predicted = &modules.Predictions{}
	mc.Predicted.Add("/etc/systemd/system/" + unit + ".service")
	r, err := helperRun(t, mc, "systemd", map[string]any{"name": unit, "state": "started", "enabled": true})
	if err != nil || !r.Changed {
		t.Errorf("predicted unit: %v, %+v", err, r)
	}
}

func copyArgs(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// A unit that fails to start fails the task, naming the host and unit with
// systemctl's stderr.
func TestSystemdFailingStartShowsStderr(t *testing.T) {
	l := lab.Require(t)
	node := l.Node("node1")
	mc := labContext(t, l, node.IP)
	unit := fmt.Sprintf("rbfail%d", time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		_, _, _, _ = l.Run("node1", "systemctl reset-failed "+unit+"; rm -f /etc/systemd/system/"+unit+".service; systemctl daemon-reload")
	})
	_, err := helperRun(t, mc, "systemd", map[string]any{"name": unit, "state": "started",
		"unit_content": "[Unit]\nDescription=fails\n[Service]\nType=oneshot\nExecStart=/bin/false\n"})
	if err == nil || !strings.Contains(err.Error(), unit+".service on "+node.IP) || !strings.Contains(err.Error(), "Job for "+unit+".service failed") {
		t.Fatalf("failing start: %v", err)
	}
}
