// Package yamlnode holds the goyaml.v3 node helpers the playbook parser and
// the inventory loader share.
package yamlnode

import yaml "sigs.k8s.io/yaml/goyaml.v3"

// MaxAliasDepth bounds how many aliases Resolve follows in a row. A real
// file never chains more than a few; the bound keeps a crafted node graph
// from looping.
const MaxAliasDepth = 64

// Resolve follows alias nodes to the node they point at. It returns nil for
// nil, and for a chain longer than MaxAliasDepth.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < MaxAliasDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}
