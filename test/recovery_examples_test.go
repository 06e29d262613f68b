package test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// The DCE way (examples/standby-dns-switch.yaml), proven on the lab: in
// sealer's single shape, pre-distribute prepares the standby masters,
// master0 is hard-killed, and the example — with no recovery playbook —
// checks the standby holds the files, runs its registry, checks it serves
// every image, switches the name on every node and proves every node pulls
// every image through it.
func TestStandbyDNSSwitchExample(t *testing.T) {
	o := lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker}
	l, dir, ctx := freshLab(t, o)
	m0, m1 := l.Master0(), l.Masters()[1]

	// Not prepared: the switch is refused before any name moves.
	r := labPlay(t, l, dir, "examples/standby-dns-switch.yaml", "-e", "standby="+m1.IP, "-e", imagesJSON(lab.SeedImages...))
	if r.code != 2 || !strings.Contains(r.stdout, "run pre-distribute first") {
		t.Fatalf("a standby without the registry's files must be refused:\n%s", r)
	}
	mustExit(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", labApps(t, dir)), 0, "pre-distribute")
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	r = labPlay(t, l, dir, "examples/standby-dns-switch.yaml", "-e", "standby="+m1.IP)
	mustExit(t, r, 0, "standby-dns-switch")
	mustContain(t, r, "Every image of the boot history is served", "This node pulls every image through the registry domain")
	pullEverywhere(t, l, o, m0.Name)
	for _, n := range l.Nodes()[1:] {
		if alias, _, _, _ := l.Run(n.Name, "grep ' sea.hub ' /etc/hosts"); alias != m1.IP+" sea.hub "+lab.HostAliasMarker+"\n" {
			t.Errorf("%s: sea.hub alias %q, want %s", n.Name, alias, m1.IP)
		}
	}
	mustBeIdempotent(t, labPlay(t, l, dir, "examples/standby-dns-switch.yaml", "-e", "standby="+m1.IP), "standby-dns-switch")
}

// The MetalK8s way (examples/registry-mirrors.yaml), proven on the lab: in
// sealer's ha shape with containerd, registry-deploy makes a certificate
// naming every registry host (-e registry_cert_force=true), pre-distribute
// keeps their data in step, and the example lists every registry host as a
// mirror in containerd's own config_path. Then every node's alias is
// pointed at master0 and master0 is hard-killed: with no recovery at all,
// every node still pulls every image, through the mirrors.
func TestRegistryMirrorsExample(t *testing.T) {
	o := lab.SeedOptions{Shape: lab.ShapeHA, Runtime: lab.RuntimeContainerd}
	l, dir, ctx := freshLab(t, o)
	m0 := l.Master0()
	mustExit(t, labPlay(t, l, dir, "registry-deploy.yaml", "-e", "registry_cert_force=true"), 0, "registry-deploy with a new certificate")
	mustExit(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", labApps(t, dir)), 0, "pre-distribute")
	r := labPlay(t, l, dir, "examples/registry-mirrors.yaml")
	mustExit(t, r, 0, "registry-mirrors")
	mustBeIdempotent(t, labPlay(t, l, dir, "examples/registry-mirrors.yaml"), "registry-mirrors")
	for _, n := range l.Nodes() {
		conf, _, _, _ := l.Run(n.Name, "cat /etc/containerd/config.toml; cat "+lab.ContainerdConfigPath+lab.RegistryURL()+"/hosts.toml")
		if !strings.Contains(conf, `config_path = "`+lab.ContainerdConfigPath+`"`) || !strings.Contains(conf, "https://"+l.Masters()[1].IP+":5000") {
			t.Errorf("%s: containerd's config_path moved, or no mirror of master1:\n%s", n.Name, conf)
		}
		if _, stderr, code, _ := l.Run(n.Name, "sed -i '/ sea.hub /d' /etc/hosts && echo '"+m0.IP+" sea.hub "+lab.HostAliasMarker+"' >>/etc/hosts"); code != 0 {
			t.Fatalf("%s: %s", n.Name, stderr)
		}
	}
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	pullEverywhere(t, l, o, m0.Name)
}
