package yamlnode_test

import (
	"testing"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
)

func TestResolve(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x 1\nb: *x\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	if got := yamlnode.Resolve(m.Content[3]); got == nil || got.Value != "1" || got.Kind != yaml.ScalarNode {
		t.Fatalf("alias resolved to %+v", got)
	}
	if yamlnode.Resolve(nil) != nil {
		t.Error("nil resolved to a node")
	}
	// A chain of aliases longer than the bound (or a loop, which a
	// hand-built node graph can hold) resolves to nil rather than spinning.
	loop := &yaml.Node{Kind: yaml.AliasNode}
	loop.Alias = loop
	if yamlnode.Resolve(loop) != nil {
		t.Error("alias loop resolved to a node")
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: "end"}
	for i := 0; i < yamlnode.MaxAliasDepth; i++ {
		n = &yaml.Node{Kind: yaml.AliasNode, Alias: n}
	}
	if got := yamlnode.Resolve(n); got == nil || got.Value != "end" {
		t.Errorf("chain of %d aliases: %+v", yamlnode.MaxAliasDepth, got)
	}
}
