package inventory

import (
	"fmt"
	"math"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/maporder"
	"github.com/runbook-dev/runbook/internal/yamlnode"
)

// maxAliasDepth bounds alias and merge-key chains; maxNodeVisits bounds how
// many nodes the reading of one file may visit, and maxAliasVisits how many of
// those may be reached through aliases or merge keys. A real inventory reuses
// an anchor a few hundred times; an alias bomb multiplies it exponentially and
// its expanded values would then be copied into every host's vars, so it ends
// in an error long before it costs seconds.
const (
	maxAliasDepth  = yamlnode.MaxAliasDepth
	maxNodeVisits  = 4 << 20
	maxAliasVisits = 1 << 15
)

// ydec reads the nodes of one YAML file. It carries the file name for errors
// and the visit budget shared by every read of that file.
type ydec struct {
	file        string
	budget      int
	aliasBudget int
}

func newYdec(file string) *ydec {
	return &ydec{file: file, budget: maxNodeVisits, aliasBudget: maxAliasVisits}
}

// errf builds an *Error positioned at n.
func (d *ydec) errf(n *yaml.Node, format string, args ...any) error {
	return nodeErr(d.file, n, format, args...)
}

// spend takes one visit from the budget.
func (d *ydec) spend(n *yaml.Node) error {
	d.budget--
	if d.budget < 0 {
		return d.errf(n, "document too large after alias expansion")
	}
	return nil
}

// spendAliased takes one visit from both budgets, for a node reached through
// an alias or a merge key.
func (d *ydec) spendAliased(n *yaml.Node) error {
	d.aliasBudget--
	if d.aliasBudget < 0 {
		return d.errf(n, "too many values reached through aliases (more than %d); an alias bomb?", maxAliasVisits)
	}
	return d.spend(n)
}

// docRoot returns the content node of a document node, or nil when empty.
func docRoot(doc *yaml.Node) *yaml.Node {
	if doc == nil {
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return yamlnode.Resolve(doc.Content[0])
	}
	return yamlnode.Resolve(doc)
}

// isNull reports whether n is absent or an explicit null.
func isNull(n *yaml.Node) bool {
	n = yamlnode.Resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// kindName names the kind of n for error messages.
func kindName(n *yaml.Node) string {
	n = yamlnode.Resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	default:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
}

// entry is one key/value pair of a mapping.
type entry struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// mapEntries lists the pairs of mapping n in order, expanding merge keys
// ("<<"); explicit keys win over merged ones, later keys over earlier ones.
func (d *ydec) mapEntries(n *yaml.Node) ([]entry, error) {
	return d.mapEntriesDepth(n, 0, false)
}

func (d *ydec) mapEntriesDepth(orig *yaml.Node, depth int, aliased bool) ([]entry, error) {
	aliased = aliased || depth > 0 || (orig != nil && orig.Kind == yaml.AliasNode)
	n := yamlnode.Resolve(orig)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, d.errf(orig, "expected a mapping, got %s", kindName(n))
	}
	if depth > maxAliasDepth {
		return nil, d.errf(orig, "merge keys nested too deeply")
	}
	var merged, own []entry
	spend := d.spend
	if aliased {
		spend = d.spendAliased
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := spend(n.Content[i]); err != nil {
			return nil, err
		}
		k, v := yamlnode.Resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, d.errf(n.Content[i], "mapping keys must be scalars, got %s", kindName(k))
		}
		if k.ShortTag() == "!!merge" {
			srcs := []*yaml.Node{v}
			if rv := yamlnode.Resolve(v); rv != nil && rv.Kind == yaml.SequenceNode {
				srcs = rv.Content
			}
			for _, s := range srcs {
				es, err := d.mapEntriesDepth(s, depth+1, aliased)
				if err != nil {
					return nil, err
				}
				merged = append(merged, es...)
			}
			continue
		}
		own = append(own, entry{Key: k.Value, KeyN: k, Value: v})
	}
	if len(merged) == 0 {
		return dedupEntries(own), nil
	}
	return dedupEntries(append(merged, own...)), nil
}

// dedupEntries keeps the last occurrence of each key, at the position of its
// first occurrence.
func dedupEntries(es []entry) []entry {
	idx := make(map[string]int, len(es))
	out := es[:0:0]
	for _, e := range es {
		if i, ok := idx[e.Key]; ok {
			out[i] = e
			continue
		}
		idx[e.Key] = len(out)
		out = append(out, e)
	}
	return out
}

// toValue converts a YAML node into plain Go values: map[string]any, []any,
// string, int, float64, bool and nil. Non-finite floats stay strings so the
// result can always be encoded as JSON.
func (d *ydec) toValue(n *yaml.Node) (any, error) {
	return d.toValueDepth(n, 0, false)
}

func (d *ydec) toValueDepth(orig *yaml.Node, depth int, aliased bool) (any, error) {
	n := yamlnode.Resolve(orig)
	if n == nil {
		if orig != nil {
			return nil, d.errf(orig, "alias chain too long")
		}
		return nil, nil
	}
	aliased = aliased || orig.Kind == yaml.AliasNode
	spend := d.spend
	if aliased {
		spend = d.spendAliased
	}
	if err := spend(orig); err != nil {
		return nil, err
	}
	if depth > 256 {
		return nil, d.errf(orig, "value nested too deeply")
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalarValue(n), nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.toValueDepth(c, depth+1, aliased)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		es, err := d.mapEntriesDepth(n, 0, aliased)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(es))
		keys := make([]string, 0, len(es))
		for _, e := range es {
			v, err := d.toValueDepth(e.Value, depth+1, aliased)
			if err != nil {
				return nil, err
			}
			out[e.Key] = v
			keys = append(keys, e.Key)
		}
		maporder.Record(out, keys) // Ansible goes through a dict in this order
		return out, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.toValueDepth(n.Content[0], depth+1, aliased)
	}
	return nil, d.errf(orig, "unsupported YAML node")
}

// scalarValue converts a scalar node according to its resolved tag.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		if isDigits(strings.TrimLeft(n.Value, "+-")) {
			return n.Value // an integer too big for int: keep every digit
		}
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}

// scalarString returns the text of a scalar node; null gives "". Mappings and
// lists are an error naming path.
func (d *ydec) scalarString(n *yaml.Node, path string) (string, error) {
	r := yamlnode.Resolve(n)
	if isNull(r) {
		return "", nil
	}
	if r.Kind != yaml.ScalarNode {
		return "", d.errf(n, "%s must be a string, got %s", path, kindName(r))
	}
	return r.Value, nil
}

// stringList reads a list of scalars with their nodes; null gives nothing.
func (d *ydec) stringList(n *yaml.Node, path string) ([]string, []*yaml.Node, error) {
	r := yamlnode.Resolve(n)
	if isNull(r) {
		return nil, nil, nil
	}
	if r.Kind != yaml.SequenceNode {
		return nil, nil, d.errf(n, "%s must be a list, got %s", path, kindName(r))
	}
	out := make([]string, 0, len(r.Content))
	nodes := make([]*yaml.Node, 0, len(r.Content))
	for i, c := range r.Content {
		if err := d.spend(c); err != nil {
			return nil, nil, err
		}
		s, err := d.scalarString(c, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		nodes = append(nodes, c)
	}
	return out, nodes, nil
}
