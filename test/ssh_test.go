package test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/test/sshd"
)

// sshInventory writes an INI inventory for servers (root by key) and a
// known_hosts trusting all of them; it returns the inventory path and the
// known_hosts path.
func sshInventory(t *testing.T, dir string, servers map[string]*sshd.Server, extra string) (string, string) {
	t.Helper()
	var inv, kh strings.Builder
	inv.WriteString("[web]\n")
	for name, s := range servers {
		fmt.Fprintf(&inv, "%s ansible_host=%s ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s %s\n", name, s.Host, s.Port, s.KeyPath, extra)
		b, err := os.ReadFile(s.KnownHosts)
		if err != nil {
			t.Fatal(err)
		}
		kh.Write(b)
	}
	invPath, khPath := filepath.Join(dir, "hosts"), filepath.Join(dir, "known_hosts")
	for p, c := range map[string]string{invPath: inv.String(), khPath: kh.String()} {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return invPath, khPath
}

func TestPlayOverRealSSH(t *testing.T) {
	a, b := sshd.Start(t, sshd.Options{}), sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: web
  tasks:
    - name: who
      command: id -u
      register: who
    - name: write
      shell: "echo {{ inventory_hostname }} > $DIR/out-{{ inventory_hostname }}"
    - name: show
      debug: {msg: "{{ who.stdout }} {{ ansible_system }}"}
`})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": a, "b": b}, "")
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if r.code != 0 {
		t.Fatal(r)
	}
	mustContain(t, r, `"msg": "0 Linux"`, "a                          : ok=4    changed=2")
	for _, h := range []string{"a", "b"} {
		if got, _ := os.ReadFile(filepath.Join(dir, "out-"+h)); strings.TrimSpace(string(got)) != h {
			t.Errorf("host %s wrote %q", h, got)
		}
	}
}

func TestHostKeyPolicy(t *testing.T) {
	s := sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: web\n  gather_facts: false\n  tasks: [{command: 'true'}]\n"})
	inv, _ := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
	empty := filepath.Join(dir, "empty_known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", empty)
	if r.code != 4 {
		t.Fatalf("unknown host key: exit %d, want 4\n%s", r.code, r)
	}
	mustContain(t, r, "UNREACHABLE!", "ssh-ed25519", "SHA256:", "--accept-new-host-keys")
	r = runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", empty, "--accept-new-host-keys")
	if r.code != 0 {
		t.Fatalf("accept-new: %s", r)
	}
	recorded, _ := os.ReadFile(empty)
	if !strings.Contains(string(recorded), "ssh-ed25519") {
		t.Fatalf("key not recorded: %q", recorded)
	}
	if r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", empty); r.code != 0 {
		t.Errorf("recorded key should now be trusted: %s", r)
	}
	// A changed key is refused even with --accept-new-host-keys.
	other := sshd.Start(t, sshd.Options{})
	forged := strings.Replace(string(recorded), strings.Fields(string(recorded))[2], strings.Fields(readFile(t, other.KnownHosts))[2], 1)
	if err := os.WriteFile(empty, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", empty, "--accept-new-host-keys")
	if r.code != 4 || !strings.Contains(strings.ToLower(r.stdout+r.stderr), "changed") {
		t.Errorf("changed key must be refused: %s", r)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSSHDKilledMidPlayIsUnreachable(t *testing.T) {
	a, b := sshd.Start(t, sshd.Options{}), sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: web
  gather_facts: false
  tasks:
    - name: first
      shell: "touch $DIR/started-{{ inventory_hostname }}; sleep 2"
    - name: second
      command: "true"
`})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": a, "b": b}, "")
	cmd := exec.Command(bin, "play", "site.yaml", "-i", inv, "--known-hosts", kh, "--timeout", "2s")
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(dir, "started-a"), 20*time.Second)
	killedAt := time.Now()
	a.Kill()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("runbook hung after the host died:\n%s", out.String())
	}
	if took := time.Since(killedAt); took > 15*time.Second {
		t.Errorf("took %v to finish after the kill", took)
	}
	s := out.String()
	if cmd.ProcessState.ExitCode() != 4 || !strings.Contains(s, "fatal: [a]: UNREACHABLE!") {
		t.Errorf("exit %d, want 4 with a UNREACHABLE:\n%s", cmd.ProcessState.ExitCode(), s)
	}
	if !strings.Contains(s, "changed: [b]") || !strings.Contains(s, "TASK [second]") {
		t.Errorf("the surviving host should carry on:\n%s", s)
	}
}

func waitFile(t *testing.T, p string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(p); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", p, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSilentListenerTimesOut(t *testing.T) {
	sshd.Require(t)
	ln, err := net.Listen("tcp", "127.0.11.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open and say nothing
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := workdir(t, map[string]string{
		"hosts":     fmt.Sprintf("silent ansible_host=127.0.11.1 ansible_port=%d ansible_user=root\n", port),
		"site.yaml": "- hosts: all\n  gather_facts: false\n  tasks: [{command: 'true'}]\n",
	})
	start := time.Now()
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--timeout", "1s", "--known-hosts", filepath.Join(dir, "kh"))
	if r.code != 4 || !strings.Contains(r.stdout, "UNREACHABLE!") {
		t.Errorf("silent listener: %s", r)
	}
	mustContain(t, r, "no answer within 1s (is an SSH server on that port? check ansible_port)")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v with --timeout 1s", took)
	}
}

func TestSSHSecretsNeverPrinted(t *testing.T) {
	// A passphrase-protected key: the passphrase travels through the
	// inventory, the SSH layer and -vvvv output, and must show nowhere.
	const passphrase = "Ph4sePassphrase"
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: web
  tasks:
    - {name: echo, shell: "echo {{ ansible_ssh_private_key_passphrase }}", register: r}
    - {name: show, debug: {var: r}}
`})
	key := filepath.Join(dir, "id_enc")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: key + ".pub"})
	s.KeyPath = key
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "ansible_ssh_private_key_passphrase="+passphrase+" ansible_password=N0tUsedPassword")
	for _, output := range []string{"text", "json"} {
		r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh, "-vvvv", "--output", output)
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		if output == "text" && (!strings.Contains(r.stdout, "<a> CONNECT ssh root@") || !strings.Contains(r.stdout, "<a> EXEC ")) {
			t.Errorf("-vvvv should trace the connection and commands:\n%s", r.stdout)
		}
		for _, secret := range []string{passphrase, "N0tUsedPassword"} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("%s output contains %q:\n%s", output, secret, r)
			}
		}
	}
}
