package runner

import (
	"regexp"
	"slices"

	"github.com/runbook-dev/runbook/runner/eval"
)

// omitPlaceholder is the value of the magic variable omit: a module argument
// that renders to it is dropped, as in Ansible.
const omitPlaceholder = "__omit_place_holder__runbook"

// varLayers builds the variables a task sees on one host, lowest precedence
// first: inventory group vars, inventory host vars (both merged by the
// inventory), facts, play vars, vars_files, block and task vars, include_vars,
// registered vars and set_fact, magic vars, and extra vars, which always
// win. Loop variables are laid over the result per item (runLoop).
type varLayers struct {
	inventory  map[string]any
	facts      map[string]any
	play       map[string]any
	varsFiles  map[string]any
	scoped     []map[string]any // enclosing blocks' vars, then the task's
	included   map[string]any   // include_vars
	registered map[string]any
	magic      map[string]any
	extra      map[string]any
	// templated, set by merge, names the variables whose values were
	// templates: their secrets are known only once rendered.
	templated []string

	// roles: the role variables the task sees (roles.go).
	roles roleVarLayers
}

// merge flattens the layers into one map. Values of the play, vars_files and
// task layers may themselves hold {{ }}; they are rendered against the merged
// map (Ansible templates variables lazily; doing it once here gives the same
// answer for the common cases and keeps conditions consistent with args).
func (l *varLayers) merge() map[string]any {
	n := len(l.roles.defaults) + len(l.inventory) + len(l.facts) + len(l.play) + len(l.varsFiles) + len(l.included) + len(l.registered) + len(l.magic) + len(l.extra) + 8
	out := make(map[string]any, n)
	var templated []string
	put := func(m map[string]any, track bool) {
		for k, v := range m {
			out[k] = v
			if track && holdsTemplate(v) {
				templated = append(templated, k)
			}
		}
	}
	put(l.roles.defaults, true)
	put(l.inventory, true)
	put(l.facts, false)
	put(l.play, true)
	put(l.varsFiles, true)
	put(l.roles.vars, true)
	for _, s := range l.scoped {
		put(s, true)
	}
	put(l.included, false)
	put(l.registered, false)
	put(l.roles.params, true)
	put(l.magic, false)
	put(l.extra, true)
	resolveTemplatedVars(out, templated)
	l.templated = templated
	return out
}

// resolveTemplatedVars renders variables whose values hold {{ }} so that
// `a: "{{ b }}-x"` reads as its value everywhere. Each is rendered after
// the templated variables it refers to (depth first), so a value is never
// computed from another variable's unrendered text. A value that cannot be
// rendered yet (it names an undefined variable) is left as it is: it only
// fails if something actually uses it, when it is rendered again. A value
// that refers back to itself becomes a recursiveVar (see recursion.go).
func resolveTemplatedVars(vars map[string]any, names []string) {
	if len(names) == 0 {
		return
	}
	const (
		visiting = 1
		done     = 2
	)
	pending := make(map[string]int, len(names))
	for _, k := range names {
		pending[k] = 0
	}
	var stack []string
	var resolve func(k string)
	resolve = func(k string) {
		if pending[k] != 0 {
			return // done, or a cycle: recursionOf finds it
		}
		pending[k] = visiting
		stack = append(stack, k)
		for _, dep := range eval.References(vars[k]) {
			if _, ok := pending[dep]; ok && dep != k {
				resolve(dep)
			}
		}
		if r := recursionOf(k, vars, func(n string) bool { return pending[n] == visiting }, stack); r != nil {
			vars[k] = r
		} else if v, err := renderDeep(vars[k], vars); err == nil {
			vars[k] = v
		}
		stack = stack[:len(stack)-1]
		pending[k] = done
	}
	for _, k := range names {
		resolve(k)
	}
}

// holdsTemplate reports whether v (or anything inside it) still has {{ }}
// or a Jinja statement.
func holdsTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return eval.HasTemplate(x)
	case []any:
		for _, e := range x {
			if holdsTemplate(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if holdsTemplate(e) {
				return true
			}
		}
	}
	return false
}

// renderDeep renders v, then renders again while the result still holds
// templates that came from variables (bounded). When v has a {% raw %}
// block, a result whose "template" does not parse is kept as it is: it is
// the raw text ({{.Names}} for docker's --format), not a variable's
// template.
func renderDeep(v any, vars map[string]any) (any, error) {
	if err := checkRecursion(v, vars); err != nil {
		return nil, err
	}
	out, err := eval.RenderValue(v, vars)
	for i := 0; err == nil && i < 4 && holdsTemplate(out); i++ {
		next, err2 := eval.RenderValue(out, vars)
		if eval.IsSyntaxError(err2) && holdsRaw(v) {
			break
		}
		out, err = next, err2
	}
	return out, err
}

// holdsRaw reports whether v (or anything inside it) has a {% raw %}.
func holdsRaw(v any) bool {
	switch x := v.(type) {
	case string:
		return rawTag.MatchString(x)
	case []any:
		return slices.ContainsFunc(x, holdsRaw)
	case map[string]any:
		for _, e := range x {
			if holdsRaw(e) {
				return true
			}
		}
	}
	return false
}

// rawTag matches Jinja's {% raw %} tag.
var rawTag = regexp.MustCompile(`\{%-?\s*raw\s*-?%\}`)

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
