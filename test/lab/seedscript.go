package lab

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// rootfsFile is one file of the lab's copy of sealer's cluster rootfs,
// laid down on every node (sealer copies the rootfs to every host).
type rootfsFile struct {
	rel  string // path under the rootfs
	data string
	mode os.FileMode
}

// rootfsFiles reads test/lab/rootfs: the files sealer's cluster image puts
// in every host's rootfs that the registry needs.
func (l *Lab) rootfsFiles() ([]rootfsFile, error) {
	var out []rootfsFile
	for _, f := range []struct {
		rel  string
		mode os.FileMode
	}{{"scripts/init-registry.sh", 0o755}, {"etc/registry_config.yml", 0o644}} {
		b, err := os.ReadFile(l.rootfsSource(f.rel))
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		out = append(out, rootfsFile{f.rel, string(b), f.mode})
	}
	return out, nil
}

// seedScript is the bash script SeedWith runs on one node.
func (l *Lab) seedScript(o SeedOptions, n Node, reg registrySecrets, clusterfile string, rootfs []rootfsFile) string {
	R := Rootfs()
	deploy := false
	for _, d := range l.DeployHosts(o) {
		deploy = deploy || d == n
	}
	var s strings.Builder
	s.WriteString("set -eu\nchanged=0\n")
	file := func(path, data string, mode os.FileMode) {
		fmt.Fprintf(&s, "f=%q; mkdir -p \"$(dirname \"$f\")\"; base64 -d >\"$f.lab-tmp\" <<'LAB_EOF'\n%s\nLAB_EOF\n", path, b64([]byte(data)))
		fmt.Fprintf(&s, "if cmp -s \"$f.lab-tmp\" \"$f\"; then rm -f \"$f.lab-tmp\"; else chmod %o \"$f.lab-tmp\"; mv -f \"$f.lab-tmp\" \"$f\"; changed=1; fi\n", mode)
	}
	for _, f := range rootfs {
		file(R+"/"+f.rel, f.data, f.mode)
	}
	// sealer's CommandSetHostAlias, run only when sea.hub's lines are not
	// exactly its line.
	alias := fmt.Sprintf("%s %s %s", l.AliasTarget(o, n), RegistryDomain, HostAliasMarker)
	fmt.Fprintf(&s, "if [ \"$(grep \" %s \" /etc/hosts)\" != %q ]; then\n", RegistryDomain, alias)
	fmt.Fprintf(&s, "if grep \" %[1]s \" /etc/hosts &>/dev/null;then sed -i \"/\\ %[1]s\\ /d\" /etc/hosts; fi;echo \"%[2]s\" >>/etc/hosts\nfi\n", RegistryDomain, alias)
	// Client trust: sealer writes only the CA for the default endpoint, in
	// the runtime's certs dir; anything else there (a hosts.toml a
	// playbook wrote) goes, and so does a certs dir the runtime lacks.
	dirs := o.CertsDirs()
	for _, d := range []string{"/etc/docker/certs.d", "/etc/containerd/certs.d"} {
		dir := d + "/" + RegistryURL()
		if !slices.Contains(dirs, d) {
			fmt.Fprintf(&s, "rm -rf %q\n", dir)
			continue
		}
		fmt.Fprintf(&s, "find %q -mindepth 1 -maxdepth 1 ! -name %q -exec rm -rf {} + 2>/dev/null || true\n", dir, RegistryDomain+".crt")
		file(dir+"/"+RegistryDomain+".crt", reg.crt, 0o644)
	}
	// Registry credentials (sealer's login, copied to kubelet and, with
	// docker, to root's docker config).
	auth := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`+"\n", RegistryURL(), b64([]byte(RegistryUser+":"+reg.password)))
	file("/var/lib/kubelet/config.json", auth, 0o600)
	if o.Runtime == RuntimeDocker {
		file("/root/.docker/config.json", auth, 0o600)
	} else {
		s.WriteString("rm -f /root/.docker/config.json\n")
	}
	// A unit an earlier lab or a playbook's systemd launch left: sealer
	// never has one.
	s.WriteString(`if [ -e /etc/systemd/system/sealer-registry.service ]; then
  systemctl disable --now sealer-registry.service >/dev/null 2>&1 || true
  rm -f /etc/systemd/system/sealer-registry.service
  systemctl daemon-reload
fi
`)
	// A non-root operator account (sealer runs every command of such a
	// ssh.user through sudo): the lab's key, sudo with its password.
	fmt.Fprintf(&s, `if ! id %[1]s >/dev/null 2>&1; then useradd -m -s /bin/bash %[1]s; echo '%[1]s:%[2]s' | chpasswd; fi
install -d -o %[1]s -g %[1]s -m 0700 /home/%[1]s/.ssh
install -o %[1]s -g %[1]s -m 0600 /root/.ssh/authorized_keys /home/%[1]s/.ssh/authorized_keys
echo '%[1]s ALL=(ALL:ALL) ALL' >/etc/sudoers.d/%[1]s
`, SudoUser, RootPassword)
	s.WriteString(waitDocker)
	if deploy {
		fmt.Fprintf(&s, "mkdir -p %s/registry\nchanged=0\n", R)
		file(R+"/certs/"+RegistryDomain+".crt", reg.crt, 0o644)
		file(R+"/certs/"+RegistryDomain+".key", reg.key, 0o600)
		file(R+"/etc/registry_htpasswd", reg.htpasswd, 0o644)
		// Only the seeded images' repositories: an image a test pushed
		// later is forgotten, as on a cluster freshly installed.
		var keep []string
		for _, img := range SeedImages {
			keep = append(keep, img.Repo)
		}
		fmt.Fprintf(&s, `repos=%[1]s/registry/docker/registry/v2/repositories
if [ -d "$repos" ]; then
  find "$repos" -type d -name _manifests | while read -r m; do
    r=$(dirname "$m"); r=${r#"$repos/"}
    case " %[2]s " in *" $r "*) ;; *) rm -rf "$repos/$r" ;; esac
  done
fi
`, R, strings.Join(keep, " "))
		fmt.Fprintf(&s, `find %[1]s/certs -mindepth 1 -maxdepth 1 ! -name %[2]s.crt ! -name %[2]s.key -exec rm -rf {} +
if [ "$changed" = 1 ]; then docker rm -f %[3]s >/dev/null 2>&1 || true; fi
state=$(docker inspect --format '{{.State.Status}}' %[3]s 2>/dev/null || true)
if [ "$state" != running ]; then (cd %[1]s/scripts && bash init-registry.sh %[4]d %[1]s/registry %[5]s); fi
`, R, RegistryDomain, RegistryContainer, RegistryPort, RegistryDomain)
	} else {
		// Not a deploy host: no registry, data, certificate, key or htpasswd.
		// (rm is retried: a registry just removed may still be finishing
		// a write into its data directory.)
		fmt.Fprintf(&s, `if docker inspect %[2]s >/dev/null 2>&1; then docker rm -f %[2]s >/dev/null; fi
for i in 1 2 3 4 5; do rm -rf %[1]s/registry %[1]s/certs %[1]s/etc/registry_htpasswd 2>/dev/null && break; sleep 1; done
rm -rf %[1]s/registry %[1]s/certs %[1]s/etc/registry_htpasswd
`, R, RegistryContainer)
	}
	if n == l.Master0() {
		file("/root/.sealer/Clusterfile", clusterfile, 0o644)
		s.WriteString("find /root/.sealer -mindepth 1 -maxdepth 1 ! -name Clusterfile -exec rm -rf {} +\n")
	} else {
		s.WriteString("rm -rf /root/.sealer\n")
	}
	if o.Shape == ShapeHA && !n.IsMaster() {
		s.WriteString("changed=0\n")
		file("/etc/haproxy/haproxy.cfg", l.haproxyConfig(), 0o644)
		s.WriteString(`systemctl enable haproxy.service >/dev/null 2>&1
if [ "$changed" = 1 ] || ! systemctl is-active -q haproxy.service; then systemctl restart haproxy.service; fi
`)
	} else {
		s.WriteString("systemctl disable --now haproxy.service >/dev/null 2>&1 || true\n")
	}
	return s.String()
}

// waitDocker waits (bounded) for the node's docker daemon to answer.
const waitDocker = `i=0; until docker info >/dev/null 2>&1; do
  i=$((i+1)); if [ $i -gt 150 ]; then echo "docker is not answering" >&2; systemctl --no-pager status docker | tail -20 >&2; exit 1; fi
  sleep 0.2
done
`

// haproxyConfig stands in for sealer's IPVS virtual server and its
// reg-lvscare health checker: VIP:5000 balanced over every master's
// registry, a master whose registry fails its check taken out within ~2 s.
func (l *Lab) haproxyConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, `# runbook lab: the registry VIP (sealer: IPVS + reg-lvscare), TCP mode.
global
  log stdout format raw local0 warning
  maxconn 1024
defaults
  mode tcp
  retries 2
  option redispatch
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend registry_vip
  bind %s:%d
  default_backend registry_masters
backend registry_masters
  balance roundrobin
  option tcp-check
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
`, VIP, RegistryPort)
	for _, m := range l.Masters() {
		fmt.Fprintf(&b, "  server %s %s check\n", m.Name, m.Addr(RegistryPort))
	}
	return b.String()
}

// isSealerRegistryCert reports whether path holds a certificate as sealer
// generates it (CN registry-ca, a CA), so an older lab's is replaced.
func isSealerRegistryCert(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return false
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	return err == nil && c.Subject.CommonName == "registry-ca" && c.IsCA
}

// writeSealerRegistryCert writes the registry certificate as sealer's
// syncRegistryCert generates it: a self-signed CA certificate, CommonName
// registry-ca, DNS name domain, valid 100 years, RSA with a PKCS#1 key.
func writeSealerRegistryCert(crtPath, keyPath, domain string) error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	tmpl := certTemplate("registry-ca", []string{domain}, nil)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	tmpl.NotAfter = time.Now().AddDate(100, 0, 0)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(crtPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
