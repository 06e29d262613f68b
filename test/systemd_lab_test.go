package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/lab"
)

// The systemd module through the binary on a lab node: a unit file written
// by an earlier task (copy), started and enabled, restarted by a handler
// when the file changes, then masked. Every step is checked on the node
// itself; --check changes nothing on it and predicts "would change" for
// the unit the earlier task installs; every second run is changed=0.

const systemdPlaybook = `
- hosts: all
  vars: {desc: first}
  tasks:
    - name: unit file
      copy:
        dest: /usr/lib/systemd/system/{{ unit }}.service
        content: "[Unit]\nDescription={{ desc }}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"
      notify: restart
    - name: service
      systemd: {name: "{{ unit }}", daemon_reload: true, enabled: true, state: started}
      register: svc
    - name: status
      debug: {msg: "status={{ svc.status.ActiveState }}/{{ svc.status.UnitFileState }}"}
  handlers:
    - name: restart
      systemd: {name: "{{ unit }}", state: restarted, daemon_reload: true}
`

const systemdMaskPlaybook = `
- hosts: all
  tasks:
    - name: mask
      systemd: {name: "{{ unit }}", state: stopped, masked: true}
`

// unitOnNode is the unit's state on the node and the unit file's sha256.
func unitOnNode(t *testing.T, l *lab.Lab, node, unit string) (state, pid, file string) {
	t.Helper()
	out, stderr, _, err := l.Run(node, fmt.Sprintf(`systemctl is-active %[1]s; systemctl is-enabled %[1]s; `+
		`systemctl show -p Description --value %[1]s; systemctl show -p MainPID --value %[1]s; `+
		`sha256sum /usr/lib/systemd/system/%[1]s.service 2>&1 | cut -c1-64`, unit))
	if err != nil {
		t.Fatalf("reading %s on %s: %v %s", unit, node, err, stderr)
	}
	f := strings.Fields(out)
	if len(f) < 5 {
		t.Fatalf("reading %s on %s: %q", unit, node, out)
	}
	return strings.Join(f[:3], " "), f[3], f[4]
}

// recapChanged returns host's changed= count in the recap, failing when the
// host has no recap line.
func recapChanged(t *testing.T, r result, host string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(host) + `\s+: ok=\d+\s+changed=(\d+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no recap line for %s:\n%s", host, r)
	}
	return m[1]
}

func TestSystemdPlaybookOnTheLab(t *testing.T) {
	l := lab.Require(t)
	node := l.Node("node1")
	unit := fmt.Sprintf("rbplay%d", time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		_, _, _, _ = l.Run(node.Name, "systemctl unmask "+unit+"; systemctl disable --now "+unit+
			"; rm -f /usr/lib/systemd/system/"+unit+".service; systemctl daemon-reload")
	})
	dir := workdir(t, map[string]string{"site.yaml": systemdPlaybook, "mask.yaml": systemdMaskPlaybook})
	play := func(name string, args ...string) result {
		t.Helper()
		r := runbook(t, dir, append([]string{"play", name, "-i", l.ClusterfilePath(), "--known-hosts", l.KnownHostsPath(),
			"--limit", node.IP, "-e", "unit=" + unit}, args...)...)
		if r.code != 0 {
			t.Fatalf("%s %v: exit %d\n%s", name, args, r.code, r)
		}
		return r
	}
	header := node.IP + ":/usr/lib/systemd/system/" + unit + ".service"

	// Check mode on a fresh node: the unit the copy task would install is
	// "would change", not "could not find the unit"; nothing changes.
	state0, _, file0 := unitOnNode(t, l, node.Name, unit)
	check := play("site.yaml", "--check", "--diff")
	mustContain(t, check, "--- before: "+header+" (absent)", "+++ after: "+header+" (content)", "+Description=first")
	if s := section(t, check.stdout, "TASK [service] [CHECK MODE]"); !strings.Contains(s, "changed: ["+node.IP+"]") {
		t.Errorf("check mode must predict the service task as changed:\n%s", s)
	}
	if s, _, f := unitOnNode(t, l, node.Name, unit); s != state0 || f != file0 {
		t.Fatalf("--check changed the node: %q %s -> %q %s", state0, file0, s, f)
	}

	// The real run installs, enables and starts it; the registered status is the unit's.
	real := play("site.yaml")
	mustContain(t, real, "status=active/enabled")
	state, pid1, _ := unitOnNode(t, l, node.Name, unit)
	if state != "active enabled first" || pid1 == "0" {
		t.Fatalf("after the first run: %q pid %s", state, pid1)
	}
	if recapChanged(t, real, node.IP) == "0" {
		t.Errorf("the first run changed nothing:\n%s", real)
	}
	if again := play("site.yaml"); recapChanged(t, again, node.IP) != "0" {
		t.Errorf("second run not idempotent:\n%s", again)
	}
	if _, pid, _ := unitOnNode(t, l, node.Name, unit); pid != pid1 {
		t.Errorf("an unchanged unit was restarted: pid %s -> %s", pid1, pid)
	}

	// A change of the unit file: --check --diff shows it and touches nothing;
	// the real run installs it and the handler restarts the service.
	state, _, file1 := unitOnNode(t, l, node.Name, unit)
	check = play("site.yaml", "-e", "desc=second", "--check", "--diff")
	mustContain(t, check, "--- before: "+header+" (content)", "-Description=first", "+Description=second", "RUNNING HANDLER [restart]")
	if s, pid, f := unitOnNode(t, l, node.Name, unit); s != state || f != file1 || pid != pid1 {
		t.Fatalf("--check changed the node: %q %s %s", s, f, pid)
	}
	play("site.yaml", "-e", "desc=second")
	state, pid2, _ := unitOnNode(t, l, node.Name, unit)
	if state != "active enabled second" || pid2 == pid1 || pid2 == "0" {
		t.Fatalf("after the change: %q pid %s -> %s (the handler must restart it)", state, pid1, pid2)
	}
	if again := play("site.yaml", "-e", "desc=second"); recapChanged(t, again, node.IP) != "0" {
		t.Errorf("second run after the change not idempotent:\n%s", again)
	}

	// Mask: check mode predicts it and changes nothing; the run masks and stops; again is ok.
	if c := play("mask.yaml", "--check"); recapChanged(t, c, node.IP) != "1" {
		t.Errorf("check mode must predict the mask:\n%s", c)
	}
	if s, pid, _ := unitOnNode(t, l, node.Name, unit); s != "active enabled second" || pid != pid2 {
		t.Fatalf("--check masked or stopped the unit: %q", s)
	}
	play("mask.yaml")
	if s, _, _ := unitOnNode(t, l, node.Name, unit); !strings.HasPrefix(s, "inactive masked") {
		t.Fatalf("after mask: %q", s)
	}
	if again := play("mask.yaml"); recapChanged(t, again, node.IP) != "0" {
		t.Errorf("second mask run not idempotent:\n%s", again)
	}
}

// A unit nobody installs still fails in check mode, naming host and unit.
func TestSystemdPlaybookMissingUnitFails(t *testing.T) {
	l := lab.Require(t)
	node := l.Node("node1")
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: all\n  tasks:\n    - systemd: {name: rb-no-such-unit, state: started}\n"})
	for _, args := range [][]string{nil, {"--check"}} {
		r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", l.ClusterfilePath(), "--known-hosts", l.KnownHostsPath(), "--limit", node.IP}, args...)...)
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "could not find the requested unit rb-no-such-unit.service on "+node.IP) {
			t.Errorf("%v: want a failure naming the unit and host\n%s", args, r)
		}
	}
}
