package eval

import (
	"strings"

	"github.com/expr-lang/expr/ast"
)

// References returns the names of the variables the templates in v (a
// string, or lists and maps holding strings) refer to, required or not
// (x in default(x) counts), each once. Templates that do not parse name
// nothing: rendering them reports the error. The runner uses it to render
// variables whose values are templates in dependency order, so a value is
// never computed from another variable's unrendered text.
func References(v any) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if !HasTemplate(x) {
				return
			}
			for _, seg := range parseTemplateString(x).segs {
				if seg.expr == nil {
					continue
				}
				for _, n := range seg.expr.refs {
					if !seen[n] {
						seen[n] = true
						out = append(out, n)
					}
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// identifiers lists every identifier in the tree, in order, once each.
func identifiers(root ast.Node) []string {
	c := &identCollector{seen: map[string]bool{}}
	ast.Walk(&root, c)
	return c.names
}

type identCollector struct {
	seen  map[string]bool
	names []string
}

func (c *identCollector) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && !c.seen[id.Value] {
		if _, constant := jinjaConstants[id.Value]; constant || strings.HasPrefix(id.Value, "$") {
			return // a literal, $env, or an internal function
		}
		c.seen[id.Value] = true
		c.names = append(c.names, id.Value)
	}
}
