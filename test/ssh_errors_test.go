package test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// TestSSHErrorsSayWhatToDo: every way a real OpenSSH host can be out of
// reach is exit code 4, names the host, and says what to check or run.
func TestSSHErrorsSayWhatToDo(t *testing.T) {
	s, other := sshd.Start(t, sshd.Options{}), sshd.Start(t, sshd.Options{})
	closed := closedPort(t)
	site := "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: probe\n      command: 'true'\n"
	host := func(vars string) string {
		return fmt.Sprintf("h ansible_host=%s ansible_port=%d ansible_user=root %s\n", s.Host, s.Port, vars)
	}
	changed := strings.Replace(readFile(t, s.KnownHosts), strings.Fields(readFile(t, s.KnownHosts))[2], strings.Fields(readFile(t, other.KnownHosts))[2], 1)
	cases := []struct {
		name, inventory, knownHosts string
		want                        []string
	}{
		{"key not authorized", host("ansible_ssh_private_key_file=" + other.KeyPath), "",
			[]string{"authentication failed for root@" + s.Addr, "no password was configured",
				"check ansible_user, ansible_ssh_private_key_file or ansible_password of h in the inventory (or -u, --private-key)"}},
		{"key file missing", host("ansible_ssh_private_key_file=$DIR/no-such-key"), "",
			[]string{"authentication failed for root@" + s.Addr, "no-such-key: no such file or directory", "ansible_ssh_private_key_file"}},
		{"connection refused", fmt.Sprintf("h ansible_host=127.0.11.1 ansible_port=%d ansible_user=root\n", closed), "",
			[]string{fmt.Sprintf("connecting to 127.0.11.1:%d", closed), "connection refused", "is sshd listening there? check ansible_host and ansible_port"}},
		{"unknown host key", host("ansible_ssh_private_key_file=" + s.KeyPath), "\n",
			[]string{"the host is unknown", "SHA256:", "re-run with --accept-new-host-keys"}},
		{"changed host key", host("ansible_ssh_private_key_file=" + s.KeyPath), changed,
			[]string{"REMOTE HOST IDENTIFICATION HAS CHANGED for h", "--accept-new-host-keys does not override this",
				fmt.Sprintf("ssh-keygen -R '[%s]:%d' -f known_hosts", s.Host, s.Port)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kh := tc.knownHosts
			if kh == "" {
				kh = readFile(t, s.KnownHosts)
			}
			dir := workdir(t, map[string]string{"site.yaml": site, "hosts": tc.inventory, "known_hosts": kh})
			r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--known-hosts", "known_hosts", "-T", "3s")
			if r.code != 4 {
				t.Errorf("exit %d, want 4\n%s", r.code, r)
			}
			mustContain(t, r, append([]string{"fatal: [h]: UNREACHABLE!", "host h unreachable"}, tc.want...)...)

			// ignore_unreachable is for hosts that are down: only the
			// refused connection is ignored (exit 0); a host that answered
			// and refused the session is never ignored (exit 4).
			ignoring := strings.Replace(site, "gather_facts: false\n", "gather_facts: false\n  ignore_unreachable: true\n", 1)
			if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(ignoring), 0o644); err != nil {
				t.Fatal(err)
			}
			r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--known-hosts", "known_hosts", "-T", "3s")
			down := tc.name == "connection refused"
			if down && (r.code != 0 || !strings.Contains(r.stdout, "ignored=1")) {
				t.Errorf("a host that is down, with ignore_unreachable: exit %d, want 0 and ignored=1\n%s", r.code, r)
			}
			if !down && (r.code != 4 || strings.Contains(r.stdout, "ignored=1") || !strings.Contains(r.stdout, "unreachable=1")) {
				t.Errorf("a host that answered and refused must not be ignored: exit %d, want 4\n%s", r.code, r)
			}
		})
	}
}

// closedPort returns a port on 127.0.11.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.11.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
