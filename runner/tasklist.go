package runner

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// runTasks runs a list of tasks on the batch's active hosts, one task at a
// time (linear strategy).
func (e *engine) runTasks(ctx context.Context, pr *playRun, tasks []*playbook.Task, sc *scope) {
	for _, t := range tasks {
		if pr.aborted || e.stopRequested() || len(pr.activeBatch()) == 0 {
			return
		}
		switch {
		case t.IsBlock():
			e.runBlock(ctx, pr, t, sc)
		case t.IncludeTasks != "" || t.IncludeRole != nil:
			e.runInclude(ctx, pr, t, sc)
		case t.Meta != "":
			e.runMeta(ctx, pr, t, sc)
		default:
			e.runLeaf(ctx, pr, t, sc)
		}
	}
}

// runOn runs tasks on a subset of the batch (rescue, always, an include,
// a handler), sharing the play's state.
func (e *engine) runOn(ctx context.Context, pr *playRun, hosts []*hostState, tasks []*playbook.Task, sc *scope) {
	sub := *pr
	sub.batch = hosts
	e.runTasks(ctx, &sub, tasks, sc)
	pr.aborted = pr.aborted || sub.aborted
}

// runBlock runs block, then rescue on the hosts that failed in it, then
// always on every host that entered the block.
func (e *engine) runBlock(ctx context.Context, pr *playRun, t *playbook.Task, sc *scope) {
	inner := sc.child(t)
	entered := pr.activeBatch()
	if t.Rescue != nil {
		inner.protected = true
	}
	e.runTasks(ctx, pr, t.Block, inner)

	var failedHere []*hostState
	for _, h := range entered {
		if h.failed && !h.unreachable {
			failedHere = append(failedHere, h)
		}
	}
	if t.Rescue != nil && len(failedHere) > 0 && !pr.aborted {
		rescueScope := sc.child(t)
		for _, h := range failedHere {
			h.failed = false
		}
		e.runOn(ctx, pr, failedHere, t.Rescue, rescueScope)
		for _, h := range failedHere {
			if !h.failed && !h.unreachable {
				e.mu.Lock()
				h.stats.Rescued++
				e.mu.Unlock()
			}
		}
	}
	if t.Always != nil && !pr.aborted {
		// always: runs on hosts that failed too; they stay failed after it
		// unless it clears their errors.
		wasFailed := suspendFailures(entered)
		e.runOn(ctx, pr, entered, t.Always, sc.child(t))
		restoreFailures(wasFailed)
	}
}

// runInclude loads a task file at run time (its name may be templated per
// host) and runs it on the hosts that included it, once per loop item.
func (e *engine) runInclude(ctx context.Context, pr *playRun, t *playbook.Task, sc *scope) {
	if !e.started {
		return // --start-at-task cannot start inside a dynamic include
	}
	if !e.selected(sc, t) {
		return
	}
	type inclusion struct {
		file  string
		hosts []*hostState
		vars  map[string]any // loop variables of this inclusion
	}
	var order []string
	groups := map[string]*inclusion{}
	hosts := pr.activeBatch()
	for _, h := range hosts {
		vars := e.taskVars(pr, h, sc, t)
		if ok, err := e.conditionsHold(sc, t, vars); err != nil || !ok {
			if err != nil {
				e.failHost(h, sc, t, err)
			} else {
				e.skipHost(h, t)
			}
			continue
		}
		items, err := e.loopItems(t, vars)
		if err != nil {
			e.failHost(h, sc, t, err)
			continue
		}
		for i := range items {
			loopVars := map[string]any{}
			if t.HasLoop {
				loopVars = e.loopVarsFor(t, items, i)
			}
			path, err := e.includeTarget(t, sc, mergeInto(vars, loopVars))
			if err != nil {
				e.failHost(h, sc, t, err)
				break
			}
			key := fmt.Sprintf("%s\x00%d", path, i)
			g, ok := groups[key]
			if !ok {
				g = &inclusion{file: path, vars: loopVars}
				groups[key] = g
				order = append(order, key)
			}
			g.hosts = append(g.hosts, h)
		}
	}
	for _, key := range order {
		g := groups[key]
		names := make([]string, len(g.hosts))
		for i, h := range g.hosts {
			names[i] = h.name
		}
		e.emit(report.Event{Type: report.EventInclude, File: g.file, Hosts: names, Task: t.DisplayName()})
		if t.IncludeRole == nil {
			// ansible-core's recap counts each included task file as ok,
			// per host and loop item (an included role, not).
			e.mu.Lock()
			for _, h := range g.hosts {
				h.stats.OK++
			}
			e.mu.Unlock()
		}
		tasks, inner, err := e.includeLoad(t, sc, g.file, g.vars)
		if err != nil {
			for _, h := range g.hosts {
				e.failHost(h, sc, t, err)
			}
			continue
		}
		if t.IncludeApply != nil {
			wrap := *t.IncludeApply
			wrap.Block = tasks
			tasks = []*playbook.Task{&wrap}
		}
		e.runOn(ctx, pr, g.hosts, tasks, inner)
	}
}

// includeTarget renders what an include_tasks (its file) or include_role
// (its role's name) includes for one host and loop item.
func (e *engine) includeTarget(t *playbook.Task, sc *scope, vars map[string]any) (string, error) {
	if t.IncludeRole != nil {
		name, err := renderDeep(t.IncludeRole.Name, vars)
		return fmt.Sprint(name), err
	}
	file, err := renderDeep(t.IncludeTasks, vars)
	if err != nil {
		return "", err
	}
	path := fmt.Sprint(file)
	if !filepath.IsAbs(path) {
		path = filepath.Join(sc.dir, path)
	}
	return path, nil
}

// includeLoad loads what an include brings in and the scope its tasks run
// in: they see the include's vars and loop item, but not its tags (Ansible:
// tags on include_* apply to the include only). The include's own when:
// was evaluated once, per host, before.
func (e *engine) includeLoad(t *playbook.Task, sc *scope, target string, loopVars map[string]any) ([]*playbook.Task, *scope, error) {
	inner := *sc
	inner.vars = append(append([]map[string]any{}, sc.vars...), t.Vars, loopVars)
	if t.IncludeRole != nil {
		return e.includeRole(t.IncludeRole, target, &inner)
	}
	tasks, err := playbook.LoadTasks(target)
	if err != nil {
		return nil, nil, fmt.Errorf("include_tasks: %w", err)
	}
	inner.dir = filepath.Dir(target)
	return tasks, &inner, nil
}

func mergeInto(base, extra map[string]any) map[string]any {
	if len(extra) == 0 {
		return base
	}
	out := copyMap(base)
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// runMeta handles meta: actions, which act on the engine, not on hosts.
func (e *engine) runMeta(ctx context.Context, pr *playRun, t *playbook.Task, sc *scope) {
	if !e.started {
		return
	}
	if !e.selected(sc, t) {
		return
	}
	switch t.Meta {
	case "flush_handlers":
		e.flushHandlers(ctx, pr, sc)
	case "end_play":
		pr.aborted = true
		for _, h := range pr.activeBatch() {
			h.ended = true
		}
	case "end_host":
		for _, h := range pr.activeBatch() {
			vars := e.taskVars(pr, h, sc, t)
			if ok, err := e.conditionsHold(sc, t, vars); err == nil && ok {
				h.ended = true
			}
		}
	case "reset_connection":
		// The next task logs in again: a group the login user was just
		// added to, or a changed ansible_user, takes effect.
		for _, h := range pr.activeBatch() {
			vars := e.taskVars(pr, h, sc, t)
			if ok, err := e.conditionsHold(sc, t, vars); err == nil && ok {
				e.conns.reset(h.name)
			}
		}
	case "clear_host_errors":
		for _, h := range pr.activeBatch() {
			vars := e.taskVars(pr, h, sc, t)
			if ok, err := e.conditionsHold(sc, t, vars); err == nil && ok {
				e.clearHostErrors(pr)
				break
			}
		}
	case "noop":
	}
}

// flushHandlers runs notified handlers in the order they are defined, each
// once, on the hosts that notified them. A handler may notify a later one;
// a few passes settle chains without looping forever.
func (e *engine) flushHandlers(ctx context.Context, pr *playRun, sc *scope) {
	handlers := pr.play.Handlers
	if len(handlers) == 0 {
		return
	}
	hsc := *sc
	hsc.handler = true
	for pass := 0; pass < 8; pass++ {
		// Take this pass's notifications first: every handler listening
		// to a topic runs, not only the first one to see it.
		pending := make([][]*hostState, len(handlers))
		for _, h := range pr.batch {
			var hit []int
			for i, hd := range handlers {
				if handlerNotified(h, hd) {
					hit = append(hit, i)
				}
			}
			for _, i := range hit {
				clearNotified(h, handlers[i])
				if h.active() || (e.opt.ForceHandlers || pr.play.ForceHandlers) && !h.unreachable {
					pending[i] = append(pending[i], h)
				}
			}
		}
		ran := false
		for i, hd := range handlers {
			hosts := pending[i]
			if len(hosts) == 0 {
				continue
			}
			ran = true
			saved := e.started
			e.started = true
			// Forced (--force-handlers, force_handlers): a failed host
			// runs the handler, as always: does, and stays failed.
			forced := suspendFailures(hosts)
			e.runOn(ctx, pr, hosts, []*playbook.Task{hd}, hsc.withRole(hd.Role))
			restoreFailures(forced)
			e.started = saved
		}
		if !ran {
			return
		}
	}
}

func handlerNotified(h *hostState, hd *playbook.Task) bool {
	for _, n := range hd.HandlerNames() {
		if h.notified[n] {
			return true
		}
	}
	for _, l := range hd.Listen {
		if h.notified[l] {
			return true
		}
	}
	return false
}

func clearNotified(h *hostState, hd *playbook.Task) {
	for _, n := range hd.HandlerNames() {
		delete(h.notified, n)
	}
	for _, l := range hd.Listen {
		delete(h.notified, l)
	}
}

// startAtMatches implements --start-at-task: the task's name, compared
// exactly or as a shell glob.
func startAtMatches(pattern, name string) bool {
	if pattern == name {
		return true
	}
	ok, err := filepath.Match(pattern, name)
	return err == nil && ok
}
