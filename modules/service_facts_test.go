package modules_test

import (
	"os/exec"
	"reflect"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// On this machine: whatever init tools it has, every service comes in
// Ansible's shape.
func TestServiceFactsShape(t *testing.T) {
	if _, err := exec.LookPath("service"); err != nil {
		if _, err := exec.LookPath("systemctl"); err != nil {
			t.Skip("neither service nor systemctl here")
		}
	}
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "service_facts", map[string]any{})
	if r.Skipped {
		t.Skip("no service found on this machine: " + r.Msg)
	}
	services, _ := r.Facts["services"].(map[string]any)
	if len(services) == 0 {
		t.Fatalf("no services: %+v", r)
	}
	for k, v := range services {
		s, _ := v.(map[string]any)
		if s["name"] != k || s["state"] == "" || s["source"] == nil {
			t.Errorf("%s: %v", k, s)
		}
	}
}

// systemd's listings, as systemctl prints them, become Ansible's entries.
func TestServiceFactsSystemdListing(t *testing.T) {
	out := "@@units\n" +
		"  cron.service        loaded    active   running Regular background program processing daemon\n" +
		"● broken.service      loaded    failed   failed  A broken one\n" +
		"● gone.service        not-found inactive dead    gone.service\n" +
		"  oneshot.service     loaded    inactive dead    Runs once\n" +
		"@@files\n" +
		"cron.service          enabled   enabled\n" +
		"broken.service        enabled   enabled\n" +
		"oneshot.service       static    -\n" +
		"idle.service          disabled  enabled\n" +
		"getty@.service        enabled   enabled\n"
	mc := helperContext(t, nil)
	mc.Conn = helperConn{run: func(*transport.Cmd) (*transport.Result, error) { return &transport.Result{Stdout: []byte(out)}, nil }}
	r := helperMustRun(t, mc, "service_facts", map[string]any{})
	want := map[string]any{
		"cron.service":    map[string]any{"name": "cron.service", "state": "running", "status": "enabled", "source": "systemd"},
		"broken.service":  map[string]any{"name": "broken.service", "state": "stopped", "status": "failed", "source": "systemd"},
		"gone.service":    map[string]any{"name": "gone.service", "state": "stopped", "status": "not-found", "source": "systemd"},
		"oneshot.service": map[string]any{"name": "oneshot.service", "state": "stopped", "status": "static", "source": "systemd"},
		"idle.service":    map[string]any{"name": "idle.service", "state": "inactive", "status": "disabled", "source": "systemd"},
		"getty@.service":  map[string]any{"name": "getty@.service", "state": "unknown", "status": "enabled", "source": "systemd"},
	}
	if got := r.Facts["services"]; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	// Nothing listed: skipped, as in Ansible.
	mc.Conn = helperConn{run: func(*transport.Cmd) (*transport.Result, error) { return &transport.Result{}, nil }}
	if r := helperMustRun(t, mc, "service_facts", map[string]any{}); !r.Skipped || r.Facts != nil {
		t.Errorf("no services: %+v", r)
	}
}
