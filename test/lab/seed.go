package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Seed puts the running lab into the state a sealer installation leaves,
// in the shape and runtime LAB_SHAPE and LAB_RUNTIME choose (default: ha,
// docker — sealer's defaults). See SeedWith.
func (l *Lab) Seed(ctx context.Context) error {
	o, err := SeedOptionsFromEnv()
	if err != nil {
		return err
	}
	return l.SeedWith(ctx, o)
}

// SeedWith puts the running lab into the state sealer v0.9–v0.11 leaves
// (shared/reference/sealer-reality.md), with plain shell run in the nodes
// and Go on this machine — never with runbook:
//
//   - every node: the cluster rootfs /var/lib/sealer/data/my-cluster/rootfs
//     with sealer's etc/registry_config.yml (container paths, no TLS or
//     auth), scripts/init-registry.sh and images/ (the registry:2.7.1
//     image); the sea.hub alias with sealer's marker (shape: see
//     AliasTarget); the registry CA in the runtime's certs.d; registry
//     credentials in /var/lib/kubelet/config.json (and ~/.docker/config.json
//     with docker);
//   - every deploy host (DeployHosts): <rootfs>/registry (the data),
//     certs/sea.hub.{crt,key} (self-signed CA, CN registry-ca, RSA PKCS#1),
//     etc/registry_htpasswd, and the sealer-registry container started by
//     init-registry.sh, serving SeedImages;
//   - workers in the ha shape: the VIP (haproxy, health-checked, over the
//     masters' registries);
//   - master0: ~/.sealer/Clusterfile; this machine: the Clusterfile at
//     ClusterfilePath; the cluster: ConfigMaps kube-system/sealer-clusterfile
//     and kube-system/sealer-registry in sealer's formats.
//
// It also undoes what runbook's playbooks and tests add: a registry
// container, data, key or unit anywhere but a deploy host, other files in
// certs.d (hosts.toml), other sea.hub lines, other files in ~/.sealer, and
// the ConfigMap sealer-apps and Secret sealer-registry.
//
// SeedWith is idempotent: it rewrites only what differs, restarts a
// registry only when its files changed or it is not running, and re-pushes
// only missing blobs. Every node must be running.
func (l *Lab) SeedWith(ctx context.Context, o SeedOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
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
	clusterfile := l.ClusterfileFor(o, reg.password)
	if err := writeIfChanged(l.ClusterfilePath(), []byte(clusterfile), 0o600); err != nil {
		return err
	}
	image, imageSum, err := l.registryImageTarball()
	if err != nil {
		return err
	}
	scripts, err := l.rootfsFiles()
	if err != nil {
		return err
	}
	if err := l.parallel(l.nodes, func(n Node) error {
		if err := l.putFile(ctx, n, Rootfs()+"/images/"+RegistryImageFile, image, imageSum); err != nil {
			return err
		}
		script := l.seedScript(o, n, reg, clusterfile, scripts)
		_, err := l.MustRun(ctx, n.Name, script)
		if err != nil && strings.Contains(err.Error(), "exited -1") && ctx.Err() == nil {
			// Killed by a signal (seen once right after a node booted):
			// the script is idempotent, so run it once more.
			_, err = l.MustRun(ctx, n.Name, script)
		}
		return err
	}); err != nil {
		return err
	}
	for _, n := range l.DeployHosts(o) {
		if err := WaitPort(ctx, n.Addr(RegistryPort), 30*time.Second); err != nil {
			out, _, _, _ := l.Run(n.Name, "docker ps -a; docker logs --tail 20 "+RegistryContainer)
			return fmt.Errorf("lab: registry on %s: %w\n%s", n.Name, err, out)
		}
		if err := l.pushImages(ctx, reg, n, SeedImages); err != nil {
			return err
		}
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
	if err := l.ApplyConfigMap(ctx, "kube-system", RegistryConfigMap, map[string]string{"registry": l.sealerRegistryInfo(o, reg.password)}); err != nil {
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
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return os.WriteFile(l.seededPath(), append(b, '\n'), 0o644)
}

// RegistryConfigMap is the ConfigMap sealer v0.10+ records its registry in
// (namespace kube-system, data key registry).
const RegistryConfigMap = "sealer-registry"

// sealerRegistryInfo is sealer's RegistryInfo as its kyaml marshalling
// writes it: lower-case Go field names, embedded structs nested.
func (l *Lab) sealerRegistryInfo(o SeedOptions, password string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "external: null\nlocal:\n  localregistry:\n    registryconfig:\n      domain: %s\n      port: %d\n      username: %s\n      password: %s\n",
		RegistryDomain, RegistryPort, RegistryUser, password)
	fmt.Fprintf(&b, "    ha: %t\n    insecure: false\n    cert:\n      subjectaltname: null\n  deployhosts:\n", o.Shape == ShapeHA)
	for _, n := range l.DeployHosts(o) {
		fmt.Fprintf(&b, "  - %s\n", n.IP)
	}
	vip := ""
	if o.Shape == ShapeHA {
		vip = VIP
	}
	fmt.Fprintf(&b, "  vip: %q\n", vip)
	return b.String()
}

// putFile writes data to path in the node unless the file there already has
// sha256 sum (streamed on stdin, written to a temporary name and renamed).
func (l *Lab) putFile(ctx context.Context, n Node, path string, data []byte, sum string) error {
	cmd := fmt.Sprintf(`f=%q; if [ "$(sha256sum "$f" 2>/dev/null | cut -d' ' -f1)" = %q ]; then exit 0; fi
mkdir -p "$(dirname "$f")"; cat >"$f.lab-tmp"; mv -f "$f.lab-tmp" "$f"`, path, sum)
	_, stderr, code, err := l.RunContext(ctx, n.Name, cmd, bytes.NewReader(data))
	if err != nil || code != 0 {
		return fmt.Errorf("lab: %s: writing %s: %v (exit %d) %s", n.Name, path, err, code, stderr)
	}
	return nil
}

// unseededObjects are objects of kube-system that registry playbooks or
// tests create and sealer does not: Seed deletes them.
var unseededObjects = []string{"configmaps/sealer-apps", "secrets/sealer-registry"}

// registrySecrets are the seeded registry's credentials and certificate,
// kept in Dir/registry so reseeding changes nothing.
type registrySecrets struct {
	password string // RegistryUser's password
	htpasswd string // the htpasswd line (bcrypt)
	crt, key string // PEM: self-signed CA, CN registry-ca, SAN sea.hub; RSA PKCS#1
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
	if !isSealerRegistryCert(crt) || !exists(key) {
		if err := writeSealerRegistryCert(crt, key, RegistryDomain); err != nil {
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
