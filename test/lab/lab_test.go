package lab

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// These tests prove the lab itself; each calls Require, so they skip where
// the lab cannot run and fail under RUNBOOK_LAB=required.

func TestEveryNodeAnswersSSH(t *testing.T) {
	l := Require(t)
	ctx := context.Background()
	for _, n := range l.Nodes() {
		out, err := l.SSHRun(ctx, n.Name, "hostname; id -u", 15*time.Second)
		if err != nil {
			t.Fatalf("%s: ssh with the lab key: %v", n.Name, err)
		}
		if got := strings.Fields(out); len(got) != 2 || got[0] != n.Name || got[1] != "0" {
			t.Fatalf("%s: hostname/uid over ssh = %q", n.Name, out)
		}
	}
	// Root's password works too, and a wrong host key is refused.
	cfg, err := l.SSHConfig()
	if err != nil {
		t.Fatal(err)
	}
	pwOnly := *cfg
	pwOnly.Auth = []ssh.AuthMethod{ssh.Password(l.Password())}
	c, err := l.DialSSH(ctx, "node1", &pwOnly, 15*time.Second)
	if err != nil {
		t.Fatalf("node1: password login: %v", err)
	}
	c.Close()
	wrongHost := *cfg
	master0Key := cfg.HostKeyCallback
	m0addr := &net.TCPAddr{IP: net.ParseIP(l.Master0().IP), Port: SSHPort}
	wrongHost.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		return master0Key(m0addr.String(), m0addr, key) // master1's key checked as master0's
	}
	if c, err := l.DialSSH(ctx, "master1", &wrongHost, 15*time.Second); err == nil {
		c.Close()
		t.Fatal("master1's host key was accepted as master0's: host keys are not per node")
	}
}

func TestSystemdIsPID1(t *testing.T) {
	l := Require(t)
	for _, n := range l.Nodes() {
		out, _, code, err := l.Run(n.Name, "cat /proc/1/comm; systemctl is-system-running --wait 2>/dev/null || true; hostname")
		if err != nil || code != 0 {
			t.Fatalf("%s: %v (exit %d)", n.Name, err, code)
		}
		f := strings.Fields(out)
		if len(f) != 3 || f[0] != "systemd" || f[2] != n.Name {
			t.Fatalf("%s: PID 1 / state / hostname = %q", n.Name, out)
		}
		if f[1] != "running" {
			failed, _, _, _ := l.Run(n.Name, "systemctl --failed --no-legend --no-pager --plain")
			// A bookkeeping unit of the base system failing while the
			// machine is very busy (seen: systemd-update-utmp,
			// systemd-user-sessions) is logged; a unit the lab relies on
			// failing, or any other state, fails the test.
			if f[1] != "degraded" || labUnitIn(failed) {
				t.Fatalf("%s: system state %q; failed units:\n%s", n.Name, f[1], failed)
			}
			t.Logf("%s: degraded by a base-system unit the lab does not use:\n%s", n.Name, failed)
		}
	}
}

func TestListenersStayOnTheirNodeAddress(t *testing.T) {
	l := Require(t)
	socks, err := listeningSockets()
	if err != nil {
		t.Fatal(err)
	}
	nodeOfNS := map[string]Node{}
	for _, n := range l.Nodes() {
		if pid := l.InitPID(n.Name); pid != 0 {
			nodeOfNS[pidNamespace(pid)] = n
		}
	}
	seen := map[string]bool{}
	for _, s := range socks {
		for _, pid := range s.pids {
			n, ok := nodeOfPID(nodeOfNS, pid)
			if !ok {
				continue
			}
			comm, _ := os.ReadFile("/proc/" + itoa(pid) + "/comm")
			what := strings.TrimSpace(string(comm)) + " on " + n.Name
			if s.ip == VIP && strings.TrimSpace(string(comm)) == "haproxy" && !n.IsMaster() {
				continue // the registry VIP, on workers (ha shape)
			}
			if s.ip != n.IP {
				t.Errorf("%s listens on %s %s:%d, not on its node address %s", what, s.proto, s.ip, s.port, n.IP)
			}
			seen[n.Name+":"+itoa(s.port)] = true
		}
	}
	for _, want := range []string{"master0:22", "master1:22", "node1:22", "master1:6443", "master1:2379", "master0:5000"} {
		if !seen[want] {
			t.Errorf("no listener %s found (the check would be blind)", want)
		}
	}
}

func TestContainerdPullsSeededImage(t *testing.T) {
	l := Require(t)
	pw, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	node := l.Nodes()[len(l.Nodes())-1].Name // node1 in the default shape
	img := SeedImages[0]
	want, _ := img.Image()
	digest, _ := want.Digest()
	rm := "ctr -n k8s.io images rm --sync " + img.Ref() + " >/dev/null 2>&1 || true"
	t.Cleanup(func() { l.Run(node, rm) })
	l.Run(node, rm)

	_, errOut, code, err := l.Run(node, "ctr -n k8s.io images pull --hosts-dir /etc/docker/certs.d "+img.Ref())
	if err != nil || code == 0 {
		t.Fatalf("pull without credentials: exit %d, %v: %s (the registry must require auth)", code, err, errOut)
	}
	out, errOut, code, err := l.Run(node, "ctr -n k8s.io images pull --hosts-dir /etc/docker/certs.d --user "+RegistryUser+":"+pw+" "+img.Ref())
	if err != nil || code != 0 {
		t.Fatalf("%s: ctr pull %s: exit %d, %v\n%s%s", node, img.Ref(), code, err, out, errOut)
	}
	ls, _, _, _ := l.Run(node, "ctr -n k8s.io images ls")
	if !strings.Contains(ls, img.Ref()) || !strings.Contains(ls, digest.String()) {
		t.Fatalf("%s: pulled image %s@%s not listed:\n%s", node, img.Ref(), digest, ls)
	}
}

func TestAPIServerServesConfigMaps(t *testing.T) {
	l := Require(t)
	ctx := context.Background()
	code, body, err := l.Kube(ctx, http.MethodGet, "/api/v1/namespaces/kube-system/configmaps", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("list configmaps: %d %v %s", code, err, body)
	}
	var list struct{ Items []ConfigMap }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(l.ClusterfilePath())
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, cm := range list.Items {
		if cm.Metadata.Name == ClusterfileConfigMap {
			found = true
			if cm.Data["Clusterfile"] != string(want) {
				t.Fatalf("ConfigMap %s holds\n%s\nwant\n%s", ClusterfileConfigMap, cm.Data["Clusterfile"], want)
			}
		}
	}
	if !found {
		t.Fatalf("no ConfigMap kube-system/%s among %d", ClusterfileConfigMap, len(list.Items))
	}
	// Every master's /etc/kubernetes/admin.conf reaches the API server.
	probe := `set -e; d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
awk '/certificate-authority-data:/{print $2}' /etc/kubernetes/admin.conf | base64 -d >"$d/ca.crt"
server=$(awk '/server:/{print $2}' /etc/kubernetes/admin.conf)
token=$(awk '/token:/{print $2}' /etc/kubernetes/admin.conf)
curl -sS --max-time 10 --cacert "$d/ca.crt" -H "Authorization: Bearer $token" -o /dev/null -w '%{http_code}' "$server/api/v1/namespaces/kube-system/configmaps/sealer-clusterfile"`
	for _, n := range l.Masters() {
		out, errOut, code, err := l.Run(n.Name, probe)
		if err != nil || code != 0 || out != "200" {
			t.Fatalf("%s: admin.conf request: %q exit %d %v %s", n.Name, out, code, err, errOut)
		}
	}
}

func TestHardKilledMaster0StopsAnswering(t *testing.T) {
	l := Require(t)
	ctx := context.Background()
	m0 := l.Master0()
	t.Cleanup(func() { // leave the lab as found, whatever happened
		if err := l.Start(ctx, m0.Name); err != nil {
			t.Errorf("restarting %s: %v", m0.Name, err)
		}
	})
	if _, err := l.SSHRun(ctx, m0.Name, "true", 15*time.Second); err != nil {
		t.Fatalf("%s before the kill: %v", m0.Name, err)
	}
	killed := time.Now()
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	var gone time.Duration
	for {
		if _, err := l.SSHRun(ctx, m0.Name, "true", 2*time.Second); err != nil {
			gone = time.Since(killed)
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("%s still answers SSH %s after SIGKILL", m0.Name, time.Since(killed))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s stopped answering SSH %s after the kill", m0.Name, gone.Round(time.Millisecond))
	if l.Running(m0.Name) {
		t.Fatalf("%s: init still alive after HardKill", m0.Name)
	}
	if WaitPort(ctx, m0.Addr(RegistryPort), 0) == nil {
		t.Fatalf("registry on %s still answers", m0.Name)
	}
	for _, n := range l.Nodes()[1:] {
		if out, err := l.SSHRun(ctx, n.Name, "systemctl is-active ssh containerd", 15*time.Second); err != nil {
			t.Fatalf("%s after master0 died: %v %s", n.Name, err, out)
		}
	}
	if err := l.WaitAPIServer(ctx, 10*time.Second); err != nil {
		t.Fatalf("API server after master0 died: %v", err)
	}

	if err := l.Start(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	if out, err := l.SSHRun(ctx, m0.Name, "hostname", 15*time.Second); err != nil || strings.TrimSpace(out) != m0.Name {
		t.Fatalf("%s after restart: %q %v", m0.Name, out, err)
	}
	if err := WaitPort(ctx, m0.Addr(RegistryPort), 30*time.Second); err != nil {
		t.Fatalf("registry after %s restarted: %v", m0.Name, err)
	}
}

// labUnitIn reports whether a `systemctl --failed` listing names a unit the
// lab's nodes are for.
func labUnitIn(failed string) bool {
	for _, u := range []string{"ssh", "containerd", "etcd", "kube-apiserver", "sealer-registry", "dbus", "systemd-networkd", "systemd-journald"} {
		for _, line := range strings.Split(failed, "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.TrimSuffix(f[0], ".service") == u {
				return true
			}
		}
	}
	return false
}

// nodeOfPID finds the node a process belongs to: its own PID namespace's,
// or, for a process in a container inside a node (the registry), the
// nearest ancestor's.
func nodeOfPID(nodeOfNS map[string]Node, pid int) (Node, bool) {
	for i := 0; i < 16 && pid > 1; i++ {
		if n, ok := nodeOfNS[pidNamespace(pid)]; ok {
			return n, true
		}
		status, err := os.ReadFile("/proc/" + itoa(pid) + "/status")
		if err != nil {
			break
		}
		next := 0
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok {
				next, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		pid = next
	}
	return Node{}, false
}
