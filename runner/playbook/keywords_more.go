package playbook

// Decoding helpers for the Ansible keywords added for issue 18's last
// slice: remote_user, vars given as a list of mappings, environment given
// as an expression, loop_control.extended and strategy.

import (
	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
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

// varsMapping reads vars: a mapping, or (as Ansible allows on plays, blocks,
// tasks and role entries) a list of mappings merged in order, a later one
// winning.
func (d *decoder) varsMapping(n *yaml.Node, key string) (map[string]any, error) {
	r := yamlnode.Resolve(n)
	if r.Kind != yaml.SequenceNode {
		return d.mapping(n, key)
	}
	out := map[string]any{}
	for _, c := range r.Content {
		if rc := yamlnode.Resolve(c); rc.Kind != yaml.MappingNode {
			return nil, errAt(d.pos(rc), "%q must be a mapping or a list of mappings, this entry is %s", key, kindName(rc))
		}
		m, err := d.mapping(c, key)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			out[k] = v
		}
	}
	return out, nil
}
