package runner

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// Roles' variables, at Ansible's precedence (ansible-core 2.14, checked by
// test/roles_test.go):
//
//   - defaults: the defaults of every role the play uses statically (roles:,
//     import_role, their dependencies), in order, then those of the task's
//     own role (after its dependencies'). Lowest of all: below inventory.
//   - vars: likewise the vars/ of every static role of the play, then for
//     the task's role its dependencies' vars, the vars: of its roles: entry
//     and its own vars/ (which win over the entry's). Above play vars and
//     vars_files, below block and task vars.
//   - params: the other keys of the role's roles: entry. Above set_fact and
//     registered variables.

// roleVarLayers are the three layers for tasks of one role (nil: no role).
type roleVarLayers struct {
	defaults, vars, params map[string]any
}

// playRoles caches each role's layers for a play; its hosts share it.
type playRoles struct {
	mu     sync.Mutex
	layers map[*playbook.Role]*roleVarLayers
	// hostvars: a role variable refers to hostvars (rolesMentionHostvars).
	hostvars bool
}

// roleLayers returns the role variable layers of a task of role r.
func (e *engine) roleLayers(pr *playRun, r *playbook.Role) roleVarLayers {
	if r == nil && len(pr.play.Roles) == 0 {
		return roleVarLayers{}
	}
	pr.roles.mu.Lock()
	defer pr.roles.mu.Unlock()
	if pr.roles.layers == nil {
		pr.roles.layers = map[*playbook.Role]*roleVarLayers{}
	}
	l, ok := pr.roles.layers[r]
	if !ok {
		l = e.computeRoleLayers(pr.play, r)
		pr.roles.layers[r] = l
	}
	return *l
}

func (e *engine) computeRoleLayers(play *playbook.Play, r *playbook.Role) *roleVarLayers {
	l := &roleVarLayers{defaults: map[string]any{}, vars: map[string]any{}}
	for _, pr := range play.Roles {
		putAll(l.defaults, pr.Defaults)
		putAll(l.vars, pr.Vars)
	}
	if r != nil {
		var own func(r *playbook.Role)
		own = func(r *playbook.Role) {
			for _, d := range r.Deps {
				own(d)
			}
			putAll(l.defaults, r.Defaults)
			putAll(l.vars, r.EntryVars)
			putAll(l.vars, r.Vars)
		}
		own(r)
		l.params = r.Params
	}
	for _, m := range []map[string]any{l.defaults, l.vars, l.params} {
		e.opt.Redactor.Add(collectSecrets(m, nil)...)
	}
	return l
}

func putAll(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = v
	}
}

// includeRole returns the tasks of an include_role: blocks carrying the
// role (and its dependencies), so they see its variables and files. A role
// whose name is templated is loaded now; its handlers cannot be notified
// (the play's handlers were fixed when it was parsed).
func (e *engine) includeRole(inc *playbook.RoleInclude, name string, sc *scope) ([]*playbook.Task, *scope, error) {
	r := inc.Role
	if r == nil {
		var err error
		if r, err = playbook.LoadRole(inc, name); err != nil {
			return nil, nil, fmt.Errorf("include_role: %w", err)
		}
	}
	return playbook.RoleBlocks(r), sc, nil
}

// filesDir is where a task's relative controller files (template and copy
// sources) are looked for first: its role's directory (then templates/ or
// files/ in it), else the directory of the task's file.
func (s *scope) filesDir() string {
	if s.role != nil {
		return s.role.Path
	}
	return s.dir
}

// withRole is the scope of a role's handler: it sees the role's variables
// and files, as the role's tasks do.
func (s *scope) withRole(r *playbook.Role) *scope {
	if r == nil {
		return s
	}
	c := *s
	c.role, c.dir = r, filepath.Join(r.Path, "handlers")
	return &c
}

// rolesMentionHostvars reports whether a variable of a role the play uses
// refers to hostvars (then every task gets it, as any variable may be read).
func rolesMentionHostvars(play *playbook.Play) bool {
	for _, r := range play.Roles {
		for _, m := range []map[string]any{r.Defaults, r.Vars, r.EntryVars, r.Params} {
			if mentions(m, "hostvars") {
				return true
			}
		}
	}
	return false
}
