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

// labReset starts any node a previous step killed and reseeds in shape o:
// Seed undoes what the registry playbooks lay down, so the lab is a
// cluster as sealer leaves it.
func labReset(t *testing.T, l *lab.Lab, o lab.SeedOptions) {
	t.Helper()
	ctx := context.Background()
	for _, n := range l.Nodes() {
		if err := l.Start(ctx, n.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.SeedWith(ctx, o); err != nil {
		t.Fatal(err)
	}
}

// freshLab is the start of every recovery test: the lab as sealer leaves
// it in shape o, a work directory, and the lab restarted and reseeded in
// sealer's default shape when the test ends.
func freshLab(t *testing.T, o lab.SeedOptions) (*lab.Lab, string, context.Context) {
	t.Helper()
	l := lab.Require(t)
	labReset(t, l, o)
	ctx := context.Background()
	t.Cleanup(func() { labReset(t, l, lab.DefaultSeedOptions()) })
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

// pullEverywhere pulls every image through sea.hub:5000 on every running
// node except skip, through the node's own runtime, credentials and alias.
func pullEverywhere(t *testing.T, l *lab.Lab, o lab.SeedOptions, skip string, images ...lab.SeedImage) {
	t.Helper()
	if len(images) == 0 {
		images = lab.SeedImages
	}
	for _, n := range l.Nodes() {
		if n.Name == skip {
			continue
		}
		for _, img := range images {
			if err := l.Pull(context.Background(), o, n, img); err != nil {
				t.Fatal(err)
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

// No pre-distribution: master0 dies holding the only registry data of the
// cluster. post-distribute brings it to master1 from a copy on the
// controller, recover-master0 then finds it there; post-distribute onto
// master2 without a source finds master1 as the surviving copy.
func TestRecoverMaster0PostDistributed(t *testing.T) {
	o := lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker}
	l, dir, ctx := freshLab(t, o)
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
	pullEverywhere(t, l, o, m0.Name)
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
	o := lab.SeedOptions{Shape: lab.ShapeSingle, Runtime: lab.RuntimeDocker}
	t.Cleanup(func() { labReset(t, l, lab.DefaultSeedOptions()) })
	deploy := []string{l.Master0().IP}
	formats := map[string]string{
		"lower-case": fmt.Sprintf("external: null\nlocal:\n  localregistry:\n    registryconfig:\n      domain: %s\n      port: %d\n      username: %s\n"+
			"    ha: false\n    insecure: false\n    cert:\n      subjectaltname: null\n  deployhosts:\n  - %s\n  vip: \"\"\n",
			lab.RegistryDomain, lab.RegistryPort, lab.RegistryUser, strings.Join(deploy, "\n  - ")),
		"camelCase": fmt.Sprintf(`{"local":{"domain":%q,"port":%d,"username":%q,"ha":false,"insecure":false,"cert":{},"deployHosts":["%s"],"vip":""}}`,
			lab.RegistryDomain, lab.RegistryPort, lab.RegistryUser, strings.Join(deploy, `","`)),
	}
	for i, style := range []string{"lower-case", "camelCase"} {
		t.Run(style, func(t *testing.T) {
			labReset(t, l, o)
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
			mustContain(t, r, "registry shape: single (from ConfigMap kube-system/sealer-registry)")
			pullEverywhere(t, l, o, m0.Name)
			cm, _, err := l.GetConfigMap(ctx, "kube-system", "sealer-registry")
			if err != nil || cm.Data["registry"] != formats[style] || cm.Data["master0"] != h.IP {
				t.Errorf("sealer's key must be kept beside runbook's: %v %v", err, cm.Data)
			}
		})
	}
}
