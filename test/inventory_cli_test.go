package test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const sealerClusterfile = `apiVersion: sealer.io/v2
kind: Cluster
metadata: {name: NAME}
spec:
  ssh: {user: root, passwd: s3cret-pw, port: "2222"}
  env: ["TAGS=a;b", ONE=1]
  registry:
    localRegistry: {domain: reg.local, port: 5001, ha: false, username: u, password: p, insecure: true}
  hosts:
    - {ips: [127.0.0.2, 127.0.0.3], roles: [master], ssh: {port: "22"}, env: [HOSTV=x]}
    - {ips: [127.0.0.4], roles: [node, gpu]}
`

// TestDefaultInventoryFallsBackToSealerHome: without -i, ./Clusterfile wins
// over ~/.sealer/Clusterfile, -v says which was used, and neither gives a
// warning and localhost only.
func TestDefaultInventoryFallsBackToSealerHome(t *testing.T) {
	site := "- hosts: all\n  gather_facts: false\n  tasks: [{name: show, debug: {msg: '{{ cluster_name }}'}}]\n"
	dir := workdir(t, map[string]string{
		"site.yaml":           site,
		".sealer/Clusterfile": strings.Replace(sealerClusterfile, "NAME", "from-home", 1),
	})
	// The test harness sets HOME to the work directory.
	r := runbook(t, dir, "play", "site.yaml", "--list-hosts", "-v")
	mustContain(t, r, "using inventory "+filepath.Join(dir, ".sealer", "Clusterfile"), "hosts (3):", "127.0.0.4")
	if r := runbook(t, dir, "play", "site.yaml", "--list-hosts"); strings.Contains(r.stderr, "using inventory") {
		t.Errorf("the inventory used is said at -v only:\n%s", r)
	}
	dir2 := workdir(t, map[string]string{
		"site.yaml":           site,
		"Clusterfile":         strings.Replace(strings.Replace(sealerClusterfile, "NAME", "from-cwd", 1), "127.0.0.4", "127.0.0.9", 1),
		".sealer/Clusterfile": strings.Replace(sealerClusterfile, "NAME", "from-home", 1),
	})
	r = runbook(t, dir2, "play", "site.yaml", "--list-hosts", "-v")
	mustContain(t, r, "using inventory ./Clusterfile", "127.0.0.9")
	if strings.Contains(r.stdout, "127.0.0.4") {
		t.Errorf("./Clusterfile wins over ~/.sealer/Clusterfile:\n%s", r)
	}
	r = runbook(t, workdir(t, map[string]string{"site.yaml": site}), "play", "site.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "no inventory given (-i), no Clusterfile (./Clusterfile, ~/.sealer/Clusterfile, ~/.sealer/<cluster>/Clusterfile)") {
		t.Errorf("no inventory at all:\n%s", r)
	}
}

// TestClusterfileVarsReachPlaybooks: env lists, per-host ssh merged over
// the global one, groups from roles, and the cluster variables, as a
// playbook sees them.
func TestClusterfileVarsReachPlaybooks(t *testing.T) {
	dir := workdir(t, map[string]string{
		"Clusterfile": strings.Replace(sealerClusterfile, "NAME", "c1", 1),
		"site.yaml": `- hosts: all
  gather_facts: false
  tasks:
    - name: show
      debug:
        msg: "{{ inventory_hostname }} tags={{ TAGS | join('+') }} one={{ ONE }} hostv={{ HOSTV ?? '-' }} port={{ ansible_port }} user={{ ansible_user }} groups={{ group_names | join(',') }}"
      delegate_to: localhost
    - name: cluster
      run_once: true
      delegate_to: localhost
      debug:
        msg: "{{ cluster_name }} {{ data_root }} {{ rootfs }} {{ registry_domain }}:{{ registry_port }} {{ registry_username }} ha={{ registry_ha }} insecure={{ registry_insecure }} registry={{ groups.registry | join(',') }} master0={{ groups.master0 | join(',') }}"
`,
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "Clusterfile")
	if r.code != 0 {
		t.Fatal(r)
	}
	mustContain(t, r,
		"127.0.0.2 tags=a+b one=1 hostv=x port=22 user=root groups=master,master0,registry",
		"127.0.0.4 tags=a+b one=1 hostv=- port=2222 user=root groups=gpu,node",
		"c1 /var/lib/sealer/data /var/lib/sealer/data/c1/rootfs reg.local:5001 u ha=False insecure=True registry=127.0.0.2 master0=127.0.0.2")
	if strings.Contains(r.stdout+r.stderr, "s3cret-pw") {
		t.Errorf("the SSH password was printed:\n%s", r)
	}
}

// TestHostListsAndMergedInventories: -i a,b, is a host list, and several -i
// merge (later sources win).
func TestHostListsAndMergedInventories(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts":     "[web]\nw1 v=ini\n",
		"more.yaml": "web:\n  hosts:\n    w1: {v: yaml}\n    w2:\n",
	})
	r := runbook(t, dir, "inventory", "-i", "a,b,", "-i", "hosts", "-i", "more.yaml", "--list")
	if r.code != 0 {
		t.Fatal(r)
	}
	var inv map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
		t.Fatalf("--list is not JSON: %v\n%s", err, r)
	}
	hv := inv["_meta"].(map[string]any)["hostvars"].(map[string]any)
	for _, h := range []string{"a", "b", "w1", "w2"} {
		if _, ok := hv[h]; !ok {
			t.Errorf("host %s missing from the merged inventory: %s", h, r.stdout)
		}
	}
	if v := hv["w1"].(map[string]any)["v"]; v != "yaml" {
		t.Errorf("the later -i wins: w1's v = %v", v)
	}
	if web := inv["web"].(map[string]any)["hosts"].([]any); len(web) != 2 {
		t.Errorf("web = %v, want w1 and w2", web)
	}
	pdir := workdir(t, map[string]string{"p.yaml": "- hosts: all\n  gather_facts: false\n  tasks: [{name: t, command: 'echo ran-on-{{ inventory_hostname }}', register: o}, {name: s, debug: {var: o.stdout}}]\n"})
	r = runbook(t, pdir, "play", "p.yaml", "-i", "localhost,")
	if r.code != 0 || !strings.Contains(r.stdout, `"o.stdout": "ran-on-localhost"`) {
		t.Errorf("-i localhost, runs on the local connection:\n%s", r)
	}
}
