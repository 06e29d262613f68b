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

// Clusterfile renders the lab's sealer Clusterfile (sealer.io/v2, kind
// Cluster): every node by role, root SSH by password and the lab key, and
// the local registry with HA on, as sealer's defaults have it.
func (l *Lab) Clusterfile(registryPassword string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: sealer.io/v2
kind: Cluster
metadata:
  name: %s
spec:
  image: docker.io/sealerio/kubernetes:v1-31-4-sealerio-1
  dataRoot: %s
  containerRuntime:
    type: containerd
  env:
    - PodCIDR=100.64.0.0/10
    - SvcCIDR=10.96.0.0/16
  ssh:
    user: root
    passwd: %s
    pk: %s
    port: "%d"
  hosts:
`, ClusterName, DataRoot, RootPassword, l.KeyPath(), SSHPort)
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
      ha: true
      insecure: false
`, RegistryDomain, RegistryPort, RegistryUser, registryPassword)
	return b.String()
}
