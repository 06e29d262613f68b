package inventory

import (
	"testing"
)

func TestClusterfileExamples(t *testing.T) {
	tests := []struct {
		file       string
		hosts      []string
		groups     map[string][]string // group -> GroupHosts
		allVars    map[string]any      // subset of group all vars
		hostVars   map[string]map[string]any
		absentVars map[string][]string // host -> vars that must not be set
	}{
		{
			file:  "testdata/clusterfile-decoder.yaml",
			hosts: []string{"192.168.0.2", "192.168.0.3"},
			groups: map[string][]string{
				"master": {"192.168.0.2"}, "node": {"192.168.0.3"}, "db": {"192.168.0.3"},
				"master0": {"192.168.0.2"}, "registry": {"192.168.0.2"}, "ungrouped": {},
				"all": {"192.168.0.2", "192.168.0.3"},
			},
			allVars: map[string]any{
				"key1": "value1", "key2": []any{"value2", "value3"},
				"cluster_name": "my-cluster", "cluster_image": "kubernetes:v1.19.8",
				"data_root": "/var/lib/sealer/data", "rootfs": "/var/lib/sealer/data/my-cluster/rootfs",
				"registry_domain": "sea.hub", "registry_port": 5000, "registry_url": "sea.hub:5000",
				"registry_username": "", "registry_password": "", "registry_ha": true,
				"registry_insecure": false, "container_runtime": "docker", "local_registry_enabled": true,
			},
			hostVars: map[string]map[string]any{
				"192.168.0.2": {
					"ansible_host": "192.168.0.2", "ansible_port": 22, "ansible_user": "root",
					"ansible_password": "test456", "ansible_ssh_private_key_file": "xxx",
					"ansible_ssh_private_key_passphrase": "xxx", "etcd-dir": "/data/etcd",
					"key2": []any{"value2", "value3"},
				},
				"192.168.0.3": {
					"ansible_host": "192.168.0.3", "ansible_password": "test123", "key1": "value1",
				},
			},
			absentVars: map[string][]string{"192.168.0.3": {"etcd-dir", "labels", "taints"}},
		},
		{
			file:  "testdata/clusterfile-k0s.yaml",
			hosts: []string{"10.1.0.218", "10.1.0.217", "10.1.0.215", "10.1.0.216"},
			groups: map[string][]string{
				"master": {"10.1.0.218"}, "node": {"10.1.0.217", "10.1.0.215", "10.1.0.216"},
				"master0": {"10.1.0.218"}, "registry": {"10.1.0.218"},
			},
			allVars: map[string]any{"registry_ha": false, "container_runtime": "containerd",
				"rootfs": "/var/lib/sealer/data/my-test-cluster/rootfs"},
			hostVars: map[string]map[string]any{
				"10.1.0.216": {"ansible_user": "root", "ansible_port": 22, "ansible_password": "xxxxxx"},
			},
			absentVars: map[string][]string{"10.1.0.216": {"ansible_ssh_private_key_file", "ansible_ssh_private_key_passphrase"}},
		},
		{
			file:  "testdata/clusterfile-full.yaml",
			hosts: []string{"192.168.0.2", "192.168.0.3", "192.168.0.4", "192.168.0.5"},
			groups: map[string][]string{
				"master":   {"192.168.0.2", "192.168.0.3", "192.168.0.4"},
				"registry": {"192.168.0.2", "192.168.0.3", "192.168.0.4"},
				"master0":  {"192.168.0.2"}, "node": {"192.168.0.5"},
			},
			allVars: map[string]any{
				"PodCIDR": "100.64.0.0/10", "registry_username": "sealer", "registry_password": "sealer123",
				"registry_cert_dns_names": []any{"reg.example.com"}, "registry_cert_ips": []any{"192.168.0.2"},
				"container_runtime": "containerd",
			},
			hostVars: map[string]map[string]any{
				"192.168.0.3": {"labels": map[string]any{"node-type": "cp"}, "ansible_password": "xxx",
					"ansible_ssh_private_key_file": "/root/.ssh/id_rsa"},
				"192.168.0.5": {"ansible_port": 2222, "ansible_password": "yyy",
					"taints": []any{"key1=value1:NoSchedule"}},
			},
			absentVars: map[string][]string{"192.168.0.2": {"ansible_ssh_private_key_passphrase", "taints"}},
		},
		{
			file:  "testdata/clusterfile-external.yaml",
			hosts: []string{"10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.21"},
			groups: map[string][]string{
				"master0": {"10.0.0.11"}, "registry": {}, "node": {"10.0.0.21"},
			},
			allVars: map[string]any{
				"cluster_name": "prod", "data_root": "/data/sealer/", "rootfs": "/data/sealer/prod/rootfs",
				"Mirrors":                  []any{"a.example.com", "b.example.com"},
				"local_registry_enabled":   false,
				"external_registry_domain": "harbor.example.com", "external_registry_port": 443,
				"external_registry_url":      "harbor.example.com:443",
				"external_registry_username": "u", "external_registry_password": "p",
			},
			hostVars: map[string]map[string]any{
				"10.0.0.21": {"ansible_user": "ops", "ansible_port": 2200, "Mirrors": "c.example.com"},
				"10.0.0.11": {"ansible_ssh_private_key_file": "/home/ops/.ssh/id_ed25519"},
			},
			absentVars: map[string][]string{"10.0.0.11": {"ansible_password"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			checkClusterfile(t, mustLoad(t, tc.file), cfCase{hosts: tc.hosts, groups: tc.groups,
				allVars: tc.allVars, hostVars: tc.hostVars, absent: tc.absentVars})
		})
	}
}

func TestClusterfileHostGroupsAndHostEnvOverride(t *testing.T) {
	inv := mustLoad(t, "testdata/clusterfile-decoder.yaml")
	h, _ := inv.Host("192.168.0.3")
	eq(t, "groups", h.Groups, []string{"db", "node"})
	m, _ := inv.Host("192.168.0.2")
	eq(t, "groups", m.Groups, []string{"master", "master0", "registry"})
	// Host env lands in host vars, global env in group all.
	if _, ok := m.Vars["key1"]; ok {
		t.Error("global env copied into host vars")
	}
	eq(t, "host env", m.Vars["etcd-dir"], "/data/etcd")
}

func TestClusterfileDetectedByContent(t *testing.T) {
	data := `# no special name
apiVersion: sealer.io/v2
kind: Cluster
metadata: {name: c1}
spec:
  hosts:
  - {ips: [10.0.0.1], roles: [master]}
`
	inv := mustLoadText(t, "whatever.txt", data)
	eq(t, "hosts", hostNames(inv), []string{"10.0.0.1"})
	eq(t, "registry", inv.GroupHosts()["registry"], []string{"10.0.0.1"})
}

func TestClusterfileUnknownKeysIgnored(t *testing.T) {
	inv := mustLoadText(t, "Clusterfile", `apiVersion: sealer.io/v2
kind: Cluster
metadata: {name: c1, labels: {a: b}}
spec:
  appNames: [x]
  cmd_args: [BindAddress=0.0.0.0]
  futureField: {deep: [1, 2]}
  hosts:
  - ips: [10.0.0.1]
    roles: [master]
    somethingNew: true
`)
	eq(t, "hosts", hostNames(inv), []string{"10.0.0.1"})
}

func TestClusterfileErrors(t *testing.T) {
	const head = "apiVersion: sealer.io/v2\nkind: Cluster\nmetadata:\n  name: c\n"
	tests := []struct {
		name, body, prefix string
		parts              []string
	}{
		{"bad ip", head + "spec:\n  hosts:\n  - ips: [10.0.0.1]\n    roles: [master]\n  - ips:\n    - 10.0.0.2\n    - 10.0.0.x\n",
			"Clusterfile:11:7: ", []string{`spec.hosts[1].ips[1] "10.0.0.x" is not an IP address`}},
		{"hosts not a list", head + "spec:\n  hosts: 10.0.0.1\n",
			"Clusterfile:6:10: ", []string{"spec.hosts must be a list"}},
		{"ssh port not a number", head + "spec:\n  ssh:\n    port: ssh\n",
			"Clusterfile:7:11: ", []string{"spec.ssh.port", `invalid port "ssh"`}},
		{"host ssh port out of range", head + "spec:\n  hosts:\n  - ips: [10.0.0.1]\n    ssh: {port: \"70000\"}\n",
			"Clusterfile:8:17: ", []string{"spec.hosts[0].ssh.port", "out of range"}},
		{"env not key=value", head + "spec:\n  env:\n  - novalue\n",
			"Clusterfile:7:5: ", []string{`spec.env[0] "novalue" is not key=value`}},
		{"ha not bool", head + "spec:\n  registry:\n    localRegistry:\n      ha: sometimes\n",
			"Clusterfile:8:11: ", []string{"spec.registry.localRegistry.ha must be true or false"}},
		{"registry port", head + "spec:\n  registry:\n    localRegistry: {port: abc}\n",
			"Clusterfile:7:27: ", []string{"spec.registry.localRegistry.port"}},
		{"external without domain", head + "spec:\n  registry:\n    externalRegistry: {port: 443}\n",
			"Clusterfile:7:23: ", []string{"externalRegistry.domain is required"}},
		{"duplicate ip", head + "spec:\n  hosts:\n  - ips: [10.0.0.1]\n  - ips: [10.0.0.1]\n",
			"Clusterfile:8:11: ", []string{"already listed on line 7"}},
		{"reserved role", head + "spec:\n  hosts:\n  - ips: [10.0.0.1]\n    roles: [registry]\n",
			"Clusterfile:8:13: ", []string{"reserved"}},
		{"roles not a list", head + "spec:\n  hosts:\n  - ips: [10.0.0.1]\n    roles: {a: b}\n",
			"Clusterfile:8:12: ", []string{"spec.hosts[0].roles must be a list"}},
		{"labels not a map", head + "spec:\n  hosts:\n  - ips: [10.0.0.1]\n    labels: [a]\n",
			"Clusterfile:8:13: ", []string{"spec.hosts[0].labels must be a mapping"}},
		{"no ips", head + "spec:\n  hosts:\n  - roles: [master]\n",
			"Clusterfile:7:5: ", []string{"spec.hosts[0] has no ips"}},
		{"spec not a mapping", head + "spec: [1]\n",
			"Clusterfile:5:7: ", []string{"spec must be a mapping"}},
		{"missing name", "kind: Cluster\nspec: {}\n",
			"Clusterfile:1:1: ", []string{"metadata.name is required"}},
		{"yaml syntax error", head + "spec:\n  hosts:\n  - ips: [10.0.0.1\n  - x\n",
			"Clusterfile:", []string{"YAML syntax error"}},
		{"cert ip", head + "spec:\n  registry:\n    localRegistry:\n      cert: {subjectAltName: {ips: [nope]}}\n",
			"Clusterfile:8:37: ", []string{"is not an IP address"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadText(t, "Clusterfile", tc.body)
			wantErr(t, err, tc.prefix, tc.parts...)
		})
	}
}

func TestClusterfileIPv6AndPortAsInt(t *testing.T) {
	inv := mustLoadText(t, "Clusterfile", `kind: Cluster
metadata: {name: v6}
spec:
  ssh: {port: 2022}
  hosts:
  - ips: ["2001:db8::10"]
    roles: [master]
`)
	eq(t, "vars", inv.HostVars("2001:db8::10")["ansible_port"], 2022)
	got, err := inv.Select("2001:db8::10")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "select v6", got, []string{"2001:db8::10"})
}
