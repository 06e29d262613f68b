package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestProxyCommandOverRealSSH: `-o ProxyCommand="ssh -W %h:%p jump"` in
// ansible_ssh_common_args carries the connection through the jump host
// (real OpenSSH on both ends, the jump's sshd logs the forward); a
// ProxyCommand that cannot work makes the host unreachable with its
// message, never reached directly instead.
func TestProxyCommandOverRealSSH(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - {command: 'true'}\n"})
	servers, key, kh := sharedKeyServers(t, dir, 2, sshd.Options{LogLevel: "DEBUG1"})
	jump, target := servers[0], servers[1]
	via := fmt.Sprintf("target %s port %d", target.Host, target.Port)
	forwards := func() int { return strings.Count(jump.Log(), via) }
	inventory := func(jumpPort int) {
		proxy := fmt.Sprintf("ssh -F /dev/null -i %s -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null "+
			"-o StrictHostKeyChecking=yes -o BatchMode=yes -p %d -W %%h:%%p root@%s", key, kh, jumpPort, jump.Host)
		inv := fmt.Sprintf("[web]\nt ansible_host=%s ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s "+
			"ansible_ssh_common_args='-o ProxyCommand=\"%s\"'\n", target.Host, target.Port, key, proxy)
		if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(inv), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	inventory(jump.Port)
	before := forwards()
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--known-hosts", kh)
	if r.code != 0 {
		t.Fatalf("%s\njump log:\n%s", r, jump.Log())
	}
	if forwards() == before {
		t.Errorf("the connection did not go through the ProxyCommand's jump host:\n%s", jump.Log())
	}

	// The jump host's port is wrong: the ProxyCommand fails, loudly.
	inventory(1)
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--known-hosts", kh)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4 (unreachable)\n%s", r.code, r)
	}
	mustContain(t, r, "UNREACHABLE", "through its ProxyCommand", "exit status 255", "port 1")
}
