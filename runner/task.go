package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// censoredMsg replaces the result of a no_log task, in Ansible's words.
const censoredMsg = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

// outcome is what one task did on one host (all loop items together).
type outcome struct {
	status  string // report.Status*
	result  map[string]any
	changed bool
	ignored bool
	facts   map[string]any
}

// runLeaf runs one module task on every active host of the batch.
func (e *engine) runLeaf(ctx context.Context, pr *playRun, t *playbook.Task, sc *scope) {
	if !e.started {
		if !startAtMatches(e.opt.StartAtTask, t.Name) && !startAtMatches(e.opt.StartAtTask, t.DisplayName()) {
			return
		}
		e.started = true
	}
	if !e.selected(sc, t) {
		return
	}
	hosts := pr.activeBatch()
	if len(hosts) == 0 {
		return
	}
	ran := hosts // the hosts this task ran for, for any_errors_fatal
	check := boolOr(firstBool(t.CheckMode, sc.check), e.opt.Check)
	common := e.commonMagic(pr, t)
	e.emit(report.Event{Type: report.EventTaskStart, Task: e.taskName(pr, hosts[0], sc, t, common), Handler: sc.handler,
		Check: check && e.opt.Check, TaskPath: t.Pos.String(), Module: t.Module})
	if t.RunOnce || bypassHostLoop[t.Module] {
		hosts = hosts[:1]
	}
	sem := make(chan struct{}, throttleFor(e.opt.Forks, sc, t))
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func(h *hostState) {
			defer wg.Done()
			defer func() { <-sem }()
			e.runOnHost(ctx, pr, t, sc, h, check, common)
		}(h)
	}
	wg.Wait()
	e.applyDelegatedFacts(pr)
	if t.RunOnce || bypassHostLoop[t.Module] {
		e.shareRunOnce(pr, t, hosts[0])
	}
	e.applyInventoryChanges()
	e.checkFailureLimits(pr, sc, t, ran)
}

// shareRunOnce gives every host of the batch the registered result and
// facts of the one host that ran a run_once task.
func (e *engine) shareRunOnce(pr *playRun, t *playbook.Task, ran *hostState) {
	for _, h := range pr.activeBatch() {
		if h == ran {
			continue
		}
		if t.Register != "" {
			if v, ok := ran.registered[t.Register]; ok {
				h.registered[t.Register] = v
			}
		}
		if specOf(t).SetsFacts && !t.DelegateFacts { // delegate_facts: only the delegates get them
			for k, v := range ran.registered {
				h.registered[k] = v
			}
			for k, v := range ran.included {
				h.included[k] = v
			}
		}
	}
}

// checkFailureLimits applies any_errors_fatal and max_fail_percentage after
// a task, as the linear strategy does. any_errors_fatal is the task's,
// else its blocks', else the play's; it looks at the hosts that failed in
// this task (ran), so a failure an earlier task ignored does not count.
func (e *engine) checkFailureLimits(pr *playRun, sc *scope, t *playbook.Task, ran []*hostState) {
	if sc.protected {
		return
	}
	if boolOr(firstBool(t.AnyErrorsFatal, sc.anyErrorsFatal), pr.play.AnyErrorsFatal) && anyFailed(ran) {
		e.abortRun(pr)
		e.warn("any_errors_fatal: a host failed, ending the play for all hosts")
		return
	}
	failed := 0
	for _, h := range pr.batch {
		if h.failed || h.unreachable {
			failed++
		}
	}
	if failed == 0 {
		return
	}
	if p := pr.play.MaxFailPercentage; p != nil && float64(failed)*100/float64(len(pr.batch)) > *p {
		e.abortRun(pr)
		e.warn("max_fail_percentage %v%% exceeded: %d of %d hosts failed, ending the play", *p, failed, len(pr.batch))
	}
}

func anyFailed(hs []*hostState) bool {
	for _, h := range hs {
		if h.failed || h.unreachable {
			return true
		}
	}
	return false
}

// abortRun ends the play and, as Ansible does, counts every host of the
// play as failed for the rest of the run (without a recap failure for the
// hosts that did not fail themselves): no later play runs on any of them.
func (e *engine) abortRun(pr *playRun) {
	pr.aborted = true
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range pr.all {
		h.failed, h.cleared = true, false
	}
}

// taskName renders a task name that holds {{ }}, with the first host's
// variables; a name that cannot be rendered is shown as written.
func (e *engine) taskName(pr *playRun, h *hostState, sc *scope, t *playbook.Task, common map[string]any) string {
	name := t.DisplayName()
	if !eval.HasTemplate(name) {
		return name
	}
	v, err := eval.Render(name, e.taskVarsWith(pr, h, sc, t, common))
	if err != nil {
		return name
	}
	return fmt.Sprint(v)
}

// hostTask is one task on one host: what stays the same for all its loop
// items and retries, so that the methods that run it take only what varies
// (the variables of an item, the module and its arguments).
type hostTask struct {
	e        *engine
	pr       *playRun
	h        *hostState
	t        *playbook.Task
	sc       *scope
	check    bool           // check mode for this task
	delegate string         // delegate_to, rendered for this host ("" when none)
	noLog    bool           // no_log: results are censored
	diff     bool           // --diff or the diff keyword
	common   map[string]any // the task's magic variables, for recomputing vars
}

// runOnHost runs the task (all loop items) on one host and accounts for it.
func (e *engine) runOnHost(ctx context.Context, pr *playRun, t *playbook.Task, sc *scope, h *hostState, check bool, common map[string]any) {
	start := time.Now() // monotonic: the result's Duration
	vars := e.taskVarsWith(pr, h, sc, t, common)
	if err := h.varsFilesErr; err != nil {
		h.varsFilesErr = nil
		e.failHost(h, sc, t, err)
		return
	}
	delegate, err := e.hostDelegate(sc, t, vars)
	if err != nil {
		e.failHost(h, sc, t, err)
		return
	}
	ht := &hostTask{e: e, pr: pr, h: h, t: t, sc: sc, check: check, delegate: delegate,
		noLog: boolOr(firstBool(t.NoLog, sc.noLog), false), diff: e.diffOn(sc, t), common: common}
	watch := e.watchTask(h, t, delegate, ht.noLog, start)
	ctx, cancel := e.asyncContext(withWatch(ctx, watch), t)
	defer cancel()
	var out outcome
	if background(t) {
		r := ht.startAsync(ctx, vars)
		out = outcome{status: r.status, result: r.result, changed: r.changed, facts: r.facts}
	} else if !t.HasLoop {
		r := ht.runItem(ctx, vars)
		out = outcome{status: r.status, result: r.result, changed: r.changed, facts: r.facts}
	} else {
		out = ht.runLoop(ctx, vars)
	}
	watch.stop()
	out = e.keywordOutcome(ctx, pr, t, delegate, out)
	if out.status == report.StatusFailed && boolOr(firstBool(t.IgnoreErrors, sc.ignoreErrors), false) {
		out.ignored = true
	}
	if out.status == report.StatusUnreachable && boolOr(firstBool(t.IgnoreUnreachable, sc.ignoreUnreachable), false) {
		// Only a host that is down: one that answered and refused the
		// session (host key, authentication) is a problem to fix, never
		// one to ignore.
		down, _ := out.result["host_down"].(bool)
		out.ignored = down
	}
	e.record(h, t, sc, out)
	ev := report.Event{Type: report.EventHostResult, Task: t.DisplayName(), Host: h.name, Delegate: delegate,
		Status: out.status, Ignored: out.ignored, Module: t.Module, Result: out.result,
		TaskPath: t.Pos.String(), Duration: time.Since(start).Seconds()}
	if t.HasLoop {
		ev.Loop = true
	}
	if ht.noLog {
		ev.Result = censored(out.changed)
	} else if d, ok := out.result["diff"].([]any); ok && ht.diff && !t.HasLoop {
		ev.Diff = toDiffs(d)
	}
	e.emit(ev)
}

func (e *engine) diffOn(sc *scope, t *playbook.Task) bool {
	return boolOr(firstBool(t.Diff, sc.diff), e.opt.Diff)
}

func censored(changed bool) map[string]any {
	return map[string]any{"censored": censoredMsg, "changed": changed}
}

// record stores the outcome: recap counters, registered variable, facts,
// handler notifications, and the host's failed state.
func (e *engine) record(h *hostState, t *playbook.Task, sc *scope, out outcome) {
	e.collectInventoryChanges(h, t, out)
	if t.Register != "" && out.result != nil {
		h.registered[t.Register] = out.result
	}
	e.storeFacts(h, t.Module, out.facts)
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &h.stats
	switch {
	case out.status == report.StatusUnreachable && out.ignored:
		// Shown as unreachable (and ignored) in the recap; not exit code 4.
		s.Unreachable++
		s.Ignored++
		s.IgnoredUnreachable++
		h.lost = true
	case out.ignored:
		// As ansible-core counts a failure under ignore_errors: ignored,
		// and ok (and changed when it changed) too.
		s.Ignored++
		s.OK++
		if out.changed {
			s.Changed++
		}
	case out.status == report.StatusUnreachable:
		s.Unreachable++
		h.unreachable, h.cleared = true, false
	case out.status == report.StatusFailed:
		h.failed, h.cleared = true, false
		if !sc.protected {
			s.Failed++
		} else {
			rememberFailure(h, t, sc, out)
		}
	case out.status == report.StatusSkipped:
		s.Skipped++
	default:
		s.OK++
		if out.changed {
			s.Changed++
		}
	}
	if out.changed && h.notified != nil {
		for _, n := range t.Notify {
			h.notified[n] = true
		}
		for _, n := range sc.notify {
			h.notified[n] = true
		}
	}
}

// failHost reports a failure that happened before the module ran (a bad
// expression, an undefined variable, an unreadable include).
func (e *engine) failHost(h *hostState, sc *scope, t *playbook.Task, err error) {
	msg := fmt.Sprintf("task %q (%s) on host %s: %v", t.DisplayName(), t.Pos, h.name, err)
	out := outcome{status: report.StatusFailed, result: map[string]any{"failed": true, "changed": false, "msg": msg}}
	if unreachable(err) {
		out.status = report.StatusUnreachable
		out.result = unreachableItem(err).result
	}
	if boolOr(firstBool(t.IgnoreErrors, sc.ignoreErrors), false) && out.status == report.StatusFailed {
		out.ignored = true
	}
	e.record(h, t, sc, out)
	e.emit(report.Event{Type: report.EventHostResult, Task: t.DisplayName(), Host: h.name, Status: out.status, Result: out.result, Ignored: out.ignored,
		TaskPath: t.Pos.String()})
}

// skipHost reports a task skipped by its conditions.
func (e *engine) skipHost(h *hostState, t *playbook.Task) {
	e.mu.Lock()
	h.stats.Skipped++
	e.mu.Unlock()
	e.emit(report.Event{Type: report.EventHostResult, Task: t.DisplayName(), Host: h.name, Status: report.StatusSkipped})
}
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func toDiffs(d []any) []module.Diff {
	out := make([]module.Diff, 0, len(d))
	for _, x := range d {
		m, _ := x.(map[string]any)
		if m == nil {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		out = append(out, module.Diff{BeforeHeader: str("before_header"), AfterHeader: str("after_header"), Before: str("before"), After: str("after")})
	}
	return out
}

// specOf returns the declaration of t's module, or an empty one for a task
// that runs no module (meta, include_tasks, block).
func specOf(t *playbook.Task) *module.Spec { return moduleSpec(t.Module) }

// moduleSpec returns the declaration of the module name, or an empty one.
func moduleSpec(name string) *module.Spec {
	if m, ok := module.Lookup(name); ok {
		return m.Spec()
	}
	return &module.Spec{}
}

// storeFacts gives h the facts a task returned: setup's as gathered facts
// (also under ansible_facts), include_vars' above task vars, set_fact's
// above those.
func (e *engine) storeFacts(h *hostState, module string, facts map[string]any) {
	if len(facts) > 0 {
		target := h.registered // set_fact: above play vars
		if module == "include_vars" {
			target = h.included
		}
		if moduleSpec(module).GathersFacts {
			target = h.facts
			// A new map: hostvars handed out earlier may still be read.
			old, _ := h.facts["ansible_facts"].(map[string]any)
			all := copyMap(old)
			for k, v := range facts {
				// ansible_facts holds the names without the prefix, as in Ansible.
				all[strings.TrimPrefix(k, "ansible_")] = v
			}
			h.facts["ansible_facts"] = all
		}
		for k, v := range facts {
			target[k] = v
		}
		e.opt.Redactor.Add(collectSecrets(facts, nil)...)
	}
}
