package inventory

import (
	"fmt"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
)

// YAML inventory, as Ansible reads it. Top-level keys are groups (usually
// just "all"); each group may hold hosts, vars and children:
//
//	all:
//	  vars: {ntp: pool.ntp.org}
//	  hosts:
//	    bastion: {ansible_host: 1.2.3.4}
//	  children:
//	    web:
//	      hosts:
//	        web[01:03].example.com:
//	      vars: {http_port: 8080}

// maxGroupDepth bounds how deeply children may nest (aliases can make a
// group contain itself).
const maxGroupDepth = 512

// yamlInventoryFits reports whether root has the shape of a YAML inventory:
// a non-empty mapping whose values are all null or mappings.
func yamlInventoryFits(root *yaml.Node) bool {
	root = yamlnode.Resolve(root)
	if root == nil || root.Kind != yaml.MappingNode || len(root.Content) == 0 {
		return false
	}
	for i := 1; i < len(root.Content); i += 2 {
		v := yamlnode.Resolve(root.Content[i])
		if !isNull(v) && (v == nil || v.Kind != yaml.MappingNode) {
			return false
		}
	}
	return true
}

type yamlInvParser struct {
	inv *Inventory
	d   *ydec
}

// parseYAMLInventory reads a YAML inventory document into inv.
func parseYAMLInventory(inv *Inventory, d *ydec, root *yaml.Node) error {
	p := &yamlInvParser{inv: inv, d: d}
	groups, err := d.mapEntries(root)
	if err != nil {
		return err
	}
	for _, e := range groups {
		if err := p.checkGroupName(e); err != nil {
			return err
		}
		if err := p.group(e.Key, e.Value, e.Key, 0); err != nil {
			return err
		}
	}
	return nil
}

func (p *yamlInvParser) checkGroupName(e entry) error {
	if e.Key == "" {
		return p.d.errf(e.KeyN, "empty group name")
	}
	return nil
}

// group reads the data of one group; path names it in error messages.
func (p *yamlInvParser) group(name string, data *yaml.Node, path string, depth int) error {
	if depth > maxGroupDepth {
		return p.d.errf(data, "%s: groups nested too deeply", path)
	}
	p.inv.addGroup(name)
	if isNull(data) {
		return nil
	}
	if r := yamlnode.Resolve(data); r == nil || r.Kind != yaml.MappingNode {
		return p.d.errf(data, "%s: group must be a mapping with hosts, vars or children, got %s", path, kindName(r))
	}
	es, err := p.d.mapEntries(data)
	if err != nil {
		return err
	}
	for _, e := range es {
		var err error
		switch e.Key {
		case "vars":
			err = p.vars(e.Value, path+".vars", p.inv.groups[name].pub.Vars)
		case "hosts":
			err = p.hosts(name, e.Value, path+".hosts")
		case "children":
			err = p.children(name, e.Value, path+".children", depth)
		default:
			p.inv.Warnings = append(p.inv.Warnings, nodeErr(p.d.file, e.KeyN,
				"%s: skipping unexpected key %q (only hosts, vars and children are valid)", path, e.Key).Error())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// vars reads a mapping of variables into dst.
func (p *yamlInvParser) vars(n *yaml.Node, path string, dst map[string]any) error {
	if isNull(n) {
		return nil
	}
	if r := yamlnode.Resolve(n); r == nil || r.Kind != yaml.MappingNode {
		return p.d.errf(n, "%s must be a mapping, got %s", path, kindName(r))
	}
	es, err := p.d.mapEntries(n)
	if err != nil {
		return err
	}
	for _, e := range es {
		v, err := p.d.toValue(e.Value)
		if err != nil {
			return err
		}
		if err := checkPortVar(e.Key, v); err != nil {
			return p.d.errf(e.Value, "%s: %v", path, err)
		}
		dst[e.Key] = v
	}
	return nil
}

func (p *yamlInvParser) hosts(grp string, n *yaml.Node, path string) error {
	if isNull(n) {
		return nil
	}
	if r := yamlnode.Resolve(n); r == nil || r.Kind != yaml.MappingNode {
		return p.d.errf(n, "%s must be a mapping of host names, got %s", path, kindName(r))
	}
	es, err := p.d.mapEntries(n)
	if err != nil {
		return err
	}
	for _, e := range es {
		names, port, err := parseHostEntry(e.Key)
		if err == nil {
			err = p.inv.roomFor(len(names))
		}
		if err != nil {
			return p.d.errf(e.KeyN, "%s: host %v", path, err)
		}
		vars := map[string]any{}
		if port != 0 {
			vars["ansible_port"] = port
		}
		if err := p.vars(e.Value, fmt.Sprintf("%s[%q]", path, e.Key), vars); err != nil {
			return err
		}
		for _, h := range names {
			p.inv.addHostToGroup(h, grp)
			hv := p.inv.hosts[h].Vars
			for k, v := range vars {
				hv[k] = deepCopy(v)
			}
		}
	}
	return nil
}

func (p *yamlInvParser) children(parent string, n *yaml.Node, path string, depth int) error {
	if isNull(n) {
		return nil
	}
	if r := yamlnode.Resolve(n); r == nil || r.Kind != yaml.MappingNode {
		return p.d.errf(n, "%s must be a mapping of group names, got %s", path, kindName(r))
	}
	es, err := p.d.mapEntries(n)
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := p.checkGroupName(e); err != nil {
			return err
		}
		if err := p.inv.addChild(parent, e.Key); err != nil {
			return p.d.errf(e.KeyN, "%s: %v", path, err)
		}
		if err := p.group(e.Key, e.Value, path+"."+e.Key, depth+1); err != nil {
			return err
		}
	}
	return nil
}
