package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// extraImage is pushed after pre-distribute: the image a tool or an
// operator adds to one registry only.
var extraImage = lab.SeedImage{Repo: "sealerio/added-later", Tag: "v1", Layers: 1, LayerSize: 32 << 10, Seed: 42}

func imagesJSON(images ...lab.SeedImage) string {
	var s []string
	for _, img := range images {
		s = append(s, fmt.Sprintf("%q", img.Repo+":"+img.Tag))
	}
	return `{"registry_images": [` + strings.Join(s, ",") + `]}`
}

// The whole story, on a lab seeded as sealer leaves each shape: deploy and
// pre-distribute (both idempotent), one more image pushed afterwards to one
// registry only, master0 hard-killed, --check --diff first (nothing
// changes, the same tasks are predicted), recovery onto master1, then every
// surviving node pulls every image — old and new — through its own runtime,
// alias and credentials, and a second run reports changed=0. The cluster
// records master1 as master0.
func TestRecoverMaster0Story(t *testing.T) {
	for _, o := range []lab.SeedOptions{
		{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker},
		{Shape: lab.ShapeHA, Runtime: lab.RuntimeDocker},
		{Shape: lab.ShapeHA, Runtime: lab.RuntimeContainerd},
	} {
		t.Run(string(o.Shape)+"-"+string(o.Runtime), func(t *testing.T) { recoverStory(t, o) })
	}
}

func recoverStory(t *testing.T, o lab.SeedOptions) {
	l, dir, ctx := freshLab(t, o)
	m0, m1 := l.Master0(), l.Masters()[1]
	mustExit(t, labPlay(t, l, dir, "registry-deploy.yaml"), 0, "registry-deploy")
	mustBeIdempotent(t, labPlay(t, l, dir, "registry-deploy.yaml"), "registry-deploy")
	apps := labApps(t, dir)
	r := labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps)
	mustExit(t, r, 0, "pre-distribute")
	mustContain(t, r, "registry shape: "+string(o.Shape))
	if !strings.Contains(r.stdout, m1.IP) {
		t.Errorf("pre-distribute reached no standby master:\n%s", r)
	}
	mustBeIdempotent(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps), "pre-distribute")

	// One more image, pushed to one registry only after pre-distribute: in
	// the single shape the only one (master0), then pre-distribute is run
	// again as the README says; in the ha shape the last master's, and the
	// recovery itself must spread it.
	if o.Shape == lab.ShapeSingle {
		if err := l.PushImages(ctx, m0, []lab.SeedImage{extraImage}); err != nil {
			t.Fatal(err)
		}
		r := labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps)
		mustExit(t, r, 0, "pre-distribute after a new image")
		if !changedN.MatchString(r.stdout) {
			t.Errorf("pre-distribute did not send the new image:\n%s", r)
		}
	} else {
		last := l.Masters()[len(l.Masters())-1]
		if err := l.PushImages(ctx, last, []lab.SeedImage{extraImage}); err != nil {
			t.Fatal(err)
		}
	}
	all := append(append([]lab.SeedImage(nil), lab.SeedImages...), extraImage)
	images := imagesJSON(all...)

	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	dryRunMatches(t, l, dir, m0.Name, "recover-master0.yaml", "-e", "host="+m1.IP, "-e", images)
	pullEverywhere(t, l, o, m0.Name, all...)
	r = labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP, "-e", images)
	mustBeIdempotent(t, r, "recover-master0")
	if line := recapLine(r.stdout, m0.IP); !strings.Contains(line, "unreachable=1") {
		t.Errorf("the recap does not show master0 unreachable: %q", line)
	}
	// The summary: every live node, where it pulls from, what was verified.
	mustContain(t, r, "registry shape "+string(o.Shape), m0.IP+": DOWN, left out", "images verified on every node that pulls: ")
	for _, n := range l.Nodes()[1:] {
		want := m1.IP
		if o.Shape == lab.ShapeHA {
			want = l.AliasTarget(o, n)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(n.IP) + `: pulls from ` + regexp.QuoteMeta(want) + ` .*; 4 images pulled`).MatchString(r.stdout) {
			t.Errorf("the summary does not say %s pulls 4 images from %s:\n%s", n.IP, want, r.stdout)
		}
		alias, _, _, _ := l.Run(n.Name, "grep ' sea.hub ' /etc/hosts")
		if alias != want+" sea.hub "+lab.HostAliasMarker+"\n" {
			t.Errorf("%s: sea.hub alias %q, want it at %s", n.Name, alias, want)
		}
	}
	cm, found, err := l.GetConfigMap(ctx, "kube-system", "sealer-registry")
	if err != nil || !found || cm.Data["master0"] != m1.IP || !strings.HasPrefix(cm.Data["deploy_hosts"], `["`+m1.IP+`"`) || cm.Data["registry"] == "" {
		t.Errorf("sealer-registry after recovery (sealer's key kept beside runbook's): %v %v %v", found, err, cm.Data)
	}
	cf, _, err := l.GetConfigMap(ctx, "kube-system", lab.ClusterfileConfigMap)
	if err != nil || !regexp.MustCompile(`(?s)ips:\s*- `+regexp.QuoteMeta(m1.IP)).MatchString(cf.Data["Clusterfile"]) {
		t.Errorf("the stored Clusterfile does not list %s first: %v\n%s", m1.IP, err, cf.Data["Clusterfile"])
	}
}

// A live node whose host key runbook does not know is not a dead host: the
// recovery fails (exit 4), names the node and says what to do, instead of
// counting it "unreachable, ignored" beside the dead master0 and exiting 0.
func TestRecoverMaster0FailsOnUnknownHostKey(t *testing.T) {
	o := lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker}
	l, dir, ctx := freshLab(t, o)
	m0, m1, worker := l.Master0(), l.Masters()[1], l.Workers()[0]
	mustExit(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", labApps(t, dir)), 0, "pre-distribute")
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	known := knownHostsWithout(t, l, dir, worker.IP)
	r := runbook(t, dir, "play", "recover-master0.yaml", "-i", l.ClusterfilePath(), "--known-hosts", known, "-e", "host="+m1.IP)
	if r.code != 4 {
		t.Fatalf("an unknown host key on a live node must fail the recovery with exit 4:\n%s", r)
	}
	mustContain(t, r, worker.IP, "the host is unknown", "--accept-new-host-keys")
	if line := recapLine(r.stdout, worker.IP); strings.Contains(line, "ignored=1") {
		t.Errorf("the live node with an unknown key was ignored like a dead host: %q", line)
	}
	// A live worker that is down but not named dead fails the run too; named
	// with -e dead, it is left out knowingly.
	if err := l.HardKill(ctx, worker.Name); err != nil {
		t.Fatal(err)
	}
	r = labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP)
	if r.code == 0 || !strings.Contains(r.stdout, worker.IP) || !strings.Contains(r.stdout, "-e dead=") {
		t.Errorf("a down worker not named dead must fail the recovery, naming it:\n%s", r)
	}
	r = labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP, "-e", "dead="+worker.IP)
	mustExit(t, r, 0, "recover-master0 with the down worker named dead")
	mustContain(t, r, worker.IP+": DOWN, left out")
}

// knownHostsWithout copies the lab's known_hosts without host's line.
func knownHostsWithout(t *testing.T, l *lab.Lab, dir, host string) string {
	t.Helper()
	b, err := os.ReadFile(l.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, host+" ") && !strings.HasPrefix(line, host+",") {
			keep = append(keep, line)
		}
	}
	p := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(p, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The recovery with a non-root ssh.user, as sealer supports (every command
// through sudo): the Clusterfile's user is SudoUser, whose sudo asks for
// the password; become comes from the inventory, and the playbooks work.
func TestRecoverMaster0AsSudoUser(t *testing.T) {
	o := lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker}
	l, dir, ctx := freshLab(t, o)
	pw, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	cf := writePlay(t, dir, "Clusterfile", l.ClusterfileAs(o, pw, lab.SudoUser))
	play := func(name string, args ...string) result {
		return runbook(t, dir, append([]string{"play", name, "-i", cf, "--known-hosts", l.KnownHostsPath()}, args...)...)
	}
	mustExit(t, play("pre-distribute.yaml", "-e", labApps(t, dir)), 0, "pre-distribute as "+lab.SudoUser)
	m0, m1 := l.Master0(), l.Masters()[1]
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	r := play("recover-master0.yaml", "-e", "host="+m1.IP)
	mustExit(t, r, 0, "recover-master0 as "+lab.SudoUser)
	pullEverywhere(t, l, o, m0.Name)
	mustBeIdempotent(t, play("recover-master0.yaml", "-e", "host="+m1.IP), "recover-master0 as "+lab.SudoUser)
	if strings.Contains(r.stdout+r.stderr, lab.RootPassword) {
		t.Error("the become password appears in the output")
	}
}
