package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/modules/transport"
	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// itemResult is what one run of the module (one loop item) gave.
type itemResult struct {
	status  string
	result  map[string]any
	changed bool
	facts   map[string]any
}

func failedItem(msg string) itemResult {
	return itemResult{status: report.StatusFailed, result: map[string]any{"failed": true, "changed": false, "msg": msg}}
}

// taskError names the task, its position and the host: the three things an
// operator needs to find what broke.
func taskError(t *playbook.Task, host string, err error) string {
	return fmt.Sprintf("task %q (%s) on host %s: %v", t.DisplayName(), t.Pos, host, err)
}

// runItem evaluates when:, renders and binds the arguments, runs the module
// (with until: retries) and applies changed_when:/failed_when:.
func (e *engine) runItem(ctx context.Context, pr *playRun, h *hostState, t *playbook.Task, sc *scope, vars map[string]any, check bool, delegate string) itemResult {
	ok, err := e.conditionsHold(sc, t, vars)
	if err != nil {
		return failedItem(taskError(t, h.name, fmt.Errorf("when: %w", err)))
	}
	if !ok {
		return itemResult{status: report.StatusSkipped, result: map[string]any{"changed": false, "skipped": true, "skip_reason": "Conditional result was False"}}
	}
	mod, found := modules.Lookup(t.Module)
	if !found {
		return failedItem(taskError(t, h.name, fmt.Errorf("unknown module %q", t.Module)))
	}
	spec := mod.Spec()
	args, err := e.bindArgs(spec, t, vars)
	if err != nil {
		return failedItem(taskError(t, h.name, err))
	}
	if check && spec.Check == modules.CheckNone {
		return itemResult{status: report.StatusSkipped, result: map[string]any{"changed": false, "skipped": true,
			"msg": fmt.Sprintf("This module (%s) does not support check mode", spec.Name)}}
	}
	if spec.Name == "debug" && args.Int("verbosity") > e.opt.Verbosity {
		return itemResult{status: report.StatusSkipped, result: map[string]any{"changed": false, "skipped": true, "skip_reason": "Verbosity threshold not met."}}
	}
	mc, err := e.moduleContext(ctx, h, t, sc, vars, check, delegate, spec)
	if err != nil {
		if unreachable(err) {
			return unreachableItem(err)
		}
		return failedItem(taskError(t, h.name, err))
	}
	return e.runWithRetries(ctx, mod, mc, args, h, t, vars)
}

// bindArgs renders the task's arguments for this host and binds them to the
// module's declared parameters; values that render to omit are dropped.
func (e *engine) bindArgs(spec *modules.Spec, t *playbook.Task, vars map[string]any) (modules.Args, error) {
	rendered, err := renderDeep(t.Args, vars)
	if err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	raw, _ := rendered.(map[string]any)
	for k, v := range raw {
		if s, ok := v.(string); ok && s == omitPlaceholder {
			delete(raw, k)
		}
	}
	args, err := spec.Bind(raw, true)
	if err != nil {
		return nil, err
	}
	for _, p := range spec.Params {
		if v, ok := args[p.Name]; ok && p.NoLog {
			e.opt.Redactor.Add(secret.All(v, nil)...) // a string, or the data map of a Secret
		}
	}
	return args, nil
}

// runWithRetries runs the module, retrying while until: is false, exactly
// as ansible-core 2.14 does (pinned by test/ansible_quiet_test.go): at most
// retries + 1 runs (retries defaults to 3); when they are used up the task
// fails and its result says attempts = retries, one less than the runs
// made, as 2.14 reports it. retries: 0 (or less) runs once and leaves the
// result as the module gave it: until is not consulted.
func (e *engine) runWithRetries(ctx context.Context, mod modules.Module, mc *modules.Context, args modules.Args, h *hostState, t *playbook.Task, vars map[string]any) itemResult {
	attempts := 1
	if len(t.Until) > 0 {
		attempts = 4 // Ansible: retries defaults to 3 when until is set
		if t.Retries != nil {
			attempts = max(0, *t.Retries) + 1
		}
	}
	if attempts == 1 {
		r := e.runOnce(ctx, mod, mc, args, h, t, vars)
		if len(t.Until) > 0 && r.status != report.StatusUnreachable {
			r.result["attempts"] = 1
		}
		return r
	}
	delay := 5 * time.Second
	if t.Delay != nil {
		delay = time.Duration(*t.Delay * float64(time.Second))
	}
	var r itemResult
	for attempt := 1; ; attempt++ {
		r = e.runOnce(ctx, mod, mc, args, h, t, vars)
		if len(t.Until) == 0 || r.status == report.StatusUnreachable {
			return r
		}
		r.result["attempts"] = attempt
		done, err := condition(t.Until, withRegistered(vars, t, r.result))
		if err != nil {
			return failedItem(taskError(t, h.name, fmt.Errorf("until: %w", err)))
		}
		if done {
			// until only ends the retries: a failed result stays failed,
			// as in ansible-core (TestUntilKeepsFailure).
			return r
		}
		if attempt >= attempts {
			r.status, r.result["failed"], r.result["attempts"] = report.StatusFailed, true, attempt-1
			if _, ok := r.result["msg"]; !ok {
				r.result["msg"] = fmt.Sprintf("until condition not met after %d runs", attempt)
			}
			return r
		}
		e.emit(report.Event{Type: report.EventRetry, Host: h.name, Task: t.DisplayName(), RetriesLeft: attempts - attempt})
		if !sleepCtx(ctx, delay, e.opt.Stop) {
			return r
		}
	}
}

func okStatus(changed bool) string {
	if changed {
		return report.StatusChanged
	}
	return report.StatusOK
}

// sleepCtx waits d, returning false if the run was cancelled or stopped.
func sleepCtx(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

func withRegistered(vars map[string]any, t *playbook.Task, result map[string]any) map[string]any {
	if t.Register == "" {
		return mergeInto(vars, map[string]any{"result": result})
	}
	return mergeInto(vars, map[string]any{t.Register: result})
}

// runOnce calls the module once and applies changed_when and failed_when.
func (e *engine) runOnce(ctx context.Context, mod modules.Module, mc *modules.Context, args modules.Args, h *hostState, t *playbook.Task, vars map[string]any) itemResult {
	res, err := safeRun(ctx, mod, mc, args)
	if err != nil {
		if unreachable(err) {
			return unreachableItem(err)
		}
		// A module's error says what failed on which host; where the task
		// is comes from here, as for the engine's own errors.
		res = &modules.Result{Failed: true, Msg: taskError(t, h.name, err)}
	}
	e.opt.Redactor.Add(res.Secrets...)
	m := res.Map()
	changed, failed := res.Changed, res.Failed
	if len(t.ChangedWhen) > 0 {
		c, err := condition(t.ChangedWhen, withRegistered(vars, t, m))
		if err != nil {
			return failedItem(taskError(t, h.name, fmt.Errorf("changed_when: %w", err)))
		}
		changed = c
		m["changed"] = c
	}
	if len(t.FailedWhen) > 0 {
		f, err := condition(t.FailedWhen, withRegistered(vars, t, m))
		if err != nil {
			return failedItem(taskError(t, h.name, fmt.Errorf("failed_when: %w", err)))
		}
		failed = f
		m["failed"] = f
		m["failed_when_result"] = f
	}
	r := itemResult{result: m, changed: changed, facts: res.Facts}
	switch {
	case failed:
		r.status = report.StatusFailed
		if _, ok := m["msg"]; !ok && len(t.FailedWhen) == 0 {
			m["msg"] = "the module reported a failure"
		}
	case res.Skipped:
		r.status = report.StatusSkipped
	default:
		r.status = okStatus(changed)
	}
	return r
}

// safeRun calls the module and turns a panic into a failure of this task on
// this host: a bug in one module must not take down a run on a fleet.
func safeRun(ctx context.Context, mod modules.Module, mc *modules.Context, args modules.Args) (res *modules.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("internal error in module %s: %v", mod.Spec().Name, p)
		}
	}()
	res, err = mod.Run(ctx, mc, args)
	if err == nil && res == nil {
		err = errors.New("module returned no result")
	}
	return res, err
}

// moduleContext builds what the module sees: connection, check/diff flags,
// become, environment, and evaluation helpers bound to this host's vars.
func (e *engine) moduleContext(ctx context.Context, h *hostState, t *playbook.Task, sc *scope, vars map[string]any, check bool, delegate string, spec *modules.Spec) (*modules.Context, error) {
	noLog := boolOr(firstBool(t.NoLog, sc.noLog), false)
	mc := &modules.Context{
		Host:        h.name,
		Check:       check,
		Diff:        e.diffOn(sc, t),
		PlaybookDir: sc.filesDir(),
		ProjectDir:  e.playbookDir(),
		Vars:        vars,
		Eval:        func(expr string) (any, error) { return evalExpr(expr, vars) },
		Render:      func(name, text string) (string, error) { return eval.RenderTemplate(name, text, vars) },
		Log:         func(string, ...any) {},
		Predicted:   &h.predicted,
		Progress:    progressHook(ctx),
		Connect: func(ctx context.Context, host string) (transport.Transport, error) {
			return e.conns.get(ctx, host, e.delegateVars(host), noLog)
		},
	}
	mc.BecomeOn = func(host string) *transport.Become {
		hv := e.delegateVars(host)
		if !truthyVar(hv, "ansible_become") {
			return nil
		}
		return e.becomeFrom("", hv)
	}
	if boolOr(firstBool(t.Become, sc.become), truthyVar(vars, "ansible_become")) {
		user := t.BecomeUser
		if user == "" {
			user = sc.becomeUser
		}
		mc.Become = e.becomeFrom(user, vars)
	}
	if env, err := e.environment(sc, t, vars); err != nil {
		return nil, err
	} else {
		mc.Env = env
		for k, v := range env { // DB_PASSWORD: literal, shown in -vvv EXEC lines
			e.opt.Redactor.Add(secret.Named(k, v, nil)...)
		}
	}
	if spec.RunsOnController {
		return mc, nil
	}
	target, targetVars := h.name, vars
	if delegate != "" {
		target, targetVars = delegate, e.delegateVars(delegate)
		mc.Predicted = &e.host(delegate).predicted // what would be written is on the delegate
	}
	conn, err := e.conns.get(ctx, target, targetVars, noLog)
	if err != nil {
		return nil, err
	}
	mc.Conn = conn
	return mc, nil
}

func truthyVar(vars map[string]any, name string) bool {
	v, ok := vars[name]
	return ok && eval.Truthy(v)
}

// environment renders the environment: keywords of play, blocks and task.
func (e *engine) environment(sc *scope, t *playbook.Task, vars map[string]any) (map[string]string, error) {
	if len(sc.env) == 0 && len(t.Environment) == 0 {
		return nil, nil
	}
	merged := make(map[string]any, len(sc.env)+len(t.Environment))
	for k, v := range sc.env {
		merged[k] = v
	}
	for k, v := range t.Environment {
		merged[k] = v
	}
	rendered, err := renderDeep(merged, vars)
	if err != nil {
		return nil, fmt.Errorf("environment: %w", err)
	}
	out := map[string]string{}
	for k, v := range rendered.(map[string]any) {
		if v == nil {
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

// delegateFor renders delegate_to for this host ("" when not delegated).
func (e *engine) delegateFor(sc *scope, t *playbook.Task, vars map[string]any) (string, error) {
	d := t.DelegateTo
	if d == "" {
		d = sc.delegateTo
	}
	if d == "" {
		return "", nil
	}
	v, err := renderDeep(d, vars)
	if err != nil {
		return "", fmt.Errorf("delegate_to: %w", err)
	}
	return strings.TrimSpace(fmt.Sprint(v)), nil
}

// delegateVars are the connection variables of a delegate: its inventory
// variables when it is in the inventory, else its name as the address.
func (e *engine) delegateVars(name string) map[string]any {
	if _, ok := e.inv.Host(name); ok {
		return e.inventoryVars(name)
	}
	return map[string]any{"ansible_host": name}
}

// conditionsHold evaluates the inherited and own when: conditions.
func (e *engine) conditionsHold(sc *scope, t *playbook.Task, vars map[string]any) (bool, error) {
	if len(sc.when) > 0 {
		ok, err := condition(sc.when, vars)
		if err != nil || !ok {
			return ok, err
		}
	}
	// Blocks contribute their when: through the scope; a block's own
	// condition is not evaluated again for itself.
	if t.IsBlock() {
		return true, nil
	}
	return condition(t.When, vars)
}

// unreachableItem is the result of a task on a host that could not be
// reached. host_down says whether the host did not answer at all (what
// ignore_unreachable may ignore) or answered and refused the session.
func unreachableItem(err error) itemResult {
	return itemResult{status: report.StatusUnreachable, result: map[string]any{"unreachable": true, "changed": false,
		"host_down": transport.IsHostDown(err), "msg": err.Error()}}
}

// becomeFrom is the become of a host with variables vars: user (when the
// task or play names one) or ansible_become_user, and the become password.
func (e *engine) becomeFrom(user string, vars map[string]any) *transport.Become {
	if user == "" {
		user, _ = vars["ansible_become_user"].(string)
	}
	pw, _ := vars["ansible_become_password"].(string)
	if pw == "" {
		pw, _ = vars["ansible_become_pass"].(string)
	}
	e.opt.Redactor.Add(pw)
	return &transport.Become{User: user, Password: pw}
}
