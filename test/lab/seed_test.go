package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// TestSeedLeavesSealerState lays down what runbook's registry playbooks
// leave behind (a registry on another master, hosts.toml, a repointed
// alias, extra ConfigMaps, a stopped registry on master0), seeds, and checks
// every node against the state the issue names, file by file.
func TestSeedLeavesSealerState(t *testing.T) {
	l := Require(t)
	ctx := context.Background()
	R := Rootfs()
	m0, other := l.Master0(), l.APIServerNode()
	if other == m0 {
		t.Skip("lab: skipped: needs two masters")
	}
	worker := l.Nodes()[len(l.Nodes())-1]
	dirty := map[string]string{
		other.Name: fmt.Sprintf(`set -e
mkdir -p %[1]s/registry/docker %[1]s/etc; touch %[1]s/certs/sea.hub.key %[1]s/etc/registry_config.yml
printf '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' >/etc/systemd/system/sealer-registry.service
systemctl daemon-reload; systemctl start sealer-registry.service`, R),
		worker.Name: `set -e
echo 'server = "https://sea.hub:5000"' >/etc/containerd/certs.d/sea.hub:5000/hosts.toml
sed -i '/ sea.hub /d' /etc/hosts; echo "127.0.10.3 sea.hub #hostalias-set-by-sealer" >>/etc/hosts`,
		m0.Name: `set -e; systemctl stop sealer-registry.service; echo x >/root/.sealer/Clusterfile.runbook-tmp
echo "127.0.10.9 sea.hub #hostalias-set-by-sealer" >>/etc/hosts`,
	}
	for node, script := range dirty {
		if _, err := l.MustRun(ctx, node, script); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.ApplyConfigMap(ctx, "kube-system", "sealer-registry", map[string]string{"registry": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := l.ApplyConfigMap(ctx, "kube-system", ClusterfileConfigMap, map[string]string{"Clusterfile": "stale"}); err != nil {
		t.Fatal(err)
	}

	if err := l.Seed(ctx); err != nil {
		t.Fatal(err)
	}

	ca, err := os.ReadFile(l.RegistryCAPath())
	if err != nil {
		t.Fatal(err)
	}
	checkRegistryCert(t, ca)
	clusterfile, err := os.ReadFile(l.ClusterfilePath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(clusterfile), "name: "+ClusterName+"\n") {
		t.Fatalf("Clusterfile does not name %s:\n%s", ClusterName, clusterfile)
	}
	pw, err := l.RegistryPassword()
	if err != nil {
		t.Fatal(err)
	}
	alias := m0.IP + " sea.hub " + HostAliasMarker
	for _, n := range l.Nodes() {
		cat := func(path string) string {
			out, _, code, err := l.Run(n.Name, "cat "+path)
			if err != nil || code != 0 {
				t.Fatalf("%s: no %s", n.Name, path)
			}
			return out
		}
		if got, _, _, _ := l.Run(n.Name, "grep ' sea.hub ' /etc/hosts"); got != alias+"\n" {
			t.Errorf("%s: sea.hub lines in /etc/hosts = %q, want %q", n.Name, got, alias)
		}
		if got, _, _, _ := l.Run(n.Name, "ls -A /etc/containerd/certs.d/sea.hub:5000"); got != "sea.hub.crt\n" {
			t.Errorf("%s: certs.d/sea.hub:5000 holds %q, want only sea.hub.crt", n.Name, got)
		}
		for _, p := range []string{"/etc/containerd/certs.d/sea.hub:5000/sea.hub.crt", R + "/certs/sea.hub.crt"} {
			if cat(p) != string(ca) {
				t.Errorf("%s: %s is not the registry's certificate", n.Name, p)
			}
		}
		if conf, _, _, _ := l.Run(n.Name, "cat /etc/containerd/config.toml"); !strings.Contains(conf, `config_path = "/etc/containerd/certs.d"`) {
			t.Errorf("%s: containerd does not read certs.d:\n%s", n.Name, conf)
		}
		active, _, _, _ := l.Run(n.Name, "systemctl is-active sealer-registry.service")
		if n == m0 {
			if strings.TrimSpace(active) != "active" {
				t.Errorf("%s: sealer-registry.service is %q", n.Name, active)
			}
			if ht := strings.TrimSpace(cat(R + "/etc/registry_htpasswd")); !strings.HasPrefix(ht, RegistryUser+":$2") ||
				bcrypt.CompareHashAndPassword([]byte(strings.TrimPrefix(ht, RegistryUser+":")), []byte(pw)) != nil {
				t.Errorf("%s: registry_htpasswd %q is not bcrypt of the registry password", n.Name, ht)
			}
			if _, err := tls.X509KeyPair(ca, []byte(cat(R+"/certs/sea.hub.key"))); err != nil {
				t.Errorf("%s: sea.hub.key does not match sea.hub.crt: %v", n.Name, err)
			}
			conf := cat(R + "/etc/registry_config.yml")
			for _, want := range []string{"addr: 127.0.10.2:5000", "rootdirectory: " + R + "/registry", "certificate: " + R + "/certs/sea.hub.crt", "path: " + R + "/etc/registry_htpasswd"} {
				if !strings.Contains(conf, want) {
					t.Errorf("%s: registry_config.yml lacks %q:\n%s", n.Name, want, conf)
				}
			}
			if cat("/root/.sealer/Clusterfile") != string(clusterfile) {
				t.Errorf("%s: ~/.sealer/Clusterfile differs from %s", n.Name, l.ClusterfilePath())
			}
			if got, _, _, _ := l.Run(n.Name, "ls -A /root/.sealer"); got != "Clusterfile\n" {
				t.Errorf("%s: ~/.sealer holds %q", n.Name, got)
			}
			continue
		}
		if strings.TrimSpace(active) == "active" {
			t.Errorf("%s: a registry runs outside master0", n.Name)
		}
		for _, p := range []string{R + "/registry", R + "/etc", R + "/certs/sea.hub.key", "/etc/systemd/system/sealer-registry.service", "/root/.sealer"} {
			if _, _, code, _ := l.Run(n.Name, "test -e "+p); code == 0 {
				t.Errorf("%s: %s exists (only master0 has it)", n.Name, p)
			}
		}
	}

	// The registry: TLS as sea.hub with the seeded CA, htpasswd auth, and
	// the seed images with the digests Go built.
	tr, err := labTransport(ca, map[string]string{RegistryURL(): m0.Addr(RegistryPort)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdleConnections()
	for user, want := range map[string]int{"": http.StatusUnauthorized, RegistryUser: http.StatusOK} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+RegistryURL()+"/v2/", nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("https://%s/v2/ (TLS, SAN sea.hub): %v", RegistryURL(), err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /v2/ as %q: %d, want %d", user, resp.StatusCode, want)
		}
	}
	for _, s := range SeedImages {
		ref, _ := name.ParseReference(s.Ref())
		desc, err := remote.Head(ref, remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: RegistryUser, Password: pw}), remote.WithContext(ctx))
		if err != nil {
			t.Fatalf("%s: %v", s.Ref(), err)
		}
		img, _ := s.Image()
		if d, _ := img.Digest(); desc.Digest != d {
			t.Errorf("%s: registry has %s, built %s", s.Ref(), desc.Digest, d)
		}
	}

	cm, found, err := l.GetConfigMap(ctx, "kube-system", ClusterfileConfigMap)
	if err != nil || !found || cm.Data["Clusterfile"] != string(clusterfile) {
		t.Errorf("ConfigMap kube-system/%s: found=%v err=%v, holds the lab's Clusterfile: %v", ClusterfileConfigMap, found, err, cm.Data["Clusterfile"] == string(clusterfile))
	}
	if _, found, err := l.GetConfigMap(ctx, "kube-system", "sealer-registry"); err != nil || found {
		t.Errorf("ConfigMap kube-system/sealer-registry survived seeding (err %v)", err)
	}
}

// checkRegistryCert checks the registry certificate is self-signed with
// SAN sea.hub.
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
	if len(crt.DNSNames) != 1 || crt.DNSNames[0] != RegistryDomain {
		t.Errorf("registry certificate SANs %v, want [%s]", crt.DNSNames, RegistryDomain)
	}
	if err := crt.CheckSignatureFrom(crt); err != nil {
		t.Errorf("registry certificate is not self-signed: %v", err)
	}
}
