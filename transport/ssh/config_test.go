package ssh

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigFromVars(t *testing.T) {
	t.Parallel()
	defaults := Config{User: "deploy", KeyFiles: []string{"/default/key"}, Timeout: 5 * time.Second, AcceptNewHostKeys: true}
	cfg, err := ConfigFromVars("web1", map[string]any{
		"ansible_host":                       "10.0.0.5",
		"ansible_port":                       "2222",
		"ansible_user":                       "admin",
		"ansible_ssh_pass":                   "pw",
		"ansible_ssh_private_key_file":       []any{"/k1", "/k2"},
		"ansible_ssh_private_key_passphrase": "phrase",
		"ansible_ssh_common_args":            "-o StrictHostKeyChecking=no -o 'ProxyJump=jumper@bastion:2200'",
		"ansible_become_pass":                "sudo",
		"unrelated":                          42,
	}, defaults)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Name: "web1", Addr: "10.0.0.5", Port: 2222, User: "admin", Password: "pw",
		KeyFiles: []string{"/k1", "/k2"}, KeyPassphrase: "phrase", JumpHost: "jumper@bastion:2200",
		BecomePassword: "sudo", Timeout: 5 * time.Second, AcceptNewHostKeys: true}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}
	if defaults.KeyFiles[0] != "/default/key" {
		t.Fatal("defaults modified")
	}

	cfg, err = ConfigFromVars("db", map[string]any{"ansible_port": 22.0, "ansible_password": "a",
		"ansible_ssh_pass": "b", "ansible_become_password": "c", "ansible_ssh_jump_host": "j",
		"ansible_ssh_common_args": "-J other", "ansible_timeout": 7, "ansible_host_key_checking": false}, defaults)
	if err != nil || cfg.Port != 22 || cfg.Password != "a" || cfg.BecomePassword != "c" || cfg.JumpHost != "j" ||
		cfg.Addr != "" || cfg.KeyFiles[0] != "/default/key" || cfg.Timeout != 7*time.Second || !cfg.InsecureSkipHostKeyCheck {
		t.Fatalf("got %+v %v", cfg, err)
	}
}

func TestConfigFromVarsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars map[string]any
		want string
	}{
		{map[string]any{"ansible_port": true}, "variable ansible_port: expected an integer, got bool"},
		{map[string]any{"ansible_port": "ssh"}, `variable ansible_port: expected an integer, got "ssh"`},
		{map[string]any{"ansible_port": 70000}, "variable ansible_port: port 70000 out of range"},
		{map[string]any{"ansible_password": 123456789}, "variable ansible_password: expected a string, got int"},
		{map[string]any{"ansible_ssh_private_key_file": []any{"/a", 3}}, "variable ansible_ssh_private_key_file: element 1"},
		{map[string]any{"ansible_host_key_checking": "maybe"}, "variable ansible_host_key_checking: expected a boolean"},
	} {
		_, err := ConfigFromVars("h1", tc.vars, Config{})
		if err == nil || !strings.Contains(err.Error(), "host h1: "+tc.want) {
			t.Errorf("%v: got %v, want %q", tc.vars, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "123456789") {
			t.Errorf("a password value leaked: %v", err)
		}
	}
}

func TestJumpFromArgs(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"-J bastion":                          "bastion",
		"-Juser@bastion:22":                   "user@bastion:22",
		"-o ProxyJump=b1 -o Foo=bar":          "b1",
		"-oProxyJump=b2":                      "b2",
		`-o "ProxyJump b3"`:                   "b3",
		"-o proxyjump=b4":                     "b4",
		"-o ProxyCommand='ssh -W %h:%p j' -v": "",
		"":                                    "",
	} {
		if got := sshArgOption(args, "ProxyJump"); got != want {
			t.Errorf("%q: got %q want %q", args, got, want)
		}
	}
}

func TestProxyCommandFromArgs(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"-o ProxyCommand='ssh -W %h:%p j' -v":            "ssh -W %h:%p j",
		`-o "ProxyCommand ssh -o Port=2 -W %h:%p j"`:     "ssh -o Port=2 -W %h:%p j",
		`-oproxycommand="nc %h %p"`:                      "nc %h %p",
		`-o "ProxyCommand = nc %h %p" -o ProxyCommand=x`: "nc %h %p",
		"-J bastion": "",
	} {
		if got := sshArgOption(args, "ProxyCommand"); got != want {
			t.Errorf("%q: got %q want %q", args, got, want)
		}
	}
	cfg, err := ConfigFromVars("h", map[string]any{"ansible_ssh_common_args": `-o ProxyCommand="ssh -W %h:%p jump"`}, Config{})
	if err != nil || cfg.ProxyCommand != "ssh -W %h:%p jump" {
		t.Fatalf("ConfigFromVars: %q %v", cfg.ProxyCommand, err)
	}
}

func TestParseJump(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][3]any{
		"host":              {"", "host", 0},
		"u@host":            {"u", "host", 0},
		"u@host:2200":       {"u", "host", 2200},
		"[::1]:2200":        {"", "::1", 2200},
		"me@corp@host:2200": {"me@corp", "host", 2200},
	} {
		u, h, p, err := parseJump(in)
		if err != nil || u != want[0] || h != want[1] || p != want[2] {
			t.Errorf("%q: got %q %q %d %v", in, u, h, p, err)
		}
	}
	for _, bad := range []string{"host:x", "u@:22", "u@"} {
		if _, _, _, err := parseJump(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := resolve(Config{Addr: "t", JumpHost: "a,b"}); err == nil || !strings.Contains(err.Error(), "chains") {
		t.Errorf("jump chain: %v", err)
	}
}

func TestResolveSSHConfig(t *testing.T) {
	t.Parallel()
	sc := filepath.Join(t.TempDir(), "config")
	writeFile(t, sc, `Host web*
  HostName %h.example.com
  User cfguser
  IdentityFile ~/.ssh/web_%h
  ProxyJump bastion
Host bastion
  HostName 192.0.2.1
  Port 2201
  User jumpuser
Host *
  Port 2222
`)
	r, err := resolve(Config{Name: "web1", Addr: "web7", SSHConfigFile: sc, KeyFiles: nil})
	if err != nil {
		t.Fatal(err)
	}
	tg, j := r.target, r.jump
	if tg.host != "web7.example.com" || tg.port != 2222 || tg.user != "cfguser" || tg.name != "web1" ||
		!reflect.DeepEqual(tg.keyFiles, []string{filepath.Join(testHome, ".ssh", "web_web7")}) {
		t.Fatalf("target %+v", tg)
	}
	if j == nil || j.host != "192.0.2.1" || j.port != 2201 || j.user != "jumpuser" || j.password != "" ||
		!reflect.DeepEqual(j.keyFiles, tg.keyFiles) {
		t.Fatalf("jump %+v", j)
	}
	// Explicit values win; no IdentityFile means the default key names.
	r, err = resolve(Config{Addr: "db1", Port: 22, User: "me", JumpHost: "none", SSHConfigFile: sc, Password: "x"})
	if err != nil || r.target.port != 22 || r.target.user != "me" || r.jump != nil || len(r.target.keyFiles) != 3 {
		t.Fatalf("%+v %v", r.target, err)
	}
	if _, err := resolve(Config{Addr: "x", SSHConfigFile: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("an explicit missing ssh_config must be an error")
	}
}
