package runner

import (
	"path/filepath"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// scope is what enclosing plays, blocks and imports hand down to a task.
type scope struct {
	when              []string
	tags              []string
	vars              []map[string]any
	become            *bool
	becomeUser        string
	remoteUser        string // remote_user: the login user unless the host's vars set one
	check             *bool
	diff              *bool
	noLog             *bool
	env               []envLayer // environment: of the play and blocks, outermost first
	ignoreErrors      *bool
	ignoreUnreachable *bool
	anyErrorsFatal    *bool // a block's any_errors_fatal (the play's is on the play)
	delegateTo        string
	throttle          int // an enclosing block's throttle
	// protected: an enclosing block has a rescue:, so a failure here is
	// handled there and not counted as failed in the recap.
	protected bool
	handler   bool
	dir       string
	// notify: an import_tasks' notify:, inherited by the tasks it imports.
	notify []string
	// role: the role whose tasks these are (see roles.go).
	role *playbook.Role
}

// child returns the scope seen by the tasks inside block (or import) t.
func (s *scope) child(t *playbook.Task) *scope {
	c := *s
	c.when = append(append([]string{}, s.when...), t.When...)
	c.tags = append(append([]string{}, s.tags...), t.Tags...)
	if len(t.Notify) > 0 {
		c.notify = append(append([]string{}, s.notify...), t.Notify...)
	}
	if t.Vars != nil {
		c.vars = append(append([]map[string]any{}, s.vars...), t.Vars)
	}
	c.become = firstBool(t.Become, s.become)
	if t.BecomeUser != "" {
		c.becomeUser = t.BecomeUser
	}
	if t.RemoteUser != "" {
		c.remoteUser = t.RemoteUser
	}
	c.check = firstBool(t.CheckMode, s.check)
	c.diff = firstBool(t.Diff, s.diff)
	c.noLog = firstBool(t.NoLog, s.noLog)
	c.ignoreErrors = firstBool(t.IgnoreErrors, s.ignoreErrors)
	c.ignoreUnreachable = firstBool(t.IgnoreUnreachable, s.ignoreUnreachable)
	c.anyErrorsFatal = firstBool(t.AnyErrorsFatal, s.anyErrorsFatal)
	if l, ok := envOf(t.Pos, t.Environment, t.EnvironmentExpr); ok {
		c.env = append(append([]envLayer{}, s.env...), l)
	}
	if t.DelegateTo != "" {
		c.delegateTo = t.DelegateTo
	}
	if t.Throttle > 0 {
		c.throttle = t.Throttle
	}
	if t.Import != "" {
		c.dir = playbook.Pos{File: t.Block0File()}.Dir()
	}
	if t.Role != nil {
		c.role = t.Role
		c.dir = filepath.Join(t.Role.Path, "tasks")
	}
	return &c
}

func firstBool(a, b *bool) *bool {
	if a != nil {
		return a
	}
	return b
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
