package modules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// containerd on node1 pulls a seeded image through the mirror list the
// module wrote, with the first mirror dead (nothing listens there).
func TestContainerdRegistryMirrorsOnTheLab(t *testing.T) {
	l := lab.Require(t)
	node := l.Node("node1")
	mc := labContext(t, l, node.IP)
	dir := "/tmp/rb-certs.d"
	t.Cleanup(func() { _, _, _, _ = l.Run("node1", "rm -rf "+dir+" /tmp/rb-config.toml") })
	if _, _, code, err := l.Run("node1", "rm -rf "+dir+"; cp /etc/containerd/config.toml /tmp/rb-config.toml"); err != nil || code != 0 {
		t.Fatalf("prepare: %v %d", err, code)
	}
	args := map[string]any{
		"registry":        lab.RegistryURL(),
		"mirrors":         []any{"https://127.0.10.9:5000", "https://" + lab.RegistryURL()},
		"ca_src":          l.RegistryCAPath(),
		"certs_dir":       dir,
		"config_file":     "/tmp/rb-config.toml",
		"restart_command": "true",
	}
	if r := helperMustRun(t, mc, "containerd_registry", args); !r.Changed {
		t.Error("first run must write hosts.toml")
	}
	if r := helperMustRun(t, mc, "containerd_registry", args); r.Changed {
		t.Error("second run must be ok")
	}
	hosts, _, _, _ := l.Run("node1", "cat "+dir+"/"+lab.RegistryURL()+"/hosts.toml")
	dead, live := strings.Index(hosts, "[host.'https://127.0.10.9:5000']"), strings.Index(hosts, "[host.'https://"+lab.RegistryURL()+"']")
	if dead < 0 || live < 0 || dead > live {
		t.Errorf("mirror order lost:\n%q", hosts)
	}
	pw, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	img := lab.SeedImages[0].Ref()
	rm := "ctr -n k8s.io images rm --sync " + img + " >/dev/null 2>&1 || true"
	l.Run("node1", rm)
	t.Cleanup(func() { l.Run("node1", rm) })
	out, errOut, code, err := l.Run("node1", fmt.Sprintf("ctr -n k8s.io images pull --hosts-dir %s --user %s:%s %s", dir, lab.RegistryUser, pw, img))
	if err != nil || code != 0 {
		t.Fatalf("pull through the mirror list (first mirror dead): exit %d %v\n%s%s\nhosts.toml:\n%s", code, err, out, errOut, hosts)
	}
}
