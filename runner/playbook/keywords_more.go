package playbook

// Decoding helpers for the Ansible keywords added for issue 18's last
// slice: remote_user, vars given as a list of mappings, environment given
// as an expression, loop_control.extended and strategy.

import (
	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// templatedStr reads a string keyword whose value may hold {{ }}: the
// template's syntax is checked now, so an error names the line.
func (d *decoder) templatedStr(n *yaml.Node, key string) (string, error) {
	s, err := d.str(n, key)
	if err != nil {
		return "", err
	}
	return s, d.checkTemplates(n)
}
