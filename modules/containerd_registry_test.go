package modules_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/runbook-dev/runbook/modules"
)

// crConfigV2 is a containerd 1.x config in the shape `containerd config
// default` writes, with comments and settings that must survive the edit.
const crConfigV2 = `# containerd 1.7 config, seeded by sealer
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"
  max_recv_message_size = 16777216

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "sea.hub:5000/pause:3.9" # the pause image
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ""

      [plugins."io.containerd.grpc.v1.cri".registry.auths]

  [plugins."io.containerd.internal.v1.opt"]
    path = "/opt/containerd"
`

// crConfigV3 is a containerd 2.x config without a registry table.
const crConfigV3 = `version = 3
root = '/var/lib/containerd'

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'

  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = 'registry.k8s.io/pause:3.10'

[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
`

// crSetup makes a certs dir and config file under a temp dir; config ""
// leaves the file missing.
func crSetup(t *testing.T, config string) (dir, certs, cfg string) {
	dir = t.TempDir()
	certs, cfg = filepath.Join(dir, "certs.d"), filepath.Join(dir, "containerd", "config.toml")
	if config != "" {
		if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, certs, cfg
}

func crArgs(dir, certs, cfg string, extra map[string]any) map[string]any {
	a := map[string]any{"registry": "sea.hub:5000", "certs_dir": certs, "config_file": cfg,
		"restart_command": "touch " + filepath.Join(dir, "restarted")}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

func crRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func crTOML(t *testing.T, p string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := toml.Unmarshal([]byte(crRead(t, p)), &m); err != nil {
		t.Fatalf("%s does not parse: %v", p, err)
	}
	return m
}

func crDig(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	return v
}

// crRestarted reports (and clears) the restart marker.
func crRestarted(t *testing.T, dir string) bool {
	t.Helper()
	err := os.Remove(filepath.Join(dir, "restarted"))
	return err == nil
}

func TestContainerdRegistryHostsTOMLOneMirror(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir, certs, cfg := crSetup(t, "")
		mc := connContext(t, c, nil)
		r := helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{
			"mirrors": "https://192.168.0.2:5000", "manage_config": false}))
		want := "# Managed by runbook (containerd_registry): hosts are tried in order, then server.\n" +
			"server = 'https://sea.hub:5000'\n\n" +
			"[host.'https://192.168.0.2:5000']\n" +
			"  capabilities = ['pull', 'resolve']\n"
		hosts := filepath.Join(certs, "sea.hub:5000", "hosts.toml")
		if got := crRead(t, hosts); got != want {
			t.Fatalf("hosts.toml:\n%s\nwant:\n%s", got, want)
		}
		if !r.Changed || r.Data["hosts_toml"] != hosts || r.Data["config_changed"] != false || r.Data["restarted"] != false {
			t.Fatalf("result %+v", r)
		}
		if _, err := os.Stat(cfg); !os.IsNotExist(err) {
			t.Fatalf("manage_config false touched %s: %v", cfg, err)
		}
		if fi, _ := os.Stat(hosts); fi.Mode().Perm() != 0o644 {
			t.Fatalf("mode %v", fi.Mode())
		}
		if r := helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{
			"mirrors": []any{"https://192.168.0.2:5000"}, "manage_config": false})); r.Changed {
			t.Fatalf("second run changed: %+v", r)
		}
	})
}

func TestContainerdRegistryHostsTOMLThreeMirrorsWithCA(t *testing.T) {
	caPEM, _ := tlsTestSelfSigned(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir, certs, cfg := crSetup(t, "")
		mc := connContext(t, c, nil)
		mc.Diff = true
		args := crArgs(dir, certs, cfg, map[string]any{"manage_config": false, "ca_content": caPEM, "ca_file": "sea.hub.crt",
			"mirrors": []any{
				"192.168.0.3:5000",
				map[string]any{"url": "https://192.168.0.2:5000", "skip_verify": true, "capabilities": []any{"pull"}},
				map[string]any{"host": "http://mirror.local/v2/sea", "ca": "", "override_path": "yes"},
			}})
		r := helperMustRun(t, mc, "containerd_registry", args)
		ca := filepath.Join(certs, "sea.hub:5000", "sea.hub.crt")
		want := "# Managed by runbook (containerd_registry): hosts are tried in order, then server.\n" +
			"server = 'https://sea.hub:5000'\n" +
			"ca = '" + ca + "'\n\n" +
			"[host.'https://192.168.0.3:5000']\n" +
			"  capabilities = ['pull', 'resolve']\n" +
			"  ca = '" + ca + "'\n\n" +
			"[host.'https://192.168.0.2:5000']\n" +
			"  capabilities = ['pull']\n" +
			"  ca = '" + ca + "'\n" +
			"  skip_verify = true\n\n" +
			"[host.'http://mirror.local/v2/sea']\n" +
			"  capabilities = ['pull', 'resolve']\n" +
			"  override_path = true\n"
		hosts := filepath.Join(certs, "sea.hub:5000", "hosts.toml")
		if got := crRead(t, hosts); got != want {
			t.Fatalf("hosts.toml:\n%s\nwant:\n%s", got, want)
		}
		if crRead(t, ca) != caPEM || r.Data["ca_file"] != ca || !r.Changed || len(r.Diff) != 2 {
			t.Fatalf("CA not installed or result wrong: %+v", r)
		}
		// The order survives a TOML reader that keeps it (containerd's).
		m := crTOML(t, hosts)
		if h, _ := m["host"].(map[string]any); len(h) != 3 || m["server"] != "https://sea.hub:5000" {
			t.Fatalf("parsed %v", m)
		}
		if r := helperMustRun(t, mc, "containerd_registry", args); r.Changed || len(r.Diff) != 0 {
			t.Fatalf("second run changed: %+v", r)
		}
	})
}

func crStatID(t *testing.T, p string) [3]int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return [3]int64{int64(st.Ino), fi.ModTime().UnixNano(), fi.Size()}
}

// crAssertConfig checks that config_path is set under table and that every
// other setting of before is still there.
func crAssertConfig(t *testing.T, cfg, before, certs string, table ...string) {
	t.Helper()
	got := crTOML(t, cfg)
	if v := crDig(got, append(table, "config_path")...); v != certs {
		t.Fatalf("config_path = %v, want %s; file:\n%s", v, certs, crRead(t, cfg))
	}
	want := map[string]any{}
	if err := toml.Unmarshal([]byte(before), &want); err != nil {
		t.Fatal(err)
	}
	reg, _ := crDig(got, table...).(map[string]any)
	delete(reg, "config_path")
	if len(reg) == 0 {
		// Remove the tables the module had to add.
		parent, _ := crDig(got, table[:len(table)-1]...).(map[string]any)
		delete(parent, table[len(table)-1])
	}
	if reg, _ := crDig(want, table...).(map[string]any); reg != nil {
		delete(reg, "config_path")
	}
	if before == "" {
		want["version"] = int64(2)
		delete(got, "plugins")
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("other settings changed:\n got %v\nwant %v", got, want)
	}
}

func TestContainerdRegistryConfigVersions(t *testing.T) {
	cases := []struct {
		name, before string
		table        []string
		version      int
	}{
		{"v2 containerd 1.x", crConfigV2, []string{"plugins", "io.containerd.grpc.v1.cri", "registry"}, 2},
		{"v3 containerd 2.x", crConfigV3, []string{"plugins", "io.containerd.cri.v1.images", "registry"}, 3},
		{"v1 without version", "root = \"/var/lib/containerd\"\n[plugins.cri]\n  sandbox_image = \"pause:3.2\"\n", []string{"plugins", "cri", "registry"}, 1},
		{"missing file", "", []string{"plugins", "io.containerd.grpc.v1.cri", "registry"}, 2},
		{"inline table is re-encoded", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  registry = { config_path = \"/old\", x = 1 }\n",
			[]string{"plugins", "io.containerd.grpc.v1.cri", "registry"}, 2},
	}
	eachConn(t, func(t *testing.T, c testConn) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				dir, certs, cfg := crSetup(t, tc.before)
				mc := connContext(t, c, nil)
				args := crArgs(dir, certs, cfg, map[string]any{"mirrors": []any{"https://10.0.0.1:5000"}})
				r := helperMustRun(t, mc, "containerd_registry", args)
				if !r.Changed || r.Data["config_changed"] != true || r.Data["restarted"] != true || r.Data["config_version"] != tc.version {
					t.Fatalf("result %+v", r.Map())
				}
				if !crRestarted(t, dir) {
					t.Fatal("containerd was not restarted after config.toml changed")
				}
				crAssertConfig(t, cfg, tc.before, certs, tc.table...)
				if strings.Contains(tc.before, "#") && !strings.Contains(crRead(t, cfg), "# the pause image") {
					t.Fatalf("comments lost:\n%s", crRead(t, cfg))
				}
				if tc.before != "" {
					if fi, _ := os.Stat(cfg); fi.Mode().Perm() != 0o600 {
						t.Fatalf("config mode changed to %v", fi.Mode())
					}
				}
				id := crStatID(t, cfg)
				r = helperMustRun(t, mc, "containerd_registry", args)
				if r.Changed || r.Data["config_changed"] != false || r.Data["restarted"] != false || crRestarted(t, dir) {
					t.Fatalf("second run: %+v", r.Map())
				}
				if crStatID(t, cfg) != id {
					t.Fatal("config.toml was rewritten by an unchanged run")
				}
			})
		}
	})
}

func TestContainerdRegistryV2EditKeepsText(t *testing.T) {
	dir, certs, cfg := crSetup(t, crConfigV2)
	helperMustRun(t, helperContext(t, nil), "containerd_registry", crArgs(dir, certs, cfg, nil))
	want := strings.Replace(crConfigV2, `      config_path = ""`, "      config_path = '"+certs+"'", 1)
	if got := crRead(t, cfg); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestContainerdRegistryRestartOnlyOnConfigChange(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		dir, certs, cfg := crSetup(t, crConfigV2)
		mc := connContext(t, c, nil)
		helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{"mirrors": "https://10.0.0.1:5000"}))
		if !crRestarted(t, dir) {
			t.Fatal("no restart on first run")
		}
		r := helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{"mirrors": "https://10.0.0.2:5000"}))
		if !r.Changed || r.Data["hosts_changed"] != true || r.Data["config_changed"] != false || crRestarted(t, dir) {
			t.Fatalf("hosts.toml change restarted containerd or was not reported: %+v", r.Map())
		}
		// restart: false leaves containerd alone even when config.toml changes.
		r = helperMustRun(t, mc, "containerd_registry", crArgs(dir, filepath.Join(dir, "other.d"), cfg, map[string]any{"restart": false}))
		if r.Data["config_changed"] != true || r.Data["restarted"] != false || crRestarted(t, dir) {
			t.Fatalf("restart: false: %+v", r.Map())
		}
		// A failing restart fails the task.
		r = helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{"restart_command": "echo nope >&2; exit 3"}))
		if !r.Failed || !strings.Contains(r.Msg, "nope") {
			t.Fatalf("failed restart not reported: %+v", r.Map())
		}
	})
}

func TestContainerdRegistryCheckMode(t *testing.T) {
	caPEM, _ := tlsTestSelfSigned(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir, certs, cfg := crSetup(t, crConfigV3)
		mc := connContext(t, c, nil)
		mc.Check, mc.Diff = true, true
		args := crArgs(dir, certs, cfg, map[string]any{"mirrors": []any{"https://a:5000", "https://b:5000"}, "ca_content": caPEM})
		r := helperMustRun(t, mc, "containerd_registry", args)
		if !r.Changed || r.Data["config_changed"] != true || r.Data["hosts_changed"] != true || r.Data["restarted"] != false || len(r.Diff) != 3 {
			t.Fatalf("check mode result %+v", r.Map())
		}
		if _, err := os.Stat(certs); !os.IsNotExist(err) || crRead(t, cfg) != crConfigV3 || crRestarted(t, dir) {
			t.Fatal("check mode changed something")
		}
		if !strings.Contains(r.Diff[2].After, "config_path = '"+certs+"'") || r.Diff[2].Before != crConfigV3 {
			t.Fatalf("config diff %+v", r.Diff[2])
		}
		mc.Check = false
		real := helperMustRun(t, mc, "containerd_registry", args)
		if real.Changed != r.Changed || real.Data["config_changed"] != true || len(real.Diff) != 3 || real.Diff[1].After != r.Diff[1].After {
			t.Fatalf("real run differs from the prediction: %+v", real.Map())
		}
		mc.Check = true
		if r := helperMustRun(t, mc, "containerd_registry", args); r.Changed {
			t.Fatalf("check after the real run predicts a change: %+v", r.Map())
		}
	})
}

func TestContainerdRegistryRefusals(t *testing.T) {
	dir, certs, cfg := crSetup(t, "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m\"]\n")
	mc := helperContext(t, nil)
	if _, err := helperRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, nil)); err == nil || !strings.Contains(err.Error(), "mirrors") {
		t.Fatalf("deprecated mirrors with config_path: %v", err)
	}
	if _, err := os.Stat(certs); !os.IsNotExist(err) {
		t.Fatalf("hosts.toml was written although config.toml is refused: %v", err)
	}
	os.WriteFile(cfg, []byte("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"sea.hub:5000\".tls]\n  insecure_skip_verify = true\n"), 0o644)
	if _, err := helperRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, nil)); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Fatalf("deprecated configs.tls with config_path: %v", err)
	}
	os.WriteFile(cfg, []byte("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"sea.hub:5000\".auth]\n  username = \"u\"\n"), 0o644)
	helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, nil)) // auth alone is fine
	m, _ := modules.Lookup("containerd_registry")
	for _, bad := range []map[string]any{
		{"registry": "sea.hub/x"},
		{"registry": "sea.hub:5000", "mirrors": []any{"ftp://x"}},
		{"registry": "sea.hub:5000", "mirrors": []any{"https://x", "https://x"}},
		{"registry": "sea.hub:5000", "mirrors": []any{map[string]any{"url": "https://x", "bogus": 1}}},
		{"registry": "sea.hub:5000", "capabilities": []any{"pull", "fly"}},
		{"registry": "sea.hub:5000", "ca_file": "../x"},
		{"registry": "sea.hub:5000", "ca_content": "not a cert", "ca_src": "x"},
	} {
		if _, err := m.Spec().Bind(bad, true); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// ca_src: relative to the playbook, then its files/.
	caPEM, _ := tlsTestSelfSigned(t)
	mc.PlaybookDir = t.TempDir()
	os.MkdirAll(filepath.Join(mc.PlaybookDir, "files"), 0o755)
	os.WriteFile(filepath.Join(mc.PlaybookDir, "files", "ca.pem"), []byte(caPEM), 0o644)
	if r := helperMustRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{"ca_src": "ca.pem", "manage_config": false})); crRead(t, r.Data["ca_file"].(string)) != caPEM {
		t.Fatal("ca_src not installed")
	}
	if _, err := helperRun(t, mc, "containerd_registry", crArgs(dir, certs, cfg, map[string]any{"ca_content": "junk", "manage_config": false})); err == nil {
		t.Error("a CA that is not PEM was accepted")
	}
}
