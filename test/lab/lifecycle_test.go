package lab

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestAPIServerRunsAsUnitsOnMaster1(t *testing.T) {
	l := Require(t)
	api := l.APIServerNode()
	if l.Config().Masters > 1 && api.Name != "master1" {
		t.Fatalf("API server node %s, want master1", api.Name)
	}
	out, _, _, err := l.Run(api.Name, "systemctl is-active etcd.service kube-apiserver.service; systemctl is-enabled etcd.service kube-apiserver.service")
	if err != nil || strings.Join(strings.Fields(out), " ") != "active active enabled enabled" {
		t.Fatalf("%s: etcd/kube-apiserver units: %q %v", api.Name, out, err)
	}
	// The running API server is the bind-mounted binary, mounted read-only.
	exe, _, _, _ := l.Run(api.Name, `readlink /proc/$(systemctl show -p MainPID --value kube-apiserver.service)/exe`)
	if strings.TrimSpace(exe) != "/usr/local/bin/kube-apiserver" {
		t.Fatalf("%s: kube-apiserver's MainPID runs %q", api.Name, exe)
	}
	opts, _, _, _ := l.Run(api.Name, "findmnt -n -o OPTIONS --target /usr/local/bin/kube-apiserver; findmnt -n -o TARGET --target /usr/local/bin/kube-apiserver")
	lines := strings.Split(strings.TrimSpace(opts), "\n")
	if len(lines) != 2 || lines[1] != "/usr/local/bin/kube-apiserver" || !hasField(lines[0], "ro") {
		t.Fatalf("%s: /usr/local/bin/kube-apiserver is not a read-only bind mount: %q", api.Name, opts)
	}
	if _, _, code, _ := l.Run(api.Name, ": >>/usr/local/bin/kube-apiserver"); code == 0 {
		t.Fatalf("%s: the kube-apiserver binary is writable", api.Name)
	}
	for _, n := range l.Nodes() {
		if n == api {
			continue
		}
		out, _, _, _ := l.Run(n.Name, "systemctl is-active etcd.service kube-apiserver.service")
		for _, state := range strings.Fields(out) {
			if state == "active" {
				t.Errorf("%s runs etcd or kube-apiserver: %q", n.Name, out)
			}
		}
	}
}

// TestStopAndRestartNode drives the package's clean stop and restart on a
// node no other lab test singles out.
func TestStopAndRestartNode(t *testing.T) {
	l := Require(t)
	ctx := context.Background()
	n := l.Nodes()[len(l.Nodes())-1]
	for _, c := range l.Nodes() {
		if c != l.Master0() && c != l.APIServerNode() {
			n = c
			break
		}
	}
	t.Cleanup(func() {
		if err := l.Start(ctx, n.Name); err != nil {
			t.Errorf("starting %s again: %v", n.Name, err)
		}
	})
	first := l.InitPID(n.Name)
	if first == 0 {
		t.Fatalf("%s not running", n.Name)
	}
	if err := l.Stop(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
	if l.Running(n.Name) || l.InitPID(n.Name) != 0 {
		t.Fatalf("%s: running after Stop", n.Name)
	}
	if WaitPort(ctx, n.Addr(SSHPort), 0) == nil {
		t.Fatalf("%s: sshd answers after Stop", n.Name)
	}
	// A clean stop: systemd went through its shutdown, not a kill.
	if b, _ := os.ReadFile(l.consoleLog(n)); !strings.Contains(string(b), "System Power Off") {
		t.Fatalf("%s: no clean poweroff in the console:\n%s", n.Name, tail(l.consoleLog(n), 15))
	}
	if _, _, _, err := l.Run(n.Name, "true"); err == nil {
		t.Fatalf("%s: Run works on a stopped node", n.Name)
	}

	if err := l.Restart(ctx, n.Name); err != nil { // from down: starts it
		t.Fatal(err)
	}
	second := l.InitPID(n.Name)
	if second == 0 || second == first {
		t.Fatalf("%s: init %d after Restart (was %d)", n.Name, second, first)
	}
	if err := l.Restart(ctx, n.Name); err != nil { // from up: stops and starts it
		t.Fatal(err)
	}
	third := l.InitPID(n.Name)
	if third == 0 || third == second {
		t.Fatalf("%s: init %d after a second Restart (was %d)", n.Name, third, second)
	}
	out, err := l.SSHRun(ctx, n.Name, "hostname; systemctl is-active ssh containerd", 15*time.Second)
	if err != nil || strings.Join(strings.Fields(out), " ") != n.Name+" active active" {
		t.Fatalf("%s after Restart: %q %v", n.Name, out, err)
	}
}

// hasField reports whether the comma-separated list s has field f.
func hasField(s, f string) bool {
	for _, x := range strings.Split(s, ",") {
		if x == f {
			return true
		}
	}
	return false
}
