package test

import (
	"context"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// nodeTrees fingerprints what the registry playbooks may touch on every
// running node: the files under /etc/containerd, /etc/systemd/system,
// sealer's data root and /root/.sealer, and /etc/hosts.
func nodeTrees(t *testing.T, l *lab.Lab, skip string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range l.Nodes() {
		if n.Name == skip {
			continue
		}
		out, stderr, code, err := l.Run(n.Name, "find /etc/containerd /etc/docker /etc/systemd/system /root/.sealer /var/lib/kubelet "+lab.DataRoot+
			" /etc/hosts -xdev -type f -printf '%p %m %U\\n' -exec sha256sum {} + 2>/dev/null | sort; systemctl is-active sealer-registry.service || true;"+
			" docker ps -a --no-trunc --format '{{.Names}} {{.ID}} {{.Status}}' | sed 's/Up [^(]*/Up/' || true")
		if err != nil || (code != 0 && stderr != "") {
			t.Fatalf("listing %s: %v %s", n.Name, err, stderr)
		}
		b.WriteString("== " + n.Name + "\n" + out)
	}
	return b.String()
}

// dryRunMatches runs a playbook with --check --diff, checks that no node
// changed, runs it for real and checks that the same tasks changed.
func dryRunMatches(t *testing.T, l *lab.Lab, dir, skip, name string, args ...string) {
	t.Helper()
	before := nodeTrees(t, l, skip)
	check := labPlay(t, l, dir, name, append(args, "--check", "--diff")...)
	mustExit(t, check, 0, name+" --check")
	if after := nodeTrees(t, l, skip); after != before {
		t.Fatalf("%s --check changed a node:\n%s", name, lineDiff(before, after))
	}
	real := labPlay(t, l, dir, name, args...)
	mustExit(t, real, 0, name)
	if p, r := changedTasks(check.stdout), changedTasks(real.stdout); p != r {
		t.Errorf("%s: --check predicted %q\nthe real run changed %q", name, p, r)
	}
}

func lineDiff(a, b string) string {
	in := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		in[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if !in[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// On a freshly seeded lab, --check --diff of each playbook changes nothing
// on any node and lists exactly the changed tasks of the real run (the
// recovery itself is checked this way in each shape by
// TestRecoverMaster0Story).
func TestRegistryPlaybooksDryRunIsHonest(t *testing.T) {
	l, dir, ctx := freshLab(t, lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker})
	dryRunMatches(t, l, dir, "", "registry-deploy.yaml")
	dryRunMatches(t, l, dir, "", "pre-distribute.yaml", "-e", labApps(t, dir))
	m0 := l.Master0()
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	dryRunMatches(t, l, dir, m0.Name, "recover-master0.yaml", "-e", "host="+l.Masters()[1].IP)
}

// Bad requests are refused before anything changes: a worker, an address
// outside the inventory, a dead master; a missing -e host is a usage error.
func TestRecoverMaster0RefusesBadRequests(t *testing.T) {
	l := lab.Require(t)
	dir := t.TempDir()
	ctx := context.Background()
	m0 := l.Master0()
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Start(ctx, m0.Name) })
	before := nodeTrees(t, l, m0.Name)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-e", "host=" + l.Workers()[0].IP}, 2, l.Workers()[0].IP + " is not a master"},
		{[]string{"-e", "host=127.0.10.99"}, 2, "127.0.10.99 is not in the inventory"},
		{[]string{"-e", "host=" + m0.IP}, 2, m0.IP + " does not answer over SSH"},
		{nil, 5, `needs the variable "host"`},
		{[]string{"-e", "host="}, 5, `needs the variable "host"`},
	} {
		for _, pb := range []string{"recover-master0.yaml", "post-distribute.yaml"} {
			r := labPlay(t, l, dir, pb, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("%s %v: want exit %d and %q\n%s", pb, tc.args, tc.code, tc.want, r)
			}
		}
	}
	if after := nodeTrees(t, l, m0.Name); after != before {
		t.Fatalf("a refused request changed a node:\n%s", lineDiff(before, after))
	}
}
