package ansiblecfg

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	text := `# comment
; another
[defaults]
inventory = hosts.ini, /abs/inv ; where the hosts are
roles_path: roles:/shared/roles
remote_user = deploy
private_key_file = ~/.ssh/id_deploy
HOST_KEY_CHECKING = False
timeout = 30
forks = 20
gathering = smart
callbacks_enabled = timer,
  profile_tasks

[privilege_escalation]
become = True
become_user = admin
become_method = sudo

[ssh_connection]
pipelining = True
`
	c, err := Parse("/etc/cfg/ansible.cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	tr := true
	fa := false
	want := &Config{
		Path: "/etc/cfg/ansible.cfg", Inventory: []string{"/etc/cfg/hosts.ini", "/abs/inv"},
		RolesPath: []string{"/etc/cfg/roles", "/shared/roles"}, RemoteUser: "deploy",
		PrivateKeyFile: filepath.Join(home, ".ssh/id_deploy"), HostKeyChecking: &fa,
		Timeout: 30 * time.Second, Forks: 20, Become: &tr, BecomeUser: "admin",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", c, want)
	}
}

// TestParseErrors: a value runbook cannot use, or a malformed file, is an
// error naming the file and line.
func TestParseErrors(t *testing.T) {
	for text, want := range map[string]string{
		"[defaults]\nforks = many\n":                   `a.cfg:2: forks: expected a whole number of at least 1, got "many"`,
		"[defaults]\n\ntimeout = 0\n":                  `a.cfg:3: timeout: expected a positive number of seconds`,
		"[defaults]\nhost_key_checking = maybe\n":      `a.cfg:2: host_key_checking: expected a boolean`,
		"[privilege_escalation]\nbecome = sometimes\n": `a.cfg:2: become: expected a boolean`,
		"[privilege_escalation]\nbecome_method = su\n": `a.cfg:2: become_method: runbook becomes with sudo only, got "su"`,
		"forks = 3\n":                         `a.cfg:1: a key before any [section] header`,
		"[defaults]\nforks = 3\nforks = 4\n":  `a.cfg:3: forks is set twice in its section (also on line 2)`,
		"[defaults\n":                         `a.cfg:1: a section header must end with ]`,
		"[defaults]\njust words\n":            `a.cfg:2: expected key = value`,
		"[defaults]\nforks = 2\n[defaults]\n": `a.cfg:3: section [defaults] appears twice`,
		"[other]\nx = 1\n[privilege_escalation]\nbecome_user = a\n  b = c\nbecome = x\n": `a.cfg:6: become: expected a boolean`,
	} {
		_, err := Parse("a.cfg", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", text, err, want)
		}
	}
}

// TestFind: ANSIBLE_CONFIG, then ./ansible.cfg, then ~/.ansible.cfg; the
// first that exists wins, and ./ansible.cfg in a world-writable directory
// is skipped with a warning.
func TestFind(t *testing.T) {
	home, cwd := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Chdir(cwd)
	t.Setenv("ANSIBLE_CONFIG", "")
	os.Unsetenv("ANSIBLE_CONFIG")
	if p, _ := Find(); p != "" && p != "/etc/ansible/ansible.cfg" {
		t.Errorf("no file: Find = %q", p)
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("[defaults]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, ".ansible.cfg"))
	if p, _ := Find(); p != filepath.Join(home, ".ansible.cfg") {
		t.Errorf("home: Find = %q", p)
	}
	write(filepath.Join(cwd, "ansible.cfg"))
	if p, _ := Find(); p != filepath.Join(cwd, "ansible.cfg") {
		t.Errorf("cwd: Find = %q", p)
	}
	envDir := t.TempDir()
	write(filepath.Join(envDir, "ansible.cfg"))
	t.Setenv("ANSIBLE_CONFIG", envDir) // a directory: its ansible.cfg
	if p, _ := Find(); p != filepath.Join(envDir, "ansible.cfg") {
		t.Errorf("ANSIBLE_CONFIG: Find = %q", p)
	}
	os.Unsetenv("ANSIBLE_CONFIG")
	if err := os.Chmod(cwd, 0o777); err != nil {
		t.Fatal(err)
	}
	if p, warning := Find(); p != filepath.Join(home, ".ansible.cfg") || !strings.Contains(warning, "world writable") {
		t.Errorf("world-writable cwd: Find = %q, %q", p, warning)
	}
}
