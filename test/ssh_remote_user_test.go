package test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestRemoteUserOverRealSSH: through real OpenSSH, a play's remote_user
// logs in as root, a task's remote_user as the test user, and a host whose
// inventory sets ansible_user keeps it whatever the keywords say (Ansible:
// connection variables beat keywords).
func TestRemoteUserOverRealSSH(t *testing.T) {
	u := sshd.SudoUser(t, becomeUser)
	s := sshd.Start(t, sshd.Options{Users: []string{"root", becomeUser}})
	dir := workdir(t, map[string]string{"site.yaml": fmt.Sprintf(`
- hosts: web
  gather_facts: false
  remote_user: root
  tasks:
    - {name: as play user, command: id -un, register: p}
    - {name: as task user, command: id -un, register: q, remote_user: %s}
    - debug: {msg: "login={{ p.stdout }}/{{ q.stdout }}"}
`, u.Name)})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": s, "pinned": s}, "")
	// a: no ansible_user, the keywords decide; pinned: the inventory's
	// ansible_user=root wins over the task's remote_user.
	text := readFile(t, inv)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "a ") {
			lines[i] = strings.Replace(l, "ansible_user=root ", "", 1)
		}
	}
	if err := os.WriteFile(inv, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, "ok: [a] => {\n    \"msg\": \"login=root/"+u.Name+"\"", "ok: [pinned] => {\n    \"msg\": \"login=root/root\"")
}

// TestResetConnectionOverRealSSH: after meta: reset_connection the next
// task runs over a new SSH connection (another client port in
// SSH_CONNECTION); without it the connection is reused.
func TestResetConnectionOverRealSSH(t *testing.T) {
	s := sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: web
  gather_facts: false
  tasks:
    - {command: sh -c 'echo $SSH_CONNECTION', register: one}
    - {command: sh -c 'echo $SSH_CONNECTION', register: two}
    - meta: reset_connection
    - {command: sh -c 'echo $SSH_CONNECTION', register: three}
    - assert:
        that: [one.stdout == two.stdout, two.stdout != three.stdout]
`})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": s}, "")
	r := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, "a                          : ok=4")
}
