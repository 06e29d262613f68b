package runner

// Running the task keywords kept for Ansible content: throttle,
// async (a time limit) and delegate_facts.

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// throttleFor is how many hosts may run t at once: forks, or fewer when the
// task or an enclosing block sets throttle (the innermost wins, as in Ansible).
func throttleFor(forks int, sc *scope, t *playbook.Task) int {
	n := sc.throttle
	if t.Throttle > 0 {
		n = t.Throttle
	}
	if n > 0 && n < forks {
		return n
	}
	return forks
}

// asyncContext gives the task the run's background jobs (async_status)
// and limits it to async seconds on each host (a background task gets its
// limit when it starts: startAsync).
func (e *engine) asyncContext(ctx context.Context, t *playbook.Task) (context.Context, context.CancelFunc) {
	ctx = modules.WithAsyncJobs(ctx, &e.jobs)
	if t.Async <= 0 || background(t) {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, time.Duration(t.Async)*time.Second)
}

func errorsIsDeadline(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// delegatedFacts are facts a task returned on one host for its delegate.
type delegatedFacts struct {
	delegate, module string
	facts            map[string]any
}

// keywordOutcome adjusts a host's outcome for async and delegate_facts: a
// task cut by its async limit fails with Ansible's message, and the facts
// of a delegated task with delegate_facts are set aside for the delegate
// (applyDelegatedFacts) instead of going to the host.
func (e *engine) keywordOutcome(ctx context.Context, pr *playRun, t *playbook.Task, delegate string, out outcome) outcome {
	if t.Async > 0 && errorsIsDeadline(ctx) && out.status == report.StatusFailed {
		res := map[string]any{}
		for k, v := range out.result {
			res[k] = v
		}
		res["msg"], res["failed"] = t.AsyncTimeoutMessage(), true
		out.result = res
	}
	if t.DelegateFacts && delegate != "" && len(out.facts) > 0 {
		e.mu.Lock()
		pr.delegated = append(pr.delegated, delegatedFacts{delegate: delegate, module: t.Module, facts: out.facts})
		e.mu.Unlock()
		out.facts = nil
	}
	return out
}

// applyDelegatedFacts stores the facts set aside for delegates, once no
// host runs the task any more (a delegate may be one of those hosts, reading
// its own variables).
func (e *engine) applyDelegatedFacts(pr *playRun) {
	e.mu.Lock()
	pending := pr.delegated
	pr.delegated = nil
	e.mu.Unlock()
	for _, d := range pending {
		e.storeFacts(e.host(d.delegate), d.module, d.facts)
	}
}

// perItemDelegate reports whether a looping task's delegate_to names the
// loop variable (delegate_to: "{{ item }}"): it is then rendered for each
// item, not once for the host.
func perItemDelegate(t *playbook.Task) bool {
	if !t.HasLoop || t.DelegateTo == "" {
		return false
	}
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(loopVarName(t)) + `\b`).MatchString(t.DelegateTo)
}

// hostDelegate is delegateFor, except that a per-item delegate_to is left
// to each item ("" here).
func (e *engine) hostDelegate(sc *scope, t *playbook.Task, vars map[string]any) (string, error) {
	if perItemDelegate(t) {
		return "", nil
	}
	return e.delegateFor(sc, t, vars)
}

// runDelegatedItem runs one loop item on its own delegate when delegate_to
// names the loop variable; with delegate_facts the item's facts are set
// aside for that delegate. It returns the result and the delegate used.
func (ht *hostTask) runDelegatedItem(ctx context.Context, vars map[string]any) (itemResult, string) {
	e, pr, h, t, sc, delegate := ht.e, ht.pr, ht.h, ht.t, ht.sc, ht.delegate
	if perItemDelegate(t) {
		d, err := e.delegateFor(sc, t, vars)
		if err != nil {
			return failedItem(taskError(t, h.name, err)), ""
		}
		delegate = d
	}
	item := *ht // this item's delegate
	item.delegate = delegate
	r := item.runItem(ctx, vars)
	if perItemDelegate(t) && t.DelegateFacts && delegate != "" && len(r.facts) > 0 {
		e.mu.Lock()
		pr.delegated = append(pr.delegated, delegatedFacts{delegate: delegate, module: t.Module, facts: r.facts})
		e.mu.Unlock()
		r.facts = nil
	}
	return r, delegate
}
