package runner

import "github.com/runbook-dev/runbook/runner/playbook"

// What a block's rescue: and always: see of a failure, and how
// meta: clear_host_errors forgives one, as in ansible-core 2.14.

// rememberFailure makes the failure of t on h visible to the rescue: that
// handles it, as ansible_failed_task (the task: name, action, args, ...) and
// ansible_failed_result (its result). Like Ansible's non-persistent facts
// they stay defined for the rest of the run. A no_log task's result is
// censored here too.
func rememberFailure(h *hostState, t *playbook.Task, sc *scope, out outcome) {
	result := out.result
	if boolOr(firstBool(t.NoLog, sc.noLog), false) {
		result = censored(out.changed)
		result["failed"] = true
	}
	h.registered["ansible_failed_result"] = result
	h.registered["ansible_failed_task"] = failedTask(t)
}

// failedTask is ansible_failed_task: the task's keywords as written.
func failedTask(t *playbook.Task) map[string]any {
	action := t.Module
	switch {
	case t.IncludeTasks != "":
		action = "include_tasks"
	case t.Meta != "":
		action = "meta"
	}
	m := map[string]any{
		"name": t.Name, "action": action, "args": t.Args,
		"tags": stringsToAny(t.Tags), "when": stringsToAny(t.When), "notify": stringsToAny(t.Notify),
		"register": t.Register, "delegate_to": t.DelegateTo,
		"changed_when": stringsToAny(t.ChangedWhen), "failed_when": stringsToAny(t.FailedWhen), "until": stringsToAny(t.Until),
	}
	if t.Args == nil {
		m["args"] = map[string]any{}
	}
	if t.HasLoop {
		m["loop"] = t.Loop
	}
	return m
}

// suspendFailures lets hosts that failed in a block run its always: (or a
// forced handler) and returns them; restoreFailures fails them again after,
// unless a meta: clear_host_errors ran meanwhile.
func suspendFailures(hosts []*hostState) []*hostState {
	var failed []*hostState
	for _, h := range hosts {
		if h.failed && !h.unreachable {
			failed = append(failed, h)
			h.failed = false
		}
	}
	return failed
}

func restoreFailures(failed []*hostState) {
	for _, h := range failed {
		if !h.cleared {
			h.failed = true
		}
	}
}

// clearHostErrors is meta: clear_host_errors: every host the play targets
// is forgiven its failure or unreachability, as in ansible-core 2.14. A host
// running the meta (in an always:) goes on with the play; one that had
// already left it stays out of this play but takes part in the next ones;
// and a failure forgiven (not followed by another) no longer makes the exit
// code 2 or 4, although the recap still counts it.
func (e *engine) clearHostErrors(pr *playRun) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range pr.targets {
		h.cleared = true
	}
}
