package lab

import (
	"fmt"
	"strings"
)

// The sealer facts the lab reproduces (see
// shared/reference/sealer-registry-facts.md).
const (
	// ClusterName is the sealer cluster's metadata.name.
	ClusterName = "my-cluster"
	// DataRoot is sealer's default spec.dataRoot.
	DataRoot = "/var/lib/sealer/data"
	// RegistryDomain and RegistryPort are sealer's local registry defaults.
	RegistryDomain = "sea.hub"
	RegistryPort   = 5000
	// RegistryUser is the htpasswd user of the seeded registry; its
	// password is generated once per lab (RegistryPassword).
	RegistryUser = "sealer"
	// SudoUser is a non-root account on every node: the lab's key, sudo
	// with its password (RootPassword), as a site whose Clusterfile's
	// ssh.user is not root has.
	SudoUser = "ops"
	// HostAliasMarker ends the /etc/hosts lines sealer writes.
	HostAliasMarker = "#hostalias-set-by-sealer"
	// ClusterfileConfigMap is where sealer stores the Clusterfile
	// (namespace kube-system, data key Clusterfile).
	ClusterfileConfigMap = "sealer-clusterfile"
)

// Rootfs is the cluster rootfs directory on every node:
// /var/lib/sealer/data/my-cluster/rootfs.
func Rootfs() string { return DataRoot + "/" + ClusterName + "/rootfs" }

// RegistryURL is sea.hub:5000.
func RegistryURL() string { return fmt.Sprintf("%s:%d", RegistryDomain, RegistryPort) }

// Clusterfile renders the lab's sealer Clusterfile for the shape last
// seeded (sealer's defaults when never seeded). See ClusterfileFor.
func (l *Lab) Clusterfile(registryPassword string) string {
	o, ok := l.Seeded()
	if !ok {
		o = DefaultSeedOptions()
	}
	return l.ClusterfileFor(o, registryPassword)
}

// ClusterfileFor renders the lab's sealer Clusterfile (sealer.io/v2, kind
// Cluster): every node by role, root SSH by password and the lab key, the
// local registry with ha as the shape says, and containerRuntime only for
// containerd (sealer's default, docker, is usually left unsaid).
func (l *Lab) ClusterfileFor(o SeedOptions, registryPassword string) string {
	runtime := ""
	if o.Runtime == RuntimeContainerd {
		runtime = "\n  containerRuntime:\n    type: containerd"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: sealer.io/v2
kind: Cluster
metadata:
  name: %s
spec:
  image: docker.io/sealerio/kubernetes:v1-31-4-sealerio-1
  dataRoot: %s%s
  env:
    - PodCIDR=100.64.0.0/10
    - SvcCIDR=10.96.0.0/16
  ssh:
    user: root
    passwd: %s
    pk: %s
    port: "%d"
  hosts:
`, ClusterName, DataRoot, runtime, RootPassword, l.KeyPath(), SSHPort)
	for _, group := range [][]Node{l.Masters(), l.Workers()} {
		if len(group) == 0 {
			continue
		}
		var ips []string
		for _, n := range group {
			ips = append(ips, n.IP)
		}
		fmt.Fprintf(&b, "    - ips: [ %s ]\n      roles: [ %s ]\n", strings.Join(ips, ", "), group[0].Role)
	}
	fmt.Fprintf(&b, `  registry:
    localRegistry:
      domain: %s
      port: %d
      username: %s
      password: %s
      ha: %t
      insecure: false
`, RegistryDomain, RegistryPort, RegistryUser, registryPassword, o.Shape == ShapeHA)
	return b.String()
}

// ClusterfileAs is ClusterfileFor with ssh.user set to user (e.g. SudoUser);
// the password stays RootPassword, which is also SudoUser's.
func (l *Lab) ClusterfileAs(o SeedOptions, registryPassword, user string) string {
	return strings.Replace(l.ClusterfileFor(o, registryPassword), "    user: root\n", "    user: "+user+"\n", 1)
}
