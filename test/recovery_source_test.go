package test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// Issue 15 on the lab: master0 (where sealer ran, holding
// ~/.sealer/Clusterfile) is hard-killed; the Clusterfile that survives is
// the ConfigMap kube-system/sealer-clusterfile, read through a surviving
// master, and the recovery starts with no -i and no file copied by hand.

// labSSH are the connection flags reaching lab nodes.
func labSSH(l *lab.Lab) []string {
	return []string{"-u", "root", "--private-key", l.KeyPath(), "--known-hosts", l.KnownHostsPath()}
}

func TestLabInventoryThroughSurvivingMaster(t *testing.T) {
	l, dir, ctx := freshLab(t, lab.DefaultSeedOptions())
	m0, m1 := l.Master0(), l.Masters()[1]
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	// master0 is tried first and skipped: it is dead.
	args := append([]string{"-i", "cluster://" + m0.IP + "," + m1.IP, "-T", "3s", "-v"}, labSSH(l)...)
	list, r := listJSON(t, dir, args...)
	mustContain(t, r, "using inventory ConfigMap kube-system/sealer-clusterfile (through "+m1.IP+")")
	if got := jsonText(groupHosts(list, "master0")); got != `["`+m0.IP+`"]` {
		t.Errorf("master0 group %s, want %s", got, m0.IP)
	}
	for _, n := range l.Nodes() {
		if hostVar(list, n.IP, "ansible_host") != n.IP {
			t.Errorf("node %s (%s) missing from the inventory read from the cluster", n.Name, n.IP)
		}
	}
	if hostVar(list, m1.IP, "ansible_password") != "********" || hostVar(list, m1.IP, "sealer_layout") != "v09" {
		t.Errorf("host vars of %s: %v %v", m1.IP, hostVar(list, m1.IP, "ansible_password"), hostVar(list, m1.IP, "sealer_layout"))
	}
	password, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	// The lab's root password, runbook-lab, is also part of the lab's
	// directory name, which paths in the output rightly show.
	r.stdout = strings.ReplaceAll(r.stdout, l.Dir(), "LABDIR")
	r.stderr = strings.ReplaceAll(r.stderr, l.Dir(), "LABDIR")
	noSecrets(t, r, l.Password(), password)
	r = runbook(t, dir, append([]string{"inventory", "--graph", "-i", "cluster://" + m1.IP}, labSSH(l)...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "|--@registry:") {
		t.Errorf("--graph through %s:\n%s", m1.IP, r)
	}
}

// The operator on master1 types the recovery with no -i: runbook finds no
// Clusterfile file, reads the cluster's through the admin kubeconfig (here
// the lab's copy of master1's /etc/kubernetes/admin.conf, given with
// --kubeconfig because this test runs beside the nodes, not on master1),
// says where it found it, and recovers.
func TestLabRecoverMaster0WithoutInventory(t *testing.T) {
	l, dir, ctx := freshLab(t, lab.DefaultSeedOptions())
	mustExit(t, labPlay(t, l, dir, "registry-deploy.yaml"), 0, "registry-deploy")
	apps := labApps(t, dir)
	mustExit(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps), 0, "pre-distribute")
	m0, m1 := l.Master0(), l.Masters()[1]
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, "play", "recover-master0.yaml", "--kubeconfig", l.KubeconfigPath(), "--known-hosts", l.KnownHostsPath(), "-e", "host="+m1.IP, "-v")
	mustExit(t, r, 0, "recover-master0 with no -i")
	mustContain(t, r, "reading the Clusterfile from the cluster", "using inventory ConfigMap kube-system/sealer-clusterfile (kubeconfig "+l.KubeconfigPath()+")")
	if line := recapLine(r.stdout, m0.IP); !strings.Contains(line, "unreachable=1") {
		t.Errorf("the recap does not show master0 unreachable: %q", line)
	}
	pullEverywhere(t, l, lab.DefaultSeedOptions(), m0.Name)
}
