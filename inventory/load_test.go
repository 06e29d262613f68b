package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadCommaList(t *testing.T) {
	tests := []struct {
		src   string
		hosts []string
		ports map[string]int
	}{
		{"a,b,", []string{"a", "b"}, nil},
		{"h1,h2", []string{"h1", "h2"}, nil},
		{"10.0.0.1,", []string{"10.0.0.1"}, nil},
		{" web1 , web2:2222,,", []string{"web1", "web2"}, map[string]int{"web2": 2222}},
		{"[2001:db8::1]:22,2001:db8::2,", []string{"2001:db8::1", "2001:db8::2"}, map[string]int{"2001:db8::1": 22}},
	}
	for _, tc := range tests {
		inv := mustLoad(t, tc.src)
		eq(t, tc.src, hostNames(inv), tc.hosts)
		eq(t, tc.src+" ungrouped", inv.GroupHosts()["ungrouped"], tc.hosts)
		for h, p := range tc.ports {
			eq(t, tc.src+" port", inv.HostVars(h)["ansible_port"], p)
		}
	}
	if _, err := Load([]string{"a:x,b"}); err == nil {
		t.Error("bad port in host list: want error")
	}
}

func TestLoadCommaFileWins(t *testing.T) {
	// A path containing a comma that exists is read as a file.
	dir := t.TempDir()
	p := writeFile(t, dir, "a,b", "[g]\nfromfile\n")
	inv := mustLoad(t, p)
	eq(t, "hosts", hostNames(inv), []string{"fromfile"})
}

func TestLoadMissingFile(t *testing.T) {
	cases := map[string]string{
		"no/such/inventory.ini": "no/such/inventory.ini: inventory source does not exist (give a Clusterfile, an Ansible inventory file or directory, or a host list such as -i 'h1,h2,')",
		"10.0.0.9":              "10.0.0.9: inventory source does not exist (for a single host, end the list with a comma: -i 10.0.0.9,)",
		"10.0.0.9:2222":         "10.0.0.9:2222: inventory source does not exist (for a single host, end the list with a comma: -i 10.0.0.9:2222,)",
		"[::1]:22":              "[::1]:22: inventory source does not exist (for a single host, end the list with a comma: -i [::1]:22,)",
	}
	for src, want := range cases {
		_, err := Load([]string{src})
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", src, err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: the cause is lost: %#v", src, err)
		}
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "10-web.ini", "[web]\nw1 x=ini\n")
	writeFile(t, dir, "20-db.yml", "db:\n  hosts:\n    d1:\n    w1: {x: yaml}\n")
	writeFile(t, dir, "30-Clusterfile", "kind: Cluster\nmetadata: {name: c}\nspec:\n  hosts:\n  - {ips: [10.0.0.1], roles: [master]}\n")
	writeFile(t, dir, ".hidden", "[bad\n")
	writeFile(t, dir, "site.retry", "junk junk\n")
	writeFile(t, dir, "README.md", "# not an inventory: x y\n")
	writeFile(t, dir, "hosts.ini~", "junk junk\n")
	writeFile(t, dir, "group_vars/all.yml", "x: 1\n")
	inv := mustLoad(t, dir)
	eq(t, "hosts", hostNames(inv), []string{"w1", "d1", "10.0.0.1"})
	eq(t, "later file wins", inv.HostVars("w1")["x"], "yaml")
	h, _ := inv.Host("w1")
	eq(t, "groups", h.Groups, []string{"db", "web"})

	// Errors inside a directory name the file.
	writeFile(t, dir, "40-broken.ini", "[g]\nh a\n")
	_, err := Load([]string{dir})
	wantErr(t, err, "40-broken.ini:2: ")
}

func TestLoadMergeTwoSources(t *testing.T) {
	dir := t.TempDir()
	cf := writeFile(t, dir, "Clusterfile", `kind: Cluster
metadata: {name: c}
spec:
  ssh: {passwd: pw}
  hosts:
  - {ips: [10.0.0.1, 10.0.0.2], roles: [master]}
  - {ips: [10.0.0.3], roles: [node]}
`)
	extra := writeFile(t, dir, "extra.ini", `[node]
10.0.0.3 ansible_user=deploy
10.0.0.9
[monitoring]
10.0.0.1
[all:vars]
registry_port=6000
ntp=pool.ntp.org
`)
	inv := mustLoad(t, cf, extra)
	eq(t, "sources", inv.Sources, []string{cf, extra})
	eq(t, "hosts", hostNames(inv), []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"})
	eq(t, "node", inv.GroupHosts()["node"], []string{"10.0.0.3", "10.0.0.9"})
	eq(t, "monitoring", inv.GroupHosts()["monitoring"], []string{"10.0.0.1"})
	v := inv.HostVars("10.0.0.3")
	eq(t, "user overridden", v["ansible_user"], "deploy")
	eq(t, "password kept", v["ansible_password"], "pw")
	eq(t, "all var overridden", v["registry_port"], 6000)
	eq(t, "all var added", v["ntp"], "pool.ntp.org")
	eq(t, "cluster var kept", v["cluster_name"], "c")

	// The other order: the Clusterfile's values win.
	inv = mustLoad(t, extra, cf)
	eq(t, "reverse order", inv.HostVars("10.0.0.3")["ansible_user"], "root")
	eq(t, "reverse all var", inv.HostVars("10.0.0.3")["registry_port"], 5000)
	eq(t, "reverse host order", hostNames(inv), []string{"10.0.0.3", "10.0.0.9", "10.0.0.1", "10.0.0.2"})
}

func TestLoadFormatDetection(t *testing.T) {
	tests := []struct {
		name, file, body string
		hosts            []string
	}{
		{"ini without extension", "hosts", "[g]\na\n", []string{"a"}},
		{"yaml without extension", "hosts", "g:\n  hosts:\n    a:\n", []string{"a"}},
		{"json inventory", "inv.json", `{"all": {"hosts": {"a": {"x": 1}}}}`, []string{"a"}},
		{"bare host lines", "hosts", "a\nb\n", []string{"a", "b"}},
		{"ini host line that parses as a YAML mapping", "hosts", "web1 motd=\"a: b\"\n", []string{"web1"}},
		{"empty yaml", "inv.yml", "# nothing\n", nil},
		{"empty ini", "hosts", "", nil},
		{"clusterfile with kubeadm doc first", "cluster.yaml", "kind: ClusterConfiguration\n---\nkind: Cluster\nmetadata: {name: x}\nspec:\n  hosts: [{ips: [1.2.3.4]}]\n", []string{"1.2.3.4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := mustLoadText(t, tc.file, tc.body)
			eq(t, "hosts", hostNames(inv), tc.hosts)
		})
	}
}

func TestLoadNeitherFormat(t *testing.T) {
	_, err := loadText(t, "inv.yaml", "just a string\n")
	wantErr(t, err, "inv.yaml:1:1: ", "must be a mapping")
	_, err = loadText(t, "hosts", "key: [unclosed\n  more: stuff: here\n")
	if err == nil {
		t.Error("garbage: want error")
	}
}

func TestDefaultSources(t *testing.T) {
	dir := t.TempDir()
	home := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", home)
	defaults := func() []string {
		t.Helper()
		got, err := DefaultSources()
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := defaults(); got != nil {
		t.Errorf("no Clusterfile: got %q", got)
	}
	// sealer v0.8 keeps it per cluster; one cluster is unambiguous.
	v08 := writeFile(t, home, ".sealer/my-cluster/Clusterfile", "kind: Cluster\n")
	eq(t, "v0.8 home", defaults(), []string{v08})
	writeFile(t, home, ".sealer/other/Clusterfile", "kind: Cluster\n")
	_, err := DefaultSources()
	wantErr(t, err, ".sealer: 2 sealer v0.8 clusters", "my-cluster/Clusterfile", "other/Clusterfile", "choose one with -i")
	sealer := writeFile(t, home, ".sealer/Clusterfile", "kind: Cluster\n")
	eq(t, "home", defaults(), []string{sealer})
	writeFile(t, dir, "Clusterfile", "kind: Cluster\n")
	eq(t, "cwd", defaults(), []string{"./Clusterfile"})
}

func TestLoadHomeExpansion(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	writeFile(t, home, "inv/hosts", "[g]\nh\n")
	inv := mustLoad(t, "~/inv/hosts")
	eq(t, "hosts", hostNames(inv), []string{"h"})
}

func TestLoadNothing(t *testing.T) {
	inv := mustLoad(t)
	eq(t, "hosts", len(inv.Hosts()), 0)
	eq(t, "groups", inv.GroupNames(), []string{"all", "ungrouped"})
	h, ok := inv.Host("localhost")
	if !ok || h.Vars["ansible_connection"] != "local" {
		t.Errorf("implicit localhost = %#v, %v", h, ok)
	}
}

func TestHostVarsIsACopy(t *testing.T) {
	inv := mustLoadText(t, "inv.yml", "all:\n  vars: {l: [1, 2], m: {a: 1}}\n  hosts: {h: }\n")
	v := inv.HostVars("h")
	v["l"].([]any)[0] = 99
	v["m"].(map[string]any)["a"] = 99
	v["new"] = 1
	again := inv.HostVars("h")
	eq(t, "list", again["l"], []any{1, 2})
	eq(t, "map", again["m"], map[string]any{"a": 1})
	if _, ok := again["new"]; ok {
		t.Error("caller change leaked into the inventory")
	}
	if inv.HostVars("nope") != nil {
		t.Error("unknown host: want nil")
	}
	lv := inv.HostVars("localhost")
	eq(t, "localhost gets all vars", lv["l"], []any{1, 2})
	eq(t, "localhost connection", lv["ansible_connection"], "local")
	if got, _ := inv.Select("all"); len(got) != 1 {
		t.Errorf("implicit localhost in all: %q", got)
	}
}

func TestLoadUnreadable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads everything")
	}
	p := writeFile(t, t.TempDir(), "hosts", "[g]\nh\n")
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{p})
	wantErr(t, err, filepath.Base(p)+": ")
}
