package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/kubefake"
)

// Issue 15: every sealer Clusterfile generation, and the cluster itself as
// an inventory source, through the built binary.

// sealerFixture returns the absolute path of a fixture written from
// sealer's types (inventory/testdata/sealer).
func sealerFixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "inventory", "testdata", "sealer", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// listJSON runs inventory --list and decodes it.
func listJSON(t *testing.T, dir string, args ...string) (map[string]any, result) {
	t.Helper()
	r := runbook(t, dir, append([]string{"inventory", "--list"}, args...)...)
	if r.code != 0 {
		t.Fatalf("inventory --list %v:\n%s", args, r)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("inventory --list output is not JSON: %v\n%s", err, r)
	}
	return out, r
}

// groupHosts returns a group's "hosts" from --list output.
func groupHosts(list map[string]any, group string) []any {
	g, _ := list[group].(map[string]any)
	hs, _ := g["hosts"].([]any)
	return hs
}

func hostVar(list map[string]any, host, name string) any {
	hv := list["_meta"].(map[string]any)["hostvars"].(map[string]any)
	h, _ := hv[host].(map[string]any)
	return h[name]
}

// noSecrets fails when any secret of the fixtures appears in the output.
func noSecrets(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("secret %q shown:\n%s", s, r)
		}
	}
}

func TestInventorySealerV08SavedForm(t *testing.T) {
	list, r := listJSON(t, t.TempDir(), "-i", sealerFixture(t, "v08-saved.yaml"))
	eq := func(what string, got, want any) {
		t.Helper()
		if g, w := strings.TrimSpace(jsonText(got)), strings.TrimSpace(jsonText(want)); g != w {
			t.Errorf("%s: got %s, want %s", what, g, w)
		}
	}
	eq("registry", groupHosts(list, "registry"), []string{"192.168.0.3"})
	eq("master0", groupHosts(list, "master0"), []string{"192.168.0.2"})
	eq("layout", hostVar(list, "192.168.0.5", "sealer_layout"), "v08")
	eq("registry_url", hostVar(list, "192.168.0.5", "registry_url"), "hub.example.com:5443")
	eq("registry_ha", hostVar(list, "192.168.0.5", "registry_ha"), false)
	eq("password masked", hostVar(list, "192.168.0.5", "ansible_password"), "********")
	noSecrets(t, r, "Seal3r!pw", "node-Pa55", "reg-Secret-08")
	// The decrypted password is what -vvvv and JSON events must hide too.
	dir := workdir(t, map[string]string{"site.yaml": `- hosts: localhost
  gather_facts: false
  tasks:
    - debug: {msg: "pw={{ hostvars['192.168.0.5'].ansible_password }} m0={{ hostvars['192.168.0.2'].ansible_password }} reg={{ registry_password }}"}
`})
	for _, args := range [][]string{{"-vvvv"}, {"--output", "json"}} {
		r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", sealerFixture(t, "v08-saved.yaml")}, args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "pw=********") {
			t.Errorf("play %v:\n%s", args, r)
		}
		noSecrets(t, r, "Seal3r!pw", "node-Pa55", "reg-Secret-08")
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestInventorySealerGenerationsCLI(t *testing.T) {
	dir := t.TempDir()
	list, _ := listJSON(t, dir, "-i", sealerFixture(t, "v1.yaml"))
	if got := jsonText(groupHosts(list, "node")); got != `["192.168.0.5","192.168.0.6"]` {
		t.Errorf("v1 nodes: %s", got)
	}
	list, r := listJSON(t, dir, "-i", sealerFixture(t, "two-clusters.yaml"))
	if !strings.Contains(r.stderr, "[WARNING]: ") || !strings.Contains(r.stderr, "2 kind: Cluster documents: using the last one (line 12)") ||
		jsonText(groupHosts(list, "master")) != `["10.2.0.1","10.2.0.2"]` {
		t.Errorf("two Cluster documents:\n%s", r)
	}
	list, _ = listJSON(t, dir, "-i", sealerFixture(t, "v011.yaml"))
	if jsonText(groupHosts(list, "registry")) != `["10.0.0.11"]` || hostVar(list, "10.0.0.21", "rootfs") != "/data/sealer/prod/rootfs" {
		t.Errorf("v0.11 ha false:\n%s", jsonText(list))
	}
	// A Clusterfile that yields no host is an error naming the file.
	r = runbook(t, dir, "inventory", "--list", "-i", sealerFixture(t, "v1-cloud.yaml"))
	if r.code != 3 || !strings.Contains(r.stderr, "v1-cloud.yaml:7:3: no host") {
		t.Errorf("no host: want exit 3 naming the file:\n%s", r)
	}
}

func TestInventoryNonRootBecomeMasked(t *testing.T) {
	r := runbook(t, t.TempDir(), "inventory", "-i", sealerFixture(t, "nonroot.yaml"), "--host", "10.0.0.11")
	var vars map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &vars); err != nil || r.code != 0 {
		t.Fatalf("--host: %v\n%s", err, r)
	}
	if vars["ansible_become"] != true || vars["ansible_become_password"] != "********" || vars["ansible_user"] != "ops" {
		t.Errorf("non-root user: %v", vars)
	}
	noSecrets(t, r, "Ops-Pa55")
}

// The cluster as a source: -i cluster:// through a kubeconfig, and the
// automatic fallback when no -i is given and no Clusterfile file exists.
func TestInventoryFromClusterConfigMap(t *testing.T) {
	api := kubefake.Start(t, map[string]string{"Clusterfile": strings.Replace(sealerClusterfile, "NAME", "in-cluster", 1)})
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: master\n  gather_facts: false\n  tasks: [{debug: {msg: hi}}]\n"})
	kc := api.Kubeconfig(t, dir)
	list, r := listJSON(t, dir, "-i", "cluster://", "--kubeconfig", kc)
	if jsonText(groupHosts(list, "master")) != `["127.0.0.2","127.0.0.3"]` || hostVar(list, "127.0.0.4", "cluster_name") != "in-cluster" {
		t.Errorf("cluster:// --list:\n%s", r)
	}
	noSecrets(t, r, "s3cret-pw", kubefake.Token)
	if r := runbook(t, dir, "inventory", "--graph", "-i", "cluster://", "--kubeconfig", kc); r.code != 0 || !strings.Contains(r.stdout, "|--@gpu:") {
		t.Errorf("cluster:// --graph:\n%s", r)
	}
	// No -i, no Clusterfile file: the cluster, said on stderr; -v names it.
	_, r = listJSON(t, dir, "--kubeconfig", kc, "-v")
	mustContain(t, r, "reading the Clusterfile from the cluster", "using inventory ConfigMap kube-system/sealer-clusterfile (kubeconfig "+kc+")")
	r = runbook(t, dir, "play", "site.yaml", "--kubeconfig", kc, "--list-hosts")
	mustContain(t, r, "reading the Clusterfile from the cluster", "hosts (2):", "127.0.0.3")
	// A Clusterfile file still comes first.
	if err := os.WriteFile(filepath.Join(dir, "Clusterfile"), []byte(strings.Replace(sealerClusterfile, "NAME", "from-file", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	list, r = listJSON(t, dir, "--kubeconfig", kc)
	if hostVar(list, "127.0.0.4", "cluster_name") != "from-file" || !strings.Contains(r.stderr, "--kubeconfig is only used by a cluster://") {
		t.Errorf("./Clusterfile before the cluster:\n%s", r)
	}
}

func TestInventoryFromClusterErrors(t *testing.T) {
	dir := t.TempDir()
	none := kubefake.Start(t, nil)
	kc := none.Kubeconfig(t, dir)
	for _, args := range [][]string{{"-i", "cluster://", "--kubeconfig", kc}, {"--kubeconfig", kc}} {
		r := runbook(t, dir, append([]string{"inventory", "--list"}, args...)...)
		if r.code != 3 || !strings.Contains(r.stderr, "no ConfigMap kube-system/sealer-clusterfile") {
			t.Errorf("%v: want exit 3 saying the ConfigMap is missing:\n%s", args, r)
		}
	}
	r := runbook(t, dir, "inventory", "--list", "-i", "cluster://127.0.0.1:1", "-T", "2s")
	if r.code != 3 || !strings.Contains(r.stderr, "cluster://127.0.0.1:1: no master answered") {
		t.Errorf("dead master: want exit 3:\n%s", r)
	}
}

// Issue 16 item 11: a NUL in an INI host name is refused like YAML does.
func TestInventoryINIHostNUL(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": "[web]\nh1\x00evil ansible_connection=local\n"})
	r := runbook(t, dir, "inventory", "--list", "-i", "hosts")
	if r.code != 3 || !strings.Contains(r.stderr, "hosts:2: [web] host") || !strings.Contains(r.stderr, "control character U+0000") {
		t.Errorf("want exit 3 with file:line:\n%s", r)
	}
}
