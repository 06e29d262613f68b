package runner

import (
	"fmt"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// envLayer is one environment: keyword (of a play, a block or a task): a
// mapping, or an expression that must render to one for each host.
type envLayer struct {
	pos  playbook.Pos // the play or task that holds it, for errors
	m    map[string]any
	expr string
}

// envOf makes the layer of an environment: keyword; ok is false when the
// keyword is not set.
func envOf(pos playbook.Pos, m map[string]any, expr string) (envLayer, bool) {
	if m == nil && expr == "" {
		return envLayer{}, false
	}
	return envLayer{pos: pos, m: m, expr: expr}, true
}

// environment renders the environment: keywords of play, blocks and task,
// merged outermost first so the task's own wins, as in Ansible.
func (e *engine) environment(sc *scope, t *playbook.Task, vars map[string]any) (map[string]string, error) {
	layers := sc.env
	if l, ok := envOf(t.Pos, t.Environment, t.EnvironmentExpr); ok {
		layers = append(append([]envLayer{}, layers...), l)
	}
	if len(layers) == 0 {
		return nil, nil
	}
	merged := map[string]any{}
	for _, l := range layers {
		var src any = l.m
		if l.expr != "" {
			src = l.expr
		}
		where := "environment"
		if l.pos != t.Pos { // the play's or a block's: say which
			where = fmt.Sprintf("environment of %s", l.pos)
		}
		rendered, err := renderDeep(src, vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		m, ok := rendered.(map[string]any)
		if !ok && rendered != nil {
			return nil, fmt.Errorf("%s: %q gave %s, not a mapping of variable names to values", where, l.expr, describeKind(rendered))
		}
		for k, v := range m {
			merged[k] = v
		}
	}
	out := map[string]string{}
	for k, v := range merged {
		if v == nil {
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

// describeKind names a value's kind for messages.
func describeKind(v any) string {
	switch v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
