package lab

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"sigs.k8s.io/yaml"
)

// TestSeedShapes seeds each shape and runtime and checks every node against
// what sealer v0.9–v0.11 leaves (shared/reference/sealer-reality.md), row by
// row: the registry container and its mounts and environment, sealer's
// container-path configuration, where certificate, key and htpasswd are,
// the aliases, client trust and credentials, sealer's two ConfigMaps,
// ~/.sealer, and pulls through each node's runtime. The first seed starts
// from what runbook's playbooks leave behind, so it also proves Seed undoes
// it. In the ha shape, a worker still pulls through the VIP with master0
// hard-killed.
func TestSeedShapes(t *testing.T) {
	l := Require(t)
	ctx := context.Background()
	t.Cleanup(func() {
		_ = l.Start(ctx, l.Master0().Name)
		_ = l.Seed(ctx)
	})
	dirtyLab(t, l)
	for _, o := range []SeedOptions{
		{ShapeSingle, RuntimeDocker},
		{ShapeHA, RuntimeDocker},
		{ShapeHA, RuntimeContainerd},
		{ShapeSingle, RuntimeContainerd},
	} {
		t.Run(string(o.Shape)+"-"+string(o.Runtime), func(t *testing.T) {
			if err := l.Start(ctx, l.Master0().Name); err != nil {
				t.Fatal(err)
			}
			if err := l.SeedWith(ctx, o); err != nil {
				t.Fatal(err)
			}
			if got, ok := l.Seeded(); !ok || got != o {
				t.Errorf("Seeded() = %v %v, want %v", got, ok, o)
			}
			checkSeeded(t, l, o)
			if o.Shape == ShapeHA {
				checkVIPFailover(t, l, o)
			}
		})
	}
}

// dirtyLab lays down what runbook's registry playbooks and tests leave: a
// unit-run registry on a worker, hosts.toml, a repointed alias, a stray
// file in ~/.sealer, a stopped registry container, stale ConfigMaps.
func dirtyLab(t *testing.T, l *Lab) {
	ctx := context.Background()
	R := Rootfs()
	worker := l.Nodes()[len(l.Nodes())-1]
	dirty := map[string]string{
		worker.Name: fmt.Sprintf(`set -e
mkdir -p %[1]s/registry/docker %[1]s/certs /etc/docker/certs.d/sea.hub:5000; touch %[1]s/certs/sea.hub.key
printf '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' >/etc/systemd/system/sealer-registry.service
systemctl daemon-reload; systemctl start sealer-registry.service
echo 'server = "https://sea.hub:5000"' >/etc/docker/certs.d/sea.hub:5000/hosts.toml
sed -i '/ sea.hub /d' /etc/hosts; echo "127.0.10.3 sea.hub #hostalias-set-by-sealer" >>/etc/hosts`, R),
		l.Master0().Name: `set -e; docker stop sealer-registry >/dev/null 2>&1 || true; mkdir -p /root/.sealer; echo x >/root/.sealer/Clusterfile.runbook-tmp
echo "127.0.10.9 sea.hub #hostalias-set-by-sealer" >>/etc/hosts`,
	}
	for node, script := range dirty {
		if _, err := l.MustRun(ctx, node, script); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.ApplyConfigMap(ctx, "kube-system", ClusterfileConfigMap, map[string]string{"Clusterfile": "stale"}); err != nil {
		t.Fatal(err)
	}
	if err := l.ApplyConfigMap(ctx, "kube-system", "sealer-apps", map[string]string{"apps.json": "{}"}); err != nil {
		t.Fatal(err)
	}
}

// containerInspect is the part of `docker inspect` the checks read.
type containerInspect struct {
	State      struct{ Status string }
	HostConfig struct {
		NetworkMode   string
		RestartPolicy struct{ Name string }
	}
	Config struct {
		Image string
		Env   []string
	}
	Mounts []struct{ Source, Destination string }
}

func checkSeeded(t *testing.T, l *Lab, o SeedOptions) {
	t.Helper()
	R := Rootfs()
	ca, err := os.ReadFile(l.RegistryCAPath())
	if err != nil {
		t.Fatal(err)
	}
	checkRegistryCert(t, ca)
	clusterfile, err := os.ReadFile(l.ClusterfilePath())
	if err != nil {
		t.Fatal(err)
	}
	checkClusterfileShape(t, clusterfile, o)
	pw, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	baseConfig, err := os.ReadFile(l.rootfsSource("etc/registry_config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	deploy := map[string]bool{}
	for _, n := range l.DeployHosts(o) {
		deploy[n.Name] = true
	}
	for _, n := range l.Nodes() {
		run := func(cmd string) (string, int) {
			out, _, code, err := l.Run(n.Name, cmd)
			if err != nil {
				t.Fatalf("%s: %s: %v", n.Name, cmd, err)
			}
			return out, code
		}
		cat := func(path string) string {
			out, code := run("cat " + path)
			if code != 0 {
				t.Errorf("%s: no %s", n.Name, path)
			}
			return out
		}
		absent := func(path, why string) {
			if _, code := run("test -e " + path); code == 0 {
				t.Errorf("%s: %s exists (%s)", n.Name, path, why)
			}
		}
		// The rootfs every host has, with sealer's configuration.
		if conf := cat(R + "/etc/registry_config.yml"); conf != string(baseConfig) {
			t.Errorf("%s: registry_config.yml is not sealer's:\n%s", n.Name, conf)
		}
		for _, p := range []string{R + "/scripts/init-registry.sh", R + "/images/" + RegistryImageFile} {
			if _, code := run("test -s " + p); code != 0 {
				t.Errorf("%s: %s missing", n.Name, p)
			}
		}
		absent("/etc/systemd/system/sealer-registry.service", "sealer has no unit")
		// Alias, trust, credentials.
		alias := l.AliasTarget(o, n) + " sea.hub " + HostAliasMarker
		if got, _ := run("grep ' sea.hub ' /etc/hosts"); got != alias+"\n" {
			t.Errorf("%s: sea.hub lines = %q, want %q", n.Name, got, alias)
		}
		for _, d := range []string{"/etc/docker/certs.d", "/etc/containerd/certs.d"} {
			dir := d + "/" + RegistryURL()
			if !slices.Contains(o.CertsDirs(), d) {
				absent(dir, "not this runtime's")
				continue
			}
			if got, _ := run("ls -A " + dir); got != "sea.hub.crt\n" {
				t.Errorf("%s: %s holds %q, want only sea.hub.crt", n.Name, dir, got)
			}
			if cat(dir+"/sea.hub.crt") != string(ca) {
				t.Errorf("%s: %s/sea.hub.crt is not the registry's CA", n.Name, dir)
			}
		}
		if conf := cat("/etc/containerd/config.toml"); !strings.Contains(conf, `config_path = "`+ContainerdConfigPath+`"`) {
			t.Errorf("%s: containerd's config_path is not sealer's:\n%s", n.Name, conf)
		}
		creds := []string{"/var/lib/kubelet/config.json"}
		if o.Runtime == RuntimeDocker {
			creds = append(creds, "/root/.docker/config.json")
		} else {
			absent("/root/.docker/config.json", "sealer's containerd login writes none")
		}
		for _, p := range creds {
			var cfg struct {
				Auths map[string]struct{ Auth string }
			}
			if err := json.Unmarshal([]byte(cat(p)), &cfg); err != nil || cfg.Auths[RegistryURL()].Auth != b64([]byte(RegistryUser+":"+pw)) {
				t.Errorf("%s: %s does not log in to %s: %v", n.Name, p, RegistryURL(), err)
			}
		}
		// The registry itself: only on deploy hosts, as sealer's container.
		out, code := run("docker inspect " + RegistryContainer)
		if !deploy[n.Name] {
			if code == 0 {
				t.Errorf("%s: a sealer-registry container exists outside the deploy hosts", n.Name)
			}
			for _, p := range []string{R + "/registry", R + "/certs", R + "/etc/registry_htpasswd"} {
				absent(p, "only deploy hosts have it")
			}
		} else {
			checkContainer(t, n, out)
			if ht := strings.TrimSpace(cat(R + "/etc/registry_htpasswd")); !strings.HasPrefix(ht, RegistryUser+":$2") ||
				bcrypt.CompareHashAndPassword([]byte(strings.TrimPrefix(ht, RegistryUser+":")), []byte(pw)) != nil {
				t.Errorf("%s: registry_htpasswd %q is not bcrypt of the registry password", n.Name, ht)
			}
			key := cat(R + "/certs/sea.hub.key")
			if blk, _ := pem.Decode([]byte(key)); blk == nil || blk.Type != "RSA PRIVATE KEY" {
				t.Errorf("%s: sea.hub.key is not an RSA PKCS#1 key", n.Name)
			}
			if _, err := tls.X509KeyPair(ca, []byte(key)); err != nil {
				t.Errorf("%s: sea.hub.key does not match sea.hub.crt: %v", n.Name, err)
			}
		}
		if n == l.Master0() {
			if cat("/root/.sealer/Clusterfile") != string(clusterfile) {
				t.Errorf("%s: ~/.sealer/Clusterfile differs from %s", n.Name, l.ClusterfilePath())
			}
			if got, _ := run("ls -A /root/.sealer"); got != "Clusterfile\n" {
				t.Errorf("%s: ~/.sealer holds %q", n.Name, got)
			}
		} else {
			absent("/root/.sealer", "only the host sealer ran from has it")
		}
		// Every node pulls every seeded image through its runtime.
		for _, img := range SeedImages {
			if err := l.Pull(context.Background(), o, n, img); err != nil {
				t.Error(err)
			}
		}
	}
	checkSealerConfigMaps(t, l, o, clusterfile, pw)
}

// checkContainer checks a deploy host's sealer-registry container against
// sealer's init-registry.sh: image, restart policy, host network, mounts
// and environment (TLS and auth from the environment).
func checkContainer(t *testing.T, n Node, inspectJSON string) {
	t.Helper()
	var cs []containerInspect
	if err := json.Unmarshal([]byte(inspectJSON), &cs); err != nil || len(cs) != 1 {
		t.Fatalf("%s: docker inspect: %v\n%s", n.Name, err, inspectJSON)
	}
	c, R := cs[0], Rootfs()
	if c.State.Status != "running" || c.Config.Image != RegistryImage || c.HostConfig.RestartPolicy.Name != "always" || c.HostConfig.NetworkMode != "host" {
		t.Errorf("%s: sealer-registry: status %s, image %s, restart %s, network %s", n.Name, c.State.Status, c.Config.Image, c.HostConfig.RestartPolicy.Name, c.HostConfig.NetworkMode)
	}
	mounts := map[string]string{}
	for _, m := range c.Mounts {
		mounts[m.Destination] = m.Source
	}
	for dst, src := range map[string]string{"/certs": R + "/certs", "/var/lib/registry": R + "/registry",
		"/etc/docker/registry/config.yml": R + "/etc/registry_config.yml", "/htpasswd": R + "/etc/registry_htpasswd"} {
		if mounts[dst] != src {
			t.Errorf("%s: sealer-registry mounts %q at %s, want %s", n.Name, mounts[dst], dst, src)
		}
	}
	env := strings.Join(c.Config.Env, "\n") + "\n"
	for _, want := range []string{"REGISTRY_HTTP_TLS_CERTIFICATE=/certs/sea.hub.crt", "REGISTRY_HTTP_TLS_KEY=/certs/sea.hub.key",
		"REGISTRY_AUTH=htpasswd", "REGISTRY_AUTH_HTPASSWD_PATH=/htpasswd", "REGISTRY_HTTP_ADDR=" + n.Addr(RegistryPort)} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("%s: sealer-registry lacks env %s", n.Name, want)
		}
	}
}

// checkClusterfileShape checks the Clusterfile's ha and containerRuntime.
func checkClusterfileShape(t *testing.T, clusterfile []byte, o SeedOptions) {
	t.Helper()
	var cf struct {
		Spec struct {
			ContainerRuntime *struct{ Type string } `json:"containerRuntime"`
			Registry         struct {
				LocalRegistry struct{ HA bool } `json:"localRegistry"`
			}
		}
	}
	if err := yaml.Unmarshal(clusterfile, &cf); err != nil {
		t.Fatal(err)
	}
	if cf.Spec.Registry.LocalRegistry.HA != (o.Shape == ShapeHA) {
		t.Errorf("Clusterfile ha: %v, shape %s", cf.Spec.Registry.LocalRegistry.HA, o.Shape)
	}
	if got := cf.Spec.ContainerRuntime != nil && cf.Spec.ContainerRuntime.Type == "containerd"; got != (o.Runtime == RuntimeContainerd) {
		t.Errorf("Clusterfile containerRuntime: %+v, runtime %s", cf.Spec.ContainerRuntime, o.Runtime)
	}
}

// checkSealerConfigMaps checks kube-system/sealer-clusterfile and
// kube-system/sealer-registry (sealer's kyaml form, lower-case keys).
func checkSealerConfigMaps(t *testing.T, l *Lab, o SeedOptions, clusterfile []byte, pw string) {
	t.Helper()
	ctx := context.Background()
	cm, found, err := l.GetConfigMap(ctx, "kube-system", ClusterfileConfigMap)
	if err != nil || !found || cm.Data["Clusterfile"] != string(clusterfile) {
		t.Errorf("ConfigMap kube-system/%s: found=%v err=%v, holds the lab's Clusterfile: %v", ClusterfileConfigMap, found, err, cm.Data["Clusterfile"] == string(clusterfile))
	}
	reg, found, err := l.GetConfigMap(ctx, "kube-system", RegistryConfigMap)
	if err != nil || !found {
		t.Fatalf("ConfigMap kube-system/%s: found=%v err=%v", RegistryConfigMap, found, err)
	}
	var info struct {
		Local struct {
			LocalRegistry struct {
				RegistryConfig struct {
					Domain, Username, Password string
					Port                       int
				} `json:"registryconfig"`
				HA bool `json:"ha"`
			} `json:"localregistry"`
			DeployHosts []string `json:"deployhosts"`
			VIP         string   `json:"vip"`
		}
	}
	if err := yaml.Unmarshal([]byte(reg.Data["registry"]), &info); err != nil {
		t.Fatalf("sealer-registry: %v\n%s", err, reg.Data["registry"])
	}
	var want []string
	for _, n := range l.DeployHosts(o) {
		want = append(want, n.IP)
	}
	lr := info.Local.LocalRegistry
	if lr.HA != (o.Shape == ShapeHA) || lr.RegistryConfig.Domain != RegistryDomain || lr.RegistryConfig.Port != RegistryPort ||
		lr.RegistryConfig.Password != pw || strings.Join(info.Local.DeployHosts, ",") != strings.Join(want, ",") {
		t.Errorf("sealer-registry does not record the %s shape:\n%s", o.Shape, reg.Data["registry"])
	}
	if _, found, _ := l.GetConfigMap(ctx, "kube-system", "sealer-apps"); found {
		t.Error("ConfigMap kube-system/sealer-apps survived seeding (sealer has none)")
	}
}

// checkVIPFailover hard-kills master0 and pulls an image on every worker
// through the VIP, as sealer's IPVS + lvscare let workers do once the
// health check has taken the dead master out (here within ~2 s; the wait
// is bounded at 10 s).
func checkVIPFailover(t *testing.T, l *Lab, o SeedOptions) {
	t.Helper()
	ctx := context.Background()
	downs := func() string {
		out, _, _, _ := l.Run(l.Workers()[0].Name, "journalctl -u haproxy --no-pager -q | grep -c 'master0 is DOWN'")
		return strings.TrimSpace(out)
	}
	before := downs()
	if err := l.HardKill(ctx, l.Master0().Name); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Start(ctx, l.Master0().Name) }()
	if err := waitFor(ctx, 10*time.Second, func() bool { return downs() != before }); err != nil {
		t.Logf("haproxy has not logged master0 DOWN within 10 s: %v", err)
	}
	for _, w := range l.Workers() {
		for i := 0; i < 3; i++ { // round robin: every master's turn comes
			if err := l.Pull(ctx, o, w, SeedImages[i%len(SeedImages)]); err != nil {
				t.Errorf("with master0 down, through the VIP: %v", err)
			}
		}
	}
}

// checkRegistryCert checks the registry certificate is as sealer makes it:
// self-signed CA, CN registry-ca, SAN sea.hub, RSA.
func checkRegistryCert(t *testing.T, crtPEM []byte) {
	t.Helper()
	b, _ := pem.Decode(crtPEM)
	if b == nil {
		t.Fatal("registry certificate: no PEM block")
	}
	crt, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(crt.DNSNames) != 1 || crt.DNSNames[0] != RegistryDomain || crt.Subject.CommonName != "registry-ca" || !crt.IsCA {
		t.Errorf("registry certificate: SANs %v CN %q CA %v, want [%s] registry-ca true", crt.DNSNames, crt.Subject.CommonName, crt.IsCA, RegistryDomain)
	}
	if _, ok := crt.PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("registry certificate key is %T, want RSA", crt.PublicKey)
	}
	if err := crt.CheckSignatureFrom(crt); err != nil {
		t.Errorf("registry certificate is not self-signed: %v", err)
	}
}
