package modules_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

// The systemd module's behaviour against real systemd is tested inside the
// lab's nodes (test/lab); these tests cover what needs no systemd.

func TestSystemdValidation(t *testing.T) {
	m, _ := modules.Lookup("systemd")
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"state": "started"}, "name is required"},
		{map[string]any{}, "nothing to do"},
		{map[string]any{"name": "x", "unit_content": "a", "unit_src": "b"}, "mutually exclusive"},
		{map[string]any{"name": "x", "state": "running"}, "not one of"},
	}
	for _, tc := range cases {
		if _, err := m.Spec().Bind(tc.args, true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := m.Spec().Bind(map[string]any{"daemon_reload": true}, true); err != nil {
		t.Errorf("daemon_reload alone is valid: %v", err)
	}
}

func TestSystemdMissingUnitFailsClearly(t *testing.T) {
	// On a host without systemd the module must fail with a clear error,
	// never report success.
	eachConn(t, func(t *testing.T, c testConn) {
		mc := connContext(t, c, nil)
		_, err := helperRun(t, mc, "systemd", map[string]any{"name": "runbook-no-such-unit", "state": "started"})
		if err == nil {
			t.Fatal("no error for a unit that cannot exist")
		}
		if !strings.Contains(err.Error(), "runbook-no-such-unit.service") {
			t.Errorf("error should name the unit: %v", err)
		}
	})
}

// systemd_service is systemd: the same parameters and the same run.
func TestSystemdServiceIsSystemd(t *testing.T) {
	m, ok := modules.Lookup("systemd_service")
	if !ok {
		t.Fatal("systemd_service is not registered")
	}
	if !strings.Contains(m.Spec().Example, "systemd_service:") {
		t.Errorf("example: %s", m.Spec().Example)
	}
	if _, err := m.Spec().Bind(map[string]any{"state": "started"}, true); err == nil || !strings.Contains(err.Error(), "name is required") {
		t.Errorf("systemd's validation: %v", err)
	}
	mc := helperContext(t, nil)
	_, err := helperRun(t, mc, "systemd_service", map[string]any{"name": "runbook-no-such-unit", "state": "started"})
	if err == nil || !strings.Contains(err.Error(), "runbook-no-such-unit.service") {
		t.Errorf("runs systemd: %v", err)
	}
}
