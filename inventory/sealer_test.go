package inventory

import (
	"strings"
	"testing"
)

// The Clusterfiles of every sealer generation, written from sealer's own
// types (see the comment at the top of each fixture).

// cfCase is what one Clusterfile must give.
type cfCase struct {
	hosts    []string
	groups   map[string][]string
	allVars  map[string]any
	hostVars map[string]map[string]any
	absent   map[string][]string // host -> vars that must not be set
	warning  string              // a warning that must be given ("" for none)
}

func checkClusterfile(t *testing.T, inv *Inventory, tc cfCase) {
	t.Helper()
	eq(t, "hosts", hostNames(inv), tc.hosts)
	gh := inv.GroupHosts()
	for g, want := range tc.groups {
		if got := gh[g]; len(got) != 0 || len(want) != 0 {
			eq(t, "group "+g, got, want)
		} else if _, ok := inv.Group(g); !ok {
			t.Errorf("group %s missing", g)
		}
	}
	all, _ := inv.Group("all")
	for k, want := range tc.allVars {
		eq(t, "all var "+k, all.Vars[k], want)
	}
	for h, vars := range tc.hostVars {
		merged := inv.HostVars(h)
		for k, want := range vars {
			eq(t, h+" var "+k, merged[k], want)
		}
	}
	for h, names := range tc.absent {
		merged := inv.HostVars(h)
		for _, k := range names {
			if v, ok := merged[k]; ok {
				t.Errorf("%s: var %s = %#v, want unset", h, k, v)
			}
		}
	}
	warnings := strings.Join(inv.Warnings, "\n")
	if tc.warning == "" && warnings != "" {
		t.Errorf("unexpected warnings: %s", warnings)
	}
	if tc.warning != "" && !strings.Contains(warnings, tc.warning) {
		t.Errorf("warnings %q do not contain %q", warnings, tc.warning)
	}
}

func TestSealerGenerations(t *testing.T) {
	tests := map[string]cfCase{
		"v1.yaml": {
			hosts: []string{"192.168.0.2", "192.168.0.3", "192.168.0.4", "192.168.0.5", "192.168.0.6"},
			groups: map[string][]string{
				"master": {"192.168.0.2", "192.168.0.3", "192.168.0.4"}, "node": {"192.168.0.5", "192.168.0.6"},
				"master0": {"192.168.0.2"}, "registry": {"192.168.0.2"},
			},
			allVars: map[string]any{"sealer_layout": "v08", "cluster_name": "my-cluster", "PodCIDR": "100.64.0.0/10",
				"registry_ha": false, "registry_ip": "192.168.0.2", "registry_url": "sea.hub:5000",
				"cluster_image": "registry.cn-qingdao.aliyuncs.com/sealer-io/kubernetes:v1.19.8"},
			hostVars: map[string]map[string]any{"192.168.0.6": {"ansible_password": "Seal3r!pw",
				"ansible_ssh_private_key_file": "/root/.ssh/id_rsa", "ansible_user": "root"}},
			absent:  map[string][]string{"192.168.0.6": {"ansible_become"}},
			warning: "without a kind: Config document for etc/registry.yml",
		},
		"v08-saved.yaml": {
			hosts: []string{"192.168.0.2", "192.168.0.3", "192.168.0.4", "192.168.0.5"},
			groups: map[string][]string{
				"master": {"192.168.0.2", "192.168.0.3", "192.168.0.4"}, "node": {"192.168.0.5"},
				"master0": {"192.168.0.2"}, "registry": {"192.168.0.3"},
			},
			allVars: map[string]any{"sealer_layout": "v08", "registry_domain": "hub.example.com",
				"registry_port": 5443, "registry_url": "hub.example.com:5443", "registry_username": "sealerUser",
				"registry_password": "reg-Secret-08", "registry_ha": false, "registry_ip": "192.168.0.3",
				"local_registry_enabled": true, "rootfs": "/var/lib/sealer/data/my-cluster/rootfs"},
			hostVars: map[string]map[string]any{
				"192.168.0.2": {"ansible_password": "Seal3r!pw", "ansible_port": 22},
				"192.168.0.5": {"ansible_password": "node-Pa55"},
			},
		},
		"v09-saved.yaml": {
			hosts: []string{"192.168.0.2", "192.168.0.3", "192.168.0.4", "192.168.0.5"},
			groups: map[string][]string{
				"master0": {"192.168.0.2"}, "registry": {"192.168.0.2", "192.168.0.3", "192.168.0.4"},
			},
			allVars: map[string]any{"sealer_layout": "v09", "registry_ha": true, "registry_domain": "sea.hub",
				"registry_port": 5000, "container_runtime": "docker", "LocalRegistryURL": "sea.hub:5000"},
			hostVars: map[string]map[string]any{"192.168.0.5": {"ansible_password": "Seal3r!pw"}},
			absent:   map[string][]string{"192.168.0.2": {"registry_ip"}},
		},
		"v011.yaml": {
			hosts: []string{"10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.21"},
			groups: map[string][]string{
				"master0": {"10.0.0.11"}, "registry": {"10.0.0.11"}, "node": {"10.0.0.21"},
			},
			allVars: map[string]any{"sealer_layout": "v09", "registry_ha": false, "container_runtime": "containerd",
				"data_root": "/data/sealer", "rootfs": "/data/sealer/prod/rootfs", "registry_url": "hub.prod.example.com:5443",
				"registry_username": "admin", "registry_password": "reg-Secret-11"},
			hostVars: map[string]map[string]any{"10.0.0.21": {"ansible_port": 2222, "ansible_user": "root"}},
		},
		"two-clusters.yaml": {
			hosts:   []string{"10.2.0.1", "10.2.0.2", "10.2.0.3"},
			groups:  map[string][]string{"master0": {"10.2.0.1"}, "registry": {"10.2.0.1", "10.2.0.2"}},
			allVars: map[string]any{"cluster_name": "second", "sealer_layout": "v09"},
			warning: "two-clusters.yaml:12: 2 kind: Cluster documents: using the last one (line 12), as sealer v0.9 and later do (sealer v0.8 used the first, line 3)",
		},
		"nonroot.yaml": {
			hosts: []string{"10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.21"},
			hostVars: map[string]map[string]any{
				"10.0.0.11": {"ansible_user": "ops", "ansible_become": true, "ansible_become_password": "Ops-Pa55"},
				"10.0.0.13": {"ansible_user": "deploy", "ansible_become": true, "ansible_become_password": "Ops-Pa55",
					"ansible_ssh_private_key_file": "/home/deploy/.ssh/id_ed25519"},
				"10.0.0.21": {"ansible_user": "ops", "ansible_become": true, "ansible_become_password": "Sudo-Other"},
			},
			absent: map[string][]string{"10.0.0.12": {"ansible_become", "ansible_become_password"}},
		},
	}
	for file, tc := range tests {
		t.Run(file, func(t *testing.T) {
			checkClusterfile(t, mustLoad(t, "testdata/sealer/"+file), tc)
		})
	}
}

// A v0.8 saved form without encrypted passwords (key login) is recognised
// by where sealer v0.8 keeps it.
func TestSealerV08SavedLocation(t *testing.T) {
	body := "apiVersion: cluster.sealer.cool/v2\nkind: Cluster\nmetadata: {name: c1}\nspec:\n  ssh: {pk: /root/.ssh/id_rsa}\n" +
		"  hosts:\n  - ips: [10.0.0.1, 10.0.0.2]\n    roles: [master]\n"
	dir := t.TempDir()
	v08 := mustLoad(t, writeFile(t, dir, ".sealer/c1/Clusterfile", body))
	checkClusterfile(t, v08, cfCase{hosts: []string{"10.0.0.1", "10.0.0.2"},
		groups:  map[string][]string{"registry": {"10.0.0.1"}},
		allVars: map[string]any{"sealer_layout": "v08", "registry_ha": false},
		warning: "assuming sealer's registry defaults"})
	v09 := mustLoad(t, writeFile(t, dir, ".sealer/Clusterfile", body))
	checkClusterfile(t, v09, cfCase{hosts: []string{"10.0.0.1", "10.0.0.2"},
		groups:  map[string][]string{"registry": {"10.0.0.1", "10.0.0.2"}},
		allVars: map[string]any{"sealer_layout": "v09", "registry_ha": true}})
}

// A v0.8 registry on a host that is not in the Clusterfile is reached with
// the cluster's SSH settings, as sealer reaches it.
func TestSealerV08RegistryElsewhere(t *testing.T) {
	inv := mustLoadText(t, "Clusterfile", `kind: Cluster
metadata: {name: c}
spec:
  ssh: {user: ops, passwd: pw}
  hosts:
  - ips: [10.0.0.1]
    roles: [master]
---
kind: Config
spec:
  path: /etc/registry.yml
  data: "ip: 10.0.0.9\n"
`)
	checkClusterfile(t, inv, cfCase{hosts: []string{"10.0.0.1", "10.0.0.9"},
		groups:   map[string][]string{"registry": {"10.0.0.9"}, "master0": {"10.0.0.1"}, "ungrouped": {}},
		hostVars: map[string]map[string]any{"10.0.0.9": {"ansible_host": "10.0.0.9", "ansible_user": "ops", "ansible_become": true}}})
}

func TestSealerErrors(t *testing.T) {
	head := "apiVersion: sealer.cloud/v2\nkind: Cluster\nmetadata:\n  name: c\n"
	hosts := "  hosts:\n  - ips: [10.0.0.1]\n    roles: [master]\n"
	tests := []struct {
		name, file, body, prefix string
		parts                    []string
	}{
		{"v1 with counts only", "testdata/sealer/v1-cloud.yaml", "", "v1-cloud.yaml:7:3: ",
			[]string{"no host", "v1 Clusterfile", "spec.masters.ipList"}},
		{"no hosts", "", head + "spec:\n  image: k\n", "Clusterfile:6:3: ", []string{"no host: spec.hosts lists no IP"}},
		{"empty hosts", "", head + "spec:\n  hosts: []\n", "Clusterfile:6:10: ", []string{"no host"}},
		{"no spec", "", head, "Clusterfile:1:1: ", []string{"no host"}},
		{"not sealer's ciphertext", "", head + "spec:\n  ssh: {encrypted: true, passwd: plain}\n" + hosts,
			"Clusterfile:6:34: ", []string{"spec.ssh.passwd: spec.ssh.encrypted is true but the password is not one sealer encrypted"}},
		{"wrong key", "", head + "spec:\n  ssh: {encrypted: true, passwd: AAAAAAAAAAAAAAAAAAAAAA==}\n" + hosts,
			"Clusterfile:6:34: ", []string{"bad padding"}},
		{"encrypted not bool", "", head + "spec:\n  ssh: {encrypted: maybe}\n" + hosts,
			"Clusterfile:6:20: ", []string{"spec.ssh.encrypted must be true or false"}},
		{"registry.yml not yaml", "", head + "spec:\n" + hosts + "---\nkind: Config\nspec:\n  path: etc/registry.yml\n  data: |\n    ip: [\n",
			"Clusterfile:13:9: ", []string{"Config etc/registry.yml: spec.data is not YAML"}},
		{"registry.yml bad ip", "", head + "spec:\n" + hosts + "---\nkind: Config\nspec:\n  path: etc/registry.yml\n  data: |\n    domain: x\n    ip: 10.0.0\n",
			"Clusterfile:15: ", []string{`Config etc/registry.yml ip "10.0.0" is not an IP address`}},
		{"registry.yml bad port", "", head + "spec:\n" + hosts + "---\nkind: Config\nspec:\n  path: etc/registry.yml\n  data: 'port: \"http\"'\n",
			"Clusterfile:13: ", []string{"Config etc/registry.yml.port"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.file != "" {
				_, err = Load([]string{tc.file})
			} else {
				_, err = loadText(t, "Clusterfile", tc.body)
			}
			wantErr(t, err, tc.prefix, tc.parts...)
		})
	}
}

func TestDecryptSealerPasswd(t *testing.T) {
	// Ciphertexts made with openssl enc -aes-256-cbc -K <sealer key> -iv
	// <its first 16 bytes>, not with runbook's code.
	for ct, want := range map[string]string{
		"JcrfI97ANnx9aB+Hs0IojQ==": "Seal3r!pw",
		"/4U7o5jKArNKd8C7aXu/GQ==": "node-Pa55",
	} {
		got, err := decryptSealerPasswd(ct)
		if err != nil || got != want {
			t.Errorf("decrypt(%s) = %q, %v; want %q", ct, got, err, want)
		}
	}
	for _, bad := range []string{"", "not base64!", "QUJD"} {
		if _, err := decryptSealerPasswd(bad); err == nil {
			t.Errorf("decrypt(%q): want error", bad)
		}
	}
}

// Issue 16 item 11: a NUL (or any control character) in an INI host name,
// a host list or an escaped YAML key is refused with the file and line.
func TestHostNameControlCharacters(t *testing.T) {
	_, err := loadText(t, "hosts", "[web]\nok\nh1\x00evil ansible_port=22\n")
	wantErr(t, err, "hosts:3: ", `[web] host "h1\x00evil": control character U+0000 in host name`)
	_, err = loadText(t, "inv.yaml", "all:\n  hosts:\n    \"h1\\0x\": {}\n")
	wantErr(t, err, "inv.yaml:3:", "control character U+0000")
	if _, err := Load([]string{"a,b\x01c,"}); err == nil || !strings.Contains(err.Error(), "control character U+0001") {
		t.Errorf("host list: got %v", err)
	}
}
