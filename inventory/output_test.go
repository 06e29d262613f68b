package inventory

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIsSecretVar(t *testing.T) {
	tests := map[string]bool{
		"ansible_password": true, "ansible_ssh_pass": true, "ansible_become_pass": true,
		"ansible_become_password": true, "registry_password": true, "passwd": true,
		"ansible_ssh_private_key_passphrase": true, "api_token": true, "client_secret": true,
		"aws_secret_access_key": true, "api_key": true, "private_key": true, "DB_PASSWORD": true,
		"ansible_ssh_private_key_file": false, "ansible_private_key_file": false,
		"vault_password_file": false, "token_path": false, "ansible_user": false,
		"registry_domain": false, "keyboard": false, "monkey": false, "ansible_host": false,
	}
	for name, want := range tests {
		if got := IsSecretVar(name); got != want {
			t.Errorf("IsSecretVar(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestListJSON(t *testing.T) {
	inv := mustLoad(t, "testdata/clusterfile-decoder.yaml")
	data, err := inv.ListJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	eq(t, "all", got["all"], map[string]any{"children": []any{"db", "master", "master0", "node", "registry", "ungrouped"}})
	eq(t, "master", got["master"], map[string]any{"hosts": []any{"192.168.0.2"}})
	eq(t, "ungrouped", got["ungrouped"], map[string]any{})
	hv := got["_meta"]["hostvars"].(map[string]any)["192.168.0.2"].(map[string]any)
	eq(t, "merged var", hv["cluster_name"], "my-cluster")
	eq(t, "masked password", hv["ansible_password"], Mask)
	eq(t, "masked passphrase", hv["ansible_ssh_private_key_passphrase"], Mask)
	eq(t, "key file shown", hv["ansible_ssh_private_key_file"], "xxx")
	eq(t, "empty secret shown as empty", hv["registry_password"], "")
	if strings.Contains(string(data), "test456") || strings.Contains(string(data), "test123") {
		t.Error("ListJSON leaks a password")
	}

	shown, _ := inv.ListJSONWith(OutputOptions{ShowSecrets: true})
	if !strings.Contains(string(shown), "test456") {
		t.Error("ShowSecrets hides the password")
	}
}

func TestListJSONExport(t *testing.T) {
	inv := mustLoadText(t, "inv.yml", "all:\n  vars: {a: 1, db_password: s3cret}\n  children:\n    web:\n      vars: {b: 2}\n      hosts: {h: {c: 3}}\n")
	data, err := inv.ListJSONWith(OutputOptions{Export: true})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	eq(t, "all", got["all"], map[string]any{"children": []any{"ungrouped", "web"},
		"vars": map[string]any{"a": 1.0, "db_password": Mask}})
	eq(t, "web", got["web"], map[string]any{"hosts": []any{"h"}, "vars": map[string]any{"b": 2.0}})
	eq(t, "own hostvars only", got["_meta"]["hostvars"], map[string]any{"h": map[string]any{"c": 3.0}})
}

func TestHostJSON(t *testing.T) {
	inv := mustLoad(t, "testdata/clusterfile-full.yaml")
	data, err := inv.HostJSON("192.168.0.5")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	eq(t, "password", got["ansible_password"], Mask)
	eq(t, "registry password", got["registry_password"], Mask)
	eq(t, "port", got["ansible_port"], 2222.0)
	eq(t, "taints", got["taints"], []any{"key1=value1:NoSchedule"})
	if _, err := inv.HostJSON("10.9.9.9"); err == nil {
		t.Error("unknown host: want error")
	}
	if _, err := inv.HostJSON("localhost"); err != nil {
		t.Errorf("implicit localhost: %v", err)
	}
	shown, _ := inv.HostJSONWith("192.168.0.5", OutputOptions{ShowSecrets: true})
	if !strings.Contains(string(shown), `"yyy"`) {
		t.Error("ShowSecrets hides the password")
	}
}

func TestGraph(t *testing.T) {
	inv := mustLoadText(t, "hosts", "lonely\n[web]\nw2\nw1\n[db]\nd1\n[prod:children]\nweb\ndb\n")
	want := `@all:
  |--@prod:
  |  |--@db:
  |  |  |--d1
  |  |--@web:
  |  |  |--w2
  |  |  |--w1
  |--@ungrouped:
  |  |--lonely
`
	eq(t, "graph", inv.Graph(), want)

	inv = mustLoadText(t, "hosts", "[web]\nw1 ansible_password=hunter2 port=80\n[web:vars]\napi_token=abc\nx=1\n")
	want = `@all:
  |--@ungrouped:
  |--@web:
  |  |--w1
  |  |  |--{ansible_password = ********}
  |  |  |--{port = 80}
  |  |--{api_token = ********}
  |  |--{x = 1}
`
	eq(t, "graph vars", inv.GraphWith(OutputOptions{Vars: true}), want)
	if !strings.Contains(inv.GraphWith(OutputOptions{Vars: true, ShowSecrets: true}), "hunter2") {
		t.Error("ShowSecrets hides the password")
	}
}

func TestMaskNested(t *testing.T) {
	got := maskVars(map[string]any{
		"conf":       map[string]any{"password": "x", "user": "u"},
		"list":       []any{map[string]any{"token": "t"}},
		"nil_secret": nil, "my_secret": 42,
	}, false)
	eq(t, "nested", got["conf"], map[string]any{"password": Mask, "user": "u"})
	eq(t, "list", got["list"], []any{map[string]any{"token": Mask}})
	eq(t, "nil", got["nil_secret"], nil)
	eq(t, "int", got["my_secret"], Mask)
}
