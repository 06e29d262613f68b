// Package inventory turns inventory sources into hosts, groups and
// variables for runbook.
//
// # Sources
//
// Load reads and merges, in order, any mix of:
//
//   - sealer Clusterfiles (any file with a "kind: Cluster" document);
//   - Ansible YAML inventories (a mapping of group names to hosts, vars and
//     children);
//   - Ansible INI inventories ([group], [group:vars], [group:children],
//     host ranges such as web[01:03] and db-[a:c]);
//   - comma-separated host lists ("h1,h2" or "h1,");
//   - directories of such files;
//   - content given as a Source (LoadSources).
//
// The Inventory it returns is read-only and safe for concurrent use.
//
// # Clusterfile
//
// Every IP of spec.hosts becomes a host named by the IP, in the groups named
// by its roles (master, node, or any custom role). Two groups are added:
// master0 (the first master in file order) and registry (the hosts that run
// sealer's local registry: every master when localRegistry.ha is true or
// unset, only master0 when it is false, nobody when only an
// externalRegistry is configured).
//
// Host variables: ansible_host (the IP), ansible_port (spec.ssh.port, per
// host override, default 22), ansible_user (default root), and when set
// ansible_password, ansible_ssh_private_key_file and
// ansible_ssh_private_key_passphrase; the host's env entries; labels (a map)
// and taints (a list).
//
// Variables of group "all": the spec.env entries ("k=v"; "k=v1;v2" gives a
// list), then cluster_name, cluster_image (when set), data_root (default
// /var/lib/sealer/data), rootfs (<data_root>/<cluster_name>/rootfs),
// container_runtime (default docker), local_registry_enabled,
// registry_domain (default sea.hub), registry_port (default 5000),
// registry_url, registry_username, registry_password, registry_ha (default
// true), registry_insecure (default false), registry_cert_dns_names and
// registry_cert_ips; with an externalRegistry also external_registry_domain,
// external_registry_port (when set), external_registry_url,
// external_registry_username and external_registry_password. These computed
// variables override env entries of the same name, as sealer does.
//
// # sealer generations
//
// sealer_layout is "v09" for Clusterfiles of sealer v0.9 to v0.11 and "v08"
// for sealer v0.8 (see the layout rules in sealer.go). v0.8 passwords saved
// with ssh.encrypted: true are decrypted with sealer's fixed key; the
// registry's settings come from the kind: Config document writing
// etc/registry.yml, and its one host (registry_ip: master0 unless ip: says
// otherwise) is the only member of registry, with registry_ha false. v1
// Clusterfiles (zlink.aliyun.com/v1alpha1) have spec.masters.ipList and
// spec.nodes.ipList converted to master and node hosts. With several
// kind: Cluster documents the last is used, with a warning. A Clusterfile
// that yields no host is an error. A non-root ssh.user gets ansible_become
// and, unless env sets one, the SSH password as ansible_become_password.
//
// Content read elsewhere (the cluster's own Clusterfile, for instance) is
// loaded with LoadSources; this package itself never reaches a cluster.
//
// # Variable precedence
//
// HostVars merges group "all", then the host's groups and their ancestors
// by depth (parents first), ansible_group_priority and name, then the
// host's own variables; see Inventory.HostVars.
//
// # Output
//
// ListJSON, HostJSON and Graph print what ansible-inventory --list, --host
// and --graph print. They mask secret variables (see IsSecretVar) unless
// OutputOptions.ShowSecrets is set.
package inventory
