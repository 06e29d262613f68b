package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// sharedKeyServers starts n sshd servers that all authorize one client
// key; it returns them, the key and a known_hosts trusting all of them.
func sharedKeyServers(t *testing.T, dir string, n int, opt sshd.Options) ([]*sshd.Server, string, string) {
	t.Helper()
	key := filepath.Join(dir, "id_shared")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	opt.AuthorizedKeys = key + ".pub"
	var servers []*sshd.Server
	var kh strings.Builder
	for i := 0; i < n; i++ {
		s := sshd.Start(t, opt)
		servers = append(servers, s)
		kh.WriteString(readFile(t, s.KnownHosts))
	}
	khPath := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(khPath, []byte(kh.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return servers, key, khPath
}

// TestJumpHostOverRealSSH: a group's ansible_ssh_jump_host, and a
// ProxyJump in ~/.ssh/config (with HostName, Port, User and IdentityFile
// from there too), reach the target through the jump host: the jump's
// sshd logs the forwarded connection to the target.
func TestJumpHostOverRealSSH(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - {command: 'true'}\n"})
	servers, key, kh := sharedKeyServers(t, dir, 2, sshd.Options{LogLevel: "DEBUG1"})
	jump, target := servers[0], servers[1]
	via := fmt.Sprintf("target %s port %d", target.Host, target.Port)
	forwards := func() int { return strings.Count(jump.Log(), via) }

	inv := fmt.Sprintf("[web]\nt ansible_host=%s ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s\n"+
		"[web:vars]\nansible_ssh_jump_host=root@%s:%d\n", target.Host, target.Port, key, jump.Host, jump.Port)
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	before := forwards()
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--known-hosts", kh, "--private-key", key)
	if r.code != 0 {
		t.Fatalf("group jump var: %s\njump log:\n%s", r, jump.Log())
	}
	if forwards() == before {
		t.Errorf("the jump host did not forward to %s:\n%s", target.Addr, jump.Log())
	}

	// ~/.ssh/config (the test runs runbook with HOME=dir).
	conf := fmt.Sprintf("Host tgt\n  HostName %s\n  Port %d\n  User root\n  IdentityFile %s\n  ProxyJump root@%s:%d\n",
		target.Host, target.Port, key, jump.Host, jump.Port)
	if err := os.MkdirAll(filepath.Join(dir, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".ssh", "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte("tgt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before = forwards()
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--known-hosts", kh, "--private-key", key)
	if r.code != 0 {
		t.Fatalf("ssh_config ProxyJump: %s", r)
	}
	if forwards() == before {
		t.Errorf("ssh_config ProxyJump: the jump host did not forward to %s:\n%s", target.Addr, jump.Log())
	}
}

// TestInsecureSkipHostKeyCheckIsLoud: the flag that skips host key
// verification works and says so on stderr, naming the danger; without it
// the same unknown host is refused.
func TestInsecureSkipHostKeyCheckIsLoud(t *testing.T) {
	s := sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks: [{command: 'true'}]\n", "empty": ""})
	inv, _ := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
	if r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", "empty"); r.code != 4 {
		t.Fatalf("unknown host without the flag: %s", r)
	}
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", "empty", "--insecure-skip-host-key-check")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	if !strings.Contains(r.stderr, "--insecure-skip-host-key-check: host keys are NOT verified") ||
		!strings.Contains(r.stdout+r.stderr, "host key checking is DISABLED for a") {
		t.Errorf("the skip is not loud:\n%s", r)
	}
	if readFile(t, filepath.Join(dir, "empty")) != "" {
		t.Error("skipping verification recorded a key")
	}
}
