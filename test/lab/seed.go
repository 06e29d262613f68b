package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Seed puts the running lab into the state a sealer installation leaves
// (shared/reference/sealer-registry-facts.md), with plain shell run in the
// nodes and Go on this machine — never with runbook:
//
//   - every node: the cluster rootfs /var/lib/sealer/data/my-cluster/rootfs
//     with certs/sea.hub.crt; "127.0.10.2 sea.hub #hostalias-set-by-sealer"
//     in /etc/hosts (sealer's own command); containerd trusting the registry
//     CA at /etc/containerd/certs.d/sea.hub:5000/sea.hub.crt;
//   - master0: <rootfs>/registry (the registry's data), certs/sea.hub.{crt,key}
//     (self-signed, SAN sea.hub), etc/registry_htpasswd (bcrypt),
//     etc/registry_config.yml, the registry (Debian's docker-registry, v2.8)
//     running as systemd unit sealer-registry.service on 127.0.10.2:5000
//     over TLS, SeedImages pushed through it, and ~/.sealer/Clusterfile;
//   - this machine: the Clusterfile at ClusterfilePath; the cluster:
//     ConfigMap kube-system/sealer-clusterfile (key Clusterfile).
//
// Seed also undoes what runbook's registry playbooks and tests add to that
// state: a registry, its data, key and configuration on any node but
// master0, other files in certs.d/sea.hub:5000 (hosts.toml), other sea.hub
// lines in /etc/hosts, other files in master0's ~/.sealer, and the
// sealer-registry/sealer-apps ConfigMaps and sealer-registry Secret.
//
// Seed is idempotent: it rewrites only what differs, restarts the registry
// only when its files changed or it is not running, and re-pushes only
// missing blobs. Every node must be running.
func (l *Lab) Seed(ctx context.Context) error {
	lk, err := lockFile(ctx, l.setupLockPath(), 5*time.Minute)
	if err != nil {
		return err
	}
	defer lk.unlock()
	procs := l.scan()
	for _, n := range l.nodes {
		if procs[n.Name].init == 0 {
			return fmt.Errorf("lab: seed needs every node running; %s is down (make lab-up)", n.Name)
		}
	}
	reg, err := l.ensureRegistrySecrets()
	if err != nil {
		return err
	}
	clusterfile := l.Clusterfile(reg.password)
	if err := writeIfChanged(l.ClusterfilePath(), []byte(clusterfile), 0o600); err != nil {
		return err
	}
	if err := l.parallel(l.nodes, func(n Node) error {
		_, err := l.MustRun(ctx, n.Name, l.seedScript(n, reg, clusterfile))
		return err
	}); err != nil {
		return err
	}
	m0 := l.Master0()
	if err := WaitPort(ctx, m0.Addr(RegistryPort), 30*time.Second); err != nil {
		out, _, _, _ := l.Run(m0.Name, "systemctl --no-pager status sealer-registry | tail -20")
		return fmt.Errorf("lab: registry on %s: %w\n%s", m0.Name, err, out)
	}
	if err := l.pushImages(ctx, reg); err != nil {
		return err
	}
	if err := waitFor(ctx, 60*time.Second, func() bool {
		code, _, err := l.Kube(ctx, http.MethodGet, "/api/v1/namespaces/kube-system", nil)
		return err == nil && code == http.StatusOK
	}); err != nil {
		return fmt.Errorf("lab: namespace kube-system did not appear: %w", err)
	}
	if err := l.ApplyConfigMap(ctx, "kube-system", ClusterfileConfigMap, map[string]string{"Clusterfile": clusterfile}); err != nil {
		return err
	}
	for _, obj := range unseededObjects {
		code, body, err := l.Kube(ctx, http.MethodDelete, "/api/v1/namespaces/kube-system/"+obj, nil)
		if err != nil {
			return fmt.Errorf("lab: deleting kube-system/%s: %w", obj, err)
		}
		if code != http.StatusOK && code != http.StatusNotFound {
			return fmt.Errorf("lab: deleting kube-system/%s: %d %s", obj, code, body)
		}
	}
	return os.WriteFile(filepath.Join(l.cfg.Dir, "seeded"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

// unseededObjects are objects of kube-system that registry playbooks or
// tests create and the seeded lab does not have: Seed deletes them.
var unseededObjects = []string{"configmaps/sealer-registry", "configmaps/sealer-apps", "secrets/sealer-registry"}

// registrySecrets are the seeded registry's credentials and certificate,
// kept in Dir/registry so reseeding changes nothing.
type registrySecrets struct {
	password string // RegistryUser's password
	htpasswd string // the htpasswd line (bcrypt)
	crt, key string // PEM, self-signed, SAN sea.hub
}

// RegistryPassword is the password of RegistryUser on the seeded registry
// (generated once per lab directory; also in the Clusterfile).
func (l *Lab) RegistryPassword() (string, error) {
	r, err := l.ensureRegistrySecrets()
	return r.password, err
}

func (l *Lab) ensureRegistrySecrets() (registrySecrets, error) {
	var r registrySecrets
	dir := filepath.Join(l.cfg.Dir, "registry")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return r, err
	}
	pwPath, htPath := filepath.Join(dir, "password"), filepath.Join(dir, "registry_htpasswd")
	if !exists(pwPath) || !exists(htPath) {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return r, err
		}
		pw := hex.EncodeToString(b)
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return r, err
		}
		if err := os.WriteFile(htPath, []byte(RegistryUser+":"+string(hash)+"\n"), 0o600); err != nil {
			return r, err
		}
		if err := os.WriteFile(pwPath, []byte(pw+"\n"), 0o600); err != nil {
			return r, err
		}
	}
	crt, key := l.RegistryCAPath(), filepath.Join(dir, RegistryDomain+".key")
	if !exists(crt) || !exists(key) {
		if err := writeSelfSigned(crt, key, RegistryDomain, []string{RegistryDomain}, nil); err != nil {
			return r, err
		}
	}
	for _, f := range []struct {
		dst  *string
		path string
	}{{&r.password, pwPath}, {&r.htpasswd, htPath}, {&r.crt, crt}, {&r.key, key}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return r, err
		}
		*f.dst = string(b)
	}
	r.password = strings.TrimSpace(r.password)
	return r, nil
}

// seedScript is the bash script Seed runs on one node.
func (l *Lab) seedScript(n Node, reg registrySecrets, clusterfile string) string {
	m0 := l.Master0()
	R := Rootfs()
	var s strings.Builder
	s.WriteString("set -eu\nchanged=0\n")
	file := func(path, data string, mode os.FileMode) {
		fmt.Fprintf(&s, "f=%q; mkdir -p \"$(dirname \"$f\")\"; base64 -d >\"$f.lab-tmp\" <<'LAB_EOF'\n%s\nLAB_EOF\n", path, b64([]byte(data)))
		fmt.Fprintf(&s, "if cmp -s \"$f.lab-tmp\" \"$f\"; then rm -f \"$f.lab-tmp\"; else chmod %o \"$f.lab-tmp\"; mv -f \"$f.lab-tmp\" \"$f\"; changed=1; fi\n", mode)
	}
	// sealer's CommandSetHostAlias, run only when sea.hub's lines are not
	// exactly its line.
	alias := fmt.Sprintf("%s %s %s", m0.IP, RegistryDomain, HostAliasMarker)
	fmt.Fprintf(&s, "if [ \"$(grep \" %s \" /etc/hosts)\" != %q ]; then\n", RegistryDomain, alias)
	fmt.Fprintf(&s, "if grep \" %[1]s \" /etc/hosts &>/dev/null;then sed -i \"/\\ %[1]s\\ /d\" /etc/hosts; fi;echo \"%[2]s\" >>/etc/hosts\nfi\n", RegistryDomain, alias)
	// sealer writes only the CA for the default endpoint: anything else in
	// the directory (a hosts.toml a playbook wrote) goes.
	fmt.Fprintf(&s, "find %q -mindepth 1 -maxdepth 1 ! -name %q -exec rm -rf {} + 2>/dev/null || true\n",
		"/etc/containerd/certs.d/"+RegistryURL(), RegistryDomain+".crt")
	file("/etc/containerd/certs.d/"+RegistryURL()+"/"+RegistryDomain+".crt", reg.crt, 0o644)
	file(R+"/certs/"+RegistryDomain+".crt", reg.crt, 0o644)
	if n == m0 {
		fmt.Fprintf(&s, "mkdir -p %s/registry\nreg_changed=0\nchanged=0\n", R)
		file(R+"/certs/"+RegistryDomain+".key", reg.key, 0o600)
		file(R+"/etc/registry_htpasswd", reg.htpasswd, 0o644)
		file(R+"/etc/registry_config.yml", registryConfig(m0), 0o644)
		file("/etc/systemd/system/sealer-registry.service", registryUnit(), 0o644)
		s.WriteString("reg_changed=$changed\n")
		file("/root/.sealer/Clusterfile", clusterfile, 0o644)
		s.WriteString("find /root/.sealer -mindepth 1 -maxdepth 1 ! -name Clusterfile -exec rm -rf {} +\n")
		s.WriteString(`systemctl daemon-reload
systemctl enable sealer-registry.service >/dev/null 2>&1
if [ "$reg_changed" = 1 ] || ! systemctl is-active -q sealer-registry.service; then systemctl restart sealer-registry.service; fi
`)
	} else {
		// Only master0 runs a registry and holds its data, key and
		// configuration: undo what registry playbooks laid down here.
		fmt.Fprintf(&s, `if [ -e /etc/systemd/system/sealer-registry.service ]; then
  systemctl disable --now sealer-registry.service >/dev/null 2>&1 || true
  rm -f /etc/systemd/system/sealer-registry.service
  systemctl daemon-reload
fi
rm -rf %[1]s/registry %[1]s/etc %[1]s/certs/%[2]s.key /root/.sealer
`, R, RegistryDomain)
	}
	return s.String()
}

// registryConfig is <rootfs>/etc/registry_config.yml: sealer's settings,
// with the paths of this native (not containerised) registry and the
// node's own address instead of :5000 on every address.
func registryConfig(m0 Node) string {
	R := Rootfs()
	return fmt.Sprintf(`version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: %[1]s/registry
http:
  addr: %[2]s
  headers:
    X-Content-Type-Options: [nosniff]
  tls:
    certificate: %[1]s/certs/%[3]s.crt
    key: %[1]s/certs/%[3]s.key
auth:
  htpasswd:
    realm: Registry Realm
    path: %[1]s/etc/registry_htpasswd
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`, R, net.JoinHostPort(m0.IP, fmt.Sprint(RegistryPort)), RegistryDomain)
}

// registryUnit is sealer-registry.service (sealer runs a container of that
// name; the lab runs Debian's registry binary under systemd).
func registryUnit() string {
	return fmt.Sprintf(`[Unit]
Description=sealer local registry %s (runbook lab)
After=network.target

[Service]
ExecStart=/usr/bin/docker-registry serve %s/etc/registry_config.yml
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
`, RegistryURL(), Rootfs())
}
