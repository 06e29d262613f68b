package runner

import (
	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/runner/eval"
)

// The template lookup renders .j2 files with the template module's
// renderer. runner/eval cannot import modules (the template module uses
// runner/eval's filters and tests), so the runner, above both, connects
// them.
func init() { eval.RenderJinja2 = modules.RenderJinja2 }

// searchPath is the magic variable ansible_search_path: where lookups
// (file, template, first_found, fileglob) look for a relative name before
// playbook_dir, as Ansible sets it — the task's role, then the directory of
// the task's file.
func (s *scope) searchPath() []any {
	var out []any
	if s.role != nil {
		out = append(out, s.role.Path)
	}
	if s.dir != "" && (s.role == nil || s.dir != s.role.Path) {
		out = append(out, s.dir)
	}
	return out
}

// lookupLoop gives the items of a with_<lookup> loop: the lookup of that
// name run on the rendered value (a list is its terms, anything else one
// term), as Ansible's task executor does.
func lookupLoop(kind string, v any, vars map[string]any, action string) ([]any, error) {
	terms, ok := v.([]any)
	if !ok {
		terms = []any{v}
		if v == nil {
			terms = nil
		}
	}
	return eval.Lookup(kind[len("with_"):], terms, vars, action)
}
