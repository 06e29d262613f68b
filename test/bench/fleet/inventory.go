package fleet

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Spec describes a running fleet to another process (cmd/fleet writes it,
// the benchmark driver reads it).
type Spec struct {
	Pid        int    `json:"pid"`
	KeyPath    string `json:"key_path"`
	KnownHosts string `json:"known_hosts"`
	Hosts      []Host `json:"hosts"`
}

// Spec returns the fleet's description.
func (f *Fleet) Spec() Spec {
	return Spec{Pid: os.Getpid(), KeyPath: f.KeyPath, KnownHosts: f.KnownHosts, Hosts: f.Hosts}
}

// WriteSpec writes s as JSON to path.
func WriteSpec(path string, s Spec) error {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// ReadSpec reads a Spec written by WriteSpec.
func ReadSpec(path string) (Spec, error) {
	var s Spec
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// KnownHostsFor is a known_hosts file trusting the first n hosts only, as
// an operator's file for a fleet of n hosts would be.
func (s Spec) KnownHostsFor(n int) string {
	var b strings.Builder
	for _, h := range s.Hosts[:min(n, len(s.Hosts))] {
		b.WriteString(h.KnownHosts)
	}
	return b.String()
}

// Inventory renders an INI inventory of the first n hosts in group
// "fleet", readable by runbook and ansible-playbook alike: root by key,
// and a `sandbox` variable per host. groupVars are extra "k=v" lines for
// [fleet:vars].
func (s Spec) Inventory(n int, groupVars ...string) string {
	n = min(n, len(s.Hosts))
	var b strings.Builder
	b.WriteString("[fleet]\n")
	for _, h := range s.Hosts[:n] {
		fmt.Fprintf(&b, "%s ansible_host=%s ansible_port=%d sandbox=%s\n", h.Name, h.IP, h.Port, h.Sandbox)
	}
	fmt.Fprintf(&b, "\n[fleet:vars]\nansible_user=root\nansible_ssh_private_key_file=%s\n", s.KeyPath)
	for _, v := range groupVars {
		b.WriteString(v + "\n")
	}
	return b.String()
}
