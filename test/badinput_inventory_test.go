package test

import (
	"strings"
	"testing"
)

// TestBadInputInventoryPort: a literal ansible_port that is not a port (INI
// host line, INI [group:vars], YAML host vars) is an inventory error at its
// file:line (exit 3) before anything runs; it used to make the host
// unreachable (exit 4) with no file named. A {{ }} value is left for later.
func TestBadInputInventoryPort(t *testing.T) {
	args := []string{"play", "site.yaml", "-i", "inv"}
	cases := []errorCase{
		{"INI host line", map[string]string{"site.yaml": okPlay, "inv": "[web]\nh1 ansible_connection=local\nh2 ansible_port=abc\n"},
			args, 3, []string{"inv:3: [web] host h2: ansible_port: invalid port \"abc\""}},
		{"INI out of range", map[string]string{"site.yaml": okPlay, "inv": "[web]\nh1 ansible_port=99999\n"},
			args, 3, []string{"inv:2:", "ansible_port: port 99999 out of range 1-65535"}},
		{"INI group vars", map[string]string{"site.yaml": okPlay, "inv": "[web]\nh1\n[web:vars]\nansible_ssh_port=22x\n"},
			args, 3, []string{"inv:4: [web:vars] ansible_ssh_port: invalid port \"22x\""}},
		{"YAML host vars", map[string]string{"site.yaml": okPlay, "inv": "web:\n  hosts:\n    h1: {ansible_port: [22]}\n"},
			args, 3, []string{"inv:3:24:", `web.hosts["h1"]: ansible_port: not a port number`}},
		{"Clusterfile ssh port", map[string]string{"site.yaml": okPlay,
			"inv": "apiVersion: sealer.io/v2\nkind: Cluster\nmetadata: {name: c}\nspec:\n  ssh: {port: '70000'}\n  hosts: [{ips: [127.0.0.9], roles: [master]}]\n"},
			args, 3, []string{"inv:5:", "spec.ssh.port port 70000 out of range"}},
	}
	runErrorCases(t, cases, func(t *testing.T, r result) {
		if strings.Contains(r.stdout, "PLAY [") {
			t.Errorf("a play started with an invalid inventory\n%s", r)
		}
	})
	dir := workdir(t, map[string]string{"site.yaml": okPlay, "inv": "[web]\nh1 ansible_connection=local ansible_port=\"{{ p }}\"\nh2 ansible_connection=local ansible_port=2222\n"})
	if r := runbook(t, dir, args...); r.code != 0 {
		t.Errorf("a templated or valid port was refused: exit %d\n%s", r.code, r)
	}
}
