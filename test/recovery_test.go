package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/lab"
)

// The registry HA playbooks end to end on the lab (issue: registry HA
// playbooks). Every test starts from a freshly seeded lab with the state
// runbook's playbooks leave behind removed, so each proves one path alone.

// labReset starts any node a previous step killed and reseeds: Seed undoes
// what the registry playbooks lay down (standby registries, hosts.toml,
// repointed aliases, the ConfigMaps and Secret), so master0 runs the only
// registry and holds the only copy of its data, as sealer leaves a cluster.
func labReset(t *testing.T, l *lab.Lab) {
	t.Helper()
	ctx := context.Background()
	for _, n := range l.Nodes() {
		if err := l.Start(ctx, n.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Seed(ctx); err != nil {
		t.Fatal(err)
	}
}

// freshLab is the start of every recovery test: the lab as sealer leaves
// it, a work directory, and master0 started again when the test ends.
func freshLab(t *testing.T) (*lab.Lab, string, context.Context) {
	t.Helper()
	l := lab.Require(t)
	labReset(t, l)
	ctx := context.Background()
	t.Cleanup(func() { _ = l.Start(ctx, l.Master0().Name) })
	return l, t.TempDir(), ctx
}

// labPlay runs a built-in playbook against the lab from an empty directory
// (so the built-in, not a file, is run).
func labPlay(t *testing.T, l *lab.Lab, dir, name string, args ...string) result {
	t.Helper()
	return runbook(t, dir, append([]string{"play", name, "-i", l.ClusterfilePath(), "--known-hosts", l.KnownHostsPath()}, args...)...)
}

// labApps is the boot history pre-distribute records: the seeded images.
func labApps(t *testing.T, dir string) string {
	t.Helper()
	var imgs []string
	for _, img := range lab.SeedImages {
		imgs = append(imgs, fmt.Sprintf("%q", img.Repo+":"+img.Tag))
	}
	p := filepath.Join(dir, "apps.yaml")
	body := "sealer_apps:\n  type: kube-installer\n  applications:\n    - {name: coredns, image_id: \"\", type: kube, launch_cmd: kubectl apply -f apps/coredns/, version: v1}\n" +
		"  launch: {app_names: [coredns]}\n  images: [" + strings.Join(imgs, ", ") + "]\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return "@" + p
}

// pullEverywhere pulls every seeded image through sea.hub:5000 on every
// running node except skip, with containerd's own client.
func pullEverywhere(t *testing.T, l *lab.Lab, skip string) {
	t.Helper()
	password, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range l.Nodes() {
		if n.Name == skip {
			continue
		}
		for _, img := range lab.SeedImages {
			ref := lab.RegistryURL() + "/" + img.Repo + ":" + img.Tag
			cmd := fmt.Sprintf("ctr -n k8s.io images rm %[1]s >/dev/null 2>&1; ctr -n k8s.io images pull --hosts-dir /etc/containerd/certs.d --user %[2]s:%[3]s %[1]s", ref, lab.RegistryUser, password)
			if out, stderr, code, err := l.Run(n.Name, cmd); err != nil || code != 0 {
				t.Fatalf("%s cannot pull %s: %v\n%s%s", n.Name, ref, err, out, stderr)
			}
		}
	}
}

func mustExit(t *testing.T, r result, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: want exit %d\n%s", what, code, r)
	}
}

var changedN = regexp.MustCompile(`changed=[1-9]`)

func mustBeIdempotent(t *testing.T, r result, what string) {
	t.Helper()
	if r.code != 0 || changedN.MatchString(r.stdout) {
		t.Fatalf("%s: a second run must report changed=0\n%s", what, r)
	}
}

func recapLine(out, host string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(host) + `\s+:.*$`).FindString(out)
	return m
}

// Seed, registry-deploy, pre-distribute, hard-kill master0, recover onto
// master1: every surviving node pulls every seeded image via sea.hub:5000;
// master0 shows unreachable and the recovery exits 0; a second run changes
// nothing.
func TestRecoverMaster0PreDistributed(t *testing.T) {
	l, dir, ctx := freshLab(t)

	mustExit(t, labPlay(t, l, dir, "registry-deploy.yaml"), 0, "registry-deploy")
	mustBeIdempotent(t, labPlay(t, l, dir, "registry-deploy.yaml"), "registry-deploy")
	apps := labApps(t, dir)
	mustExit(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps), 0, "pre-distribute")
	mustBeIdempotent(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps), "pre-distribute")

	m0, m1 := l.Master0(), l.Masters()[1]
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	r := labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP)
	mustExit(t, r, 0, "recover-master0 with master0 dead")
	if line := recapLine(r.stdout, m0.IP); !strings.Contains(line, "unreachable=1") {
		t.Errorf("the recap does not show master0 unreachable: %q", line)
	}
	pullEverywhere(t, l, m0.Name)
	mustBeIdempotent(t, labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP), "recover-master0")

	cm, found, err := l.GetConfigMap(ctx, "kube-system", "sealer-registry")
	if err != nil || !found || cm.Data["master0"] != m1.IP || !strings.HasPrefix(cm.Data["deploy_hosts"], `["`+m1.IP+`"`) {
		t.Errorf("sealer-registry after recovery: %v %v %v", found, err, cm.Data)
	}
	cf, _, err := l.GetConfigMap(ctx, "kube-system", lab.ClusterfileConfigMap)
	if err != nil || !regexp.MustCompile(`(?s)ips:\s*- `+regexp.QuoteMeta(m1.IP)).MatchString(cf.Data["Clusterfile"]) {
		t.Errorf("the stored Clusterfile does not list %s first: %v\n%s", m1.IP, err, cf.Data["Clusterfile"])
	}
}

// No pre-distribution: master0 dies holding the only registry data of the
// cluster. post-distribute brings it to master1 from a copy on the
// controller, recover-master0 then finds it there; post-distribute onto
// master2 without a source finds master1 as the surviving copy.
func TestRecoverMaster0PostDistributed(t *testing.T) {
	l, dir, ctx := freshLab(t)
	mustExit(t, labPlay(t, l, dir, "registry-deploy.yaml"), 0, "registry-deploy")

	// The operator's backup: master0's registry storage copied to the
	// controller (read here from the node's overlay directory).
	m0, m1, m2 := l.Master0(), l.Masters()[1], l.Masters()[2]
	backup := filepath.Join(dir, "backup")
	src := filepath.Join(l.Dir(), "nodes", m0.Name, "upper", lab.Rootfs(), "registry")
	if out, err := exec.Command("cp", "-a", src, backup).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v %s", err, out)
	}
	if err := l.HardKill(ctx, m0.Name); err != nil {
		t.Fatal(err)
	}
	images := `{"registry_images": ` + seedImagesJSON() + `}`
	r := labPlay(t, l, dir, "post-distribute.yaml", "-e", "host="+m1.IP, "-e", "registry_source_dir="+backup, "-e", images)
	mustExit(t, r, 0, "post-distribute from the controller")
	mustContain(t, r, "Every image of the boot history is served")
	r = labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP, "-e", images)
	mustExit(t, r, 0, "recover-master0 after post-distribute")
	pullEverywhere(t, l, m0.Name)
	mustBeIdempotent(t, labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+m1.IP, "-e", images), "recover-master0 (post-distributed)")

	// master2 has no data: the first live registry host with data (master1)
	// is the source.
	r = labPlay(t, l, dir, "post-distribute.yaml", "-e", "host="+m2.IP, "-e", images)
	mustExit(t, r, 0, "post-distribute from a surviving registry host")
	mustContain(t, r, "Registry data from a surviving registry host")

	// An image the data lacks is named in the failure.
	r = labPlay(t, l, dir, "post-distribute.yaml", "-e", "host="+m2.IP, "-e", `{"registry_images": ["pause:3.10", "nothere/at-all:v9"]}`)
	if r.code != 2 || !strings.Contains(r.stdout, "nothere/at-all:v9") || !strings.Contains(r.stdout, "1 of 2 images are not served") {
		t.Errorf("a missing image must fail the check and be named:\n%s", r)
	}
}

func seedImagesJSON() string {
	var imgs []string
	for _, img := range lab.SeedImages {
		imgs = append(imgs, fmt.Sprintf("%q", img.Repo+":"+img.Tag))
	}
	return "[" + strings.Join(imgs, ",") + "]"
}

func writePlay(t *testing.T, dir, name, body string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// Without runbook's own records (no registry-deploy), recovery reads
// sealer's sealer-registry ConfigMap, in both key styles sealer has written
// (kyaml's lower-case field names and the intended camelCase JSON), and
// uses the files pre-distribute put on the host.
func TestRecoverMaster0ReadsSealerFormat(t *testing.T) {
	l := lab.Require(t)
	ctx := context.Background()
	t.Cleanup(func() { _ = l.Start(ctx, l.Master0().Name) })
	var deploy []string
	for _, m := range l.Masters() {
		deploy = append(deploy, m.IP)
	}
	formats := map[string]string{
		"lower-case": fmt.Sprintf("external: null\nlocal:\n  localregistry:\n    registryconfig:\n      domain: %s\n      port: %d\n      username: %s\n"+
			"    ha: true\n    insecure: false\n    cert:\n      subjectaltname: null\n  deployhosts:\n  - %s\n  vip: 10.103.97.2\n",
			lab.RegistryDomain, lab.RegistryPort, lab.RegistryUser, strings.Join(deploy, "\n  - ")),
		"camelCase": fmt.Sprintf(`{"local":{"domain":%q,"port":%d,"username":%q,"ha":true,"insecure":false,"cert":{},"deployHosts":["%s"],"vip":"10.103.97.2"}}`,
			lab.RegistryDomain, lab.RegistryPort, lab.RegistryUser, strings.Join(deploy, `","`)),
	}
	for i, style := range []string{"lower-case", "camelCase"} {
		t.Run(style, func(t *testing.T) {
			labReset(t, l)
			if err := l.ApplyConfigMap(ctx, "kube-system", "sealer-registry", map[string]string{"registry": formats[style]}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			apps := labApps(t, dir)
			if style == "lower-case" {
				// sealer's own boot history: one JSON document appended per
				// launch, concatenated (not an array).
				hist := `{"schemaVersion":"v1alpha1","type":"app-installer","applications":[{"name":"nginx","type":"helm","version":"v1","cmds":["helm install nginx apps/nginx/"]}],"launch":{"app_names":["nginx"]}}
{"schemaVersion":"v1alpha1","type":"app-installer","applications":[{"name":"dashboard","type":"kube","version":"v2","cmds":["kubectl apply -f apps/dashboard/"]}],"launch":{"app_names":["dashboard"]}}
`
				if _, stderr, code, err := l.Run(l.Master0().Name, "mkdir -p /root/.sealer && cat > /root/.sealer/application.json <<'EOF'\n"+hist+"EOF"); err != nil || code != 0 {
					t.Fatalf("application.json: %v %s", err, stderr)
				}
				apps = `{"registry_images": ` + seedImagesJSON() + `}`
			}
			mustExit(t, labPlay(t, l, dir, "pre-distribute.yaml", "-e", apps), 0, "pre-distribute")
			if style == "lower-case" {
				cm, _, err := l.GetConfigMap(ctx, "kube-system", "sealer-apps")
				got := cm.Data["apps.json"]
				for _, want := range []string{`"launch_cmd": "helm install nginx apps/nginx/"`, `"app_names": [`, `"dashboard"`, `"pause:3.10"`, `"type": "app-installer"`} {
					if err != nil || !strings.Contains(got, want) {
						t.Errorf("sealer-apps from application.json lacks %s: %v\n%s", want, err, got)
					}
				}
			}
			m0, h := l.Master0(), l.Masters()[1+i]
			if err := l.HardKill(ctx, m0.Name); err != nil {
				t.Fatal(err)
			}
			r := labPlay(t, l, dir, "recover-master0.yaml", "-e", "host="+h.IP, "-v")
			mustExit(t, r, 0, "recover-master0 from sealer's "+style+" ConfigMap")
			pullEverywhere(t, l, m0.Name)
			cm, _, err := l.GetConfigMap(ctx, "kube-system", "sealer-registry")
			if err != nil || cm.Data["registry"] != formats[style] || cm.Data["master0"] != h.IP {
				t.Errorf("sealer's key must be kept beside runbook's: %v %v", err, cm.Data)
			}
		})
	}
}
