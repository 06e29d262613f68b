package eval

// Rendering a parsed statement template (statements.go).

import (
	"fmt"
	"maps"
	"strings"
)

// stmtRun is one rendering of a statement template.
type stmtRun struct {
	src   string
	b     strings.Builder
	steps int
}

// maxStmtSteps bounds the work one value may do (nested loops multiply).
const maxStmtSteps = 1_000_000

// render renders the template with vars (never modified: a {% set %} or a
// loop works on a copy).
func (t *stmtTemplate) render(vars map[string]any) (string, error) {
	r := &stmtRun{src: t.src}
	if err := r.nodes(t.body, vars, false); err != nil {
		return "", err
	}
	out := r.b.String()
	// Ansible keeps a trailing newline the rendering dropped (trim_blocks
	// after a final {% endif %}).
	if strings.HasSuffix(t.src, "\n") && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out, nil
}

// nodes renders nodes; owned says vars is a copy this run may write to.
func (r *stmtRun) nodes(nodes []stmtNode, vars map[string]any, owned bool) error {
	for _, n := range nodes {
		if r.steps++; r.steps > maxStmtSteps {
			return &Error{Expr: r.src, Msg: fmt.Sprintf("more than %d steps rendering this value", maxStmtSteps)}
		}
		switch x := n.(type) {
		case stmtText:
			r.b.WriteString(string(x))
		case stmtExpr:
			v, err := r.eval(x.c, vars)
			if err != nil {
				return err
			}
			s, err := pyText(v)
			if err != nil {
				return &RenderError{Text: r.src, Err: &Error{Expr: x.c.src, Msg: err.Error(), Err: err}}
			}
			r.b.WriteString(s)
		case *stmtSet:
			v, err := r.eval(x.value, vars)
			if err != nil {
				return err
			}
			if !owned {
				vars, owned = maps.Clone(vars), true
				if vars == nil {
					vars = map[string]any{}
				}
			}
			vars[x.name] = v
		case *stmtIf:
			if err := r.ifNode(x, vars); err != nil {
				return err
			}
		case *stmtFor:
			if err := r.forNode(x, vars); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *stmtRun) eval(c *compiled, vars map[string]any) (any, error) {
	v, err := c.run(vars)
	if err != nil {
		return nil, &RenderError{Text: r.src, Err: err}
	}
	return v, nil
}

func (r *stmtRun) ifNode(x *stmtIf, vars map[string]any) error {
	for i, c := range x.conds {
		v, err := r.eval(c, vars)
		if err != nil {
			return err
		}
		if Truthy(v) {
			return r.nodes(x.bodies[i], vars, false)
		}
	}
	return r.nodes(x.els, vars, false)
}

func (r *stmtRun) forNode(x *stmtFor, vars map[string]any) error {
	v, err := r.eval(x.iter, vars)
	if err != nil {
		return err
	}
	items, err := iterItems(v)
	if err != nil {
		return &RenderError{Text: r.src, Err: &Error{Expr: x.iter.src, Msg: err.Error()}}
	}
	scope := maps.Clone(vars)
	if scope == nil {
		scope = map[string]any{}
	}
	if x.cond != nil {
		kept := items[:0:0]
		for _, item := range items {
			if err := bindTargets(scope, x.targets, item); err != nil {
				return &RenderError{Text: r.src, Err: &Error{Expr: x.iter.src, Msg: err.Error()}}
			}
			v, err := r.eval(x.cond, scope)
			if err != nil {
				return err
			}
			if Truthy(v) {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return r.nodes(x.els, vars, false)
	}
	for i, item := range items {
		if x.sets && i > 0 {
			scope = maps.Clone(vars)
		}
		if err := bindTargets(scope, x.targets, item); err != nil {
			return &RenderError{Text: r.src, Err: &Error{Expr: x.iter.src, Msg: err.Error()}}
		}
		n := len(items)
		loop := map[string]any{"index": i + 1, "index0": i, "first": i == 0, "last": i == n-1,
			"length": n, "revindex": n - i, "revindex0": n - i - 1}
		if i > 0 {
			loop["previtem"] = items[i-1]
		}
		if i < n-1 {
			loop["nextitem"] = items[i+1]
		}
		scope["loop"] = loop
		if err := r.nodes(x.body, scope, true); err != nil {
			return err
		}
	}
	return nil
}

// iterItems lists what a for loop goes through: a list's items, a
// mapping's keys (in YAML order, see yamlOrderedKeys) or a string's
// characters.
func iterItems(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case map[string]any:
		keys := yamlOrderedKeys(x)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	case string:
		out := make([]any, 0, len(x))
		for _, c := range x {
			out = append(out, string(c))
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("cannot loop over none")
	}
	if l, ok := asList(v); ok {
		return l, nil
	}
	return nil, fmt.Errorf("cannot loop over a %s", typeName(v))
}

// bindTargets sets the loop variables: one takes the item, several unpack
// it (k, v in d.items()).
func bindTargets(scope map[string]any, targets []string, item any) error {
	if len(targets) == 1 {
		scope[targets[0]] = item
		return nil
	}
	l, ok := asList(item) // a list, or a groupby pair
	if !ok || item == nil || len(l) != len(targets) {
		return fmt.Errorf("cannot unpack %s into %d loop variables (%s)", typeName(item), len(targets), strings.Join(targets, ", "))
	}
	for i, name := range targets {
		scope[name] = l[i]
	}
	return nil
}
