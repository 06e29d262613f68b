package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
	"github.com/runbook-dev/runbook/transport"
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
func (ht *hostTask) runItem(ctx context.Context, vars map[string]any) itemResult {
	ok, err := ht.e.conditionsHold(ht.sc, ht.t, vars)
	if err != nil {
		return failedItem(taskError(ht.t, ht.h.name, fmt.Errorf("when: %w", err)))
	}
	if !ok {
		return itemResult{status: report.StatusSkipped, result: map[string]any{"changed": false, "skipped": true, "skip_reason": "Conditional result was False"}}
	}
	mod, found := module.Lookup(ht.t.Module)
	if !found {
		return failedItem(taskError(ht.t, ht.h.name, fmt.Errorf("unknown module %q", ht.t.Module)))
	}
	spec := mod.Spec()
	args, err := ht.e.bindArgs(spec, ht.t, vars)
	if err != nil {
		return failedItem(taskError(ht.t, ht.h.name, err))
	}
	if ht.check && spec.Check == module.CheckNone {
		return itemResult{status: report.StatusSkipped, result: map[string]any{"changed": false, "skipped": true,
			"msg": fmt.Sprintf("This module (%s) does not support check mode", spec.Name)}}
	}
	if spec.Prints && args.Int("verbosity") > ht.e.opt.Verbosity {
		return itemResult{status: report.StatusSkipped, result: map[string]any{"changed": false, "skipped": true, "skip_reason": "Verbosity threshold not met."}}
	}
	mc, err := ht.moduleContext(ctx, vars, spec)
	if err != nil {
		if unreachable(err) {
			return unreachableItem(err)
		}
		return failedItem(taskError(ht.t, ht.h.name, err))
	}
	return ht.runWithRetries(ctx, mod, mc, args, vars)
}

// bindArgs renders the task's arguments for this host and binds them to the
// module's declared parameters; values that render to omit are dropped.
func (e *engine) bindArgs(spec *module.Spec, t *playbook.Task, vars map[string]any) (module.Args, error) {
	rendered, err := renderDeep(t.Args, vars)
	e.opt.Redactor.Add(eval.ProducedSecrets()...) // a password_hash's password and hash, whatever the variable
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
func (ht *hostTask) runWithRetries(ctx context.Context, mod module.Module, mc *module.Context, args module.Args, vars map[string]any) itemResult {
	attempts := 1
	if len(ht.t.Until) > 0 {
		attempts = 4 // Ansible: retries defaults to 3 when until is set
		if ht.t.Retries != nil {
			attempts = max(0, *ht.t.Retries) + 1
		}
	}
	if attempts == 1 {
		r := ht.runOnce(ctx, mod, mc, args, vars)
		if len(ht.t.Until) > 0 && r.status != report.StatusUnreachable {
			r.result["attempts"] = 1
		}
		return r
	}
	delay := 5 * time.Second
	if ht.t.Delay != nil {
		delay = time.Duration(*ht.t.Delay * float64(time.Second))
	}
	var r itemResult
	for attempt := 1; ; attempt++ {
		r = ht.runOnce(ctx, mod, mc, args, vars)
		if len(ht.t.Until) == 0 || r.status == report.StatusUnreachable {
			return r
		}
		r.result["attempts"] = attempt
		done, err := condition(ht.t.Until, withRegistered(vars, ht.t, r.result))
		if err != nil {
			return failedItem(taskError(ht.t, ht.h.name, fmt.Errorf("until: %w", err)))
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
		ht.e.emit(report.Event{Type: report.EventRetry, Host: ht.h.name, Task: ht.t.DisplayName(), RetriesLeft: attempts - attempt})
		if !sleepCtx(ctx, delay, ht.e.opt.Stop) {
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
func (ht *hostTask) runOnce(ctx context.Context, mod module.Module, mc *module.Context, args module.Args, vars map[string]any) itemResult {
	res, err := safeRun(ctx, mod, mc, args)
	if err != nil {
		if unreachable(err) {
			return unreachableItem(err)
		}
		// A module's error says what failed on which host; where the task
		// is comes from here, as for the engine's own errors.
		res = &module.Result{Failed: true, Msg: taskError(ht.t, ht.h.name, err)}
	}
	ht.e.opt.Redactor.Add(res.Secrets...)
	m := res.Map()
	changed, failed := res.Changed, res.Failed
	if len(ht.t.ChangedWhen) > 0 {
		c, err := condition(ht.t.ChangedWhen, withRegistered(vars, ht.t, m))
		if err != nil {
			return failedItem(taskError(ht.t, ht.h.name, fmt.Errorf("changed_when: %w", err)))
		}
		changed = c
		m["changed"] = c
	}
	if len(ht.t.FailedWhen) > 0 {
		f, err := condition(ht.t.FailedWhen, withRegistered(vars, ht.t, m))
		if err != nil {
			return failedItem(taskError(ht.t, ht.h.name, fmt.Errorf("failed_when: %w", err)))
		}
		failed = f
		m["failed"] = f
		m["failed_when_result"] = f
	}
	r := itemResult{result: m, changed: changed, facts: res.Facts}
	switch {
	case failed:
		r.status = report.StatusFailed
		if _, ok := m["msg"]; !ok && len(ht.t.FailedWhen) == 0 {
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
func safeRun(ctx context.Context, mod module.Module, mc *module.Context, args module.Args) (res *module.Result, err error) {
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
func (ht *hostTask) moduleContext(ctx context.Context, vars map[string]any, spec *module.Spec) (*module.Context, error) {
	mc := &module.Context{
		Host:        ht.h.name,
		Check:       ht.check,
		Diff:        ht.diff,
		PlaybookDir: ht.sc.filesDir(),
		ProjectDir:  ht.e.playbookDir(),
		Vars:        vars,
		Eval:        func(expr string) (any, error) { return evalExpr(expr, vars) },
		Render:      func(name, text string) (string, error) { return eval.RenderTemplate(name, text, vars) },
		Log:         func(string, ...any) {},
		Predicted:   &ht.h.predicted,
		Progress:    progressHook(ctx),
		Connect: func(ctx context.Context, host string) (transport.Transport, error) {
			return ht.e.conns.get(ctx, host, ht.e.delegateVars(host), ht.noLog)
		},
	}
	mc.BecomeOn = func(host string) *transport.Become {
		hv := ht.e.delegateVars(host)
		if !truthyVar(hv, "ansible_become") {
			return nil
		}
		return ht.e.becomeFrom("", hv)
	}
	if boolOr(firstBool(ht.t.Become, ht.sc.become), ht.e.becomeDefault(vars)) {
		user := ht.t.BecomeUser
		if user == "" {
			user = ht.sc.becomeUser
		}
		mc.Become = ht.e.becomeFrom(user, vars)
	}
	if env, err := ht.e.environment(ht.sc, ht.t, vars); err != nil {
		return nil, err
	} else {
		mc.Env = env
		for k, v := range env { // DB_PASSWORD: literal, shown in -vvv EXEC lines
			ht.e.opt.Redactor.Add(secret.Named(k, v, nil)...)
		}
	}
	if spec.RunsOnController {
		return mc, nil
	}
	target, targetVars := ht.h.name, vars
	if ht.delegate != "" {
		target, targetVars = ht.delegate, ht.e.delegateVars(ht.delegate)
		mc.Predicted = &ht.e.host(ht.delegate).predicted // what would be written is on the delegate
	}
	targetVars, err := ht.withRemoteUser(targetVars, vars)
	if err != nil {
		return nil, err
	}
	mc.Reconnect = func(ctx context.Context) (transport.Transport, error) {
		ht.e.conns.reset(target)
		return ht.e.conns.get(ctx, target, targetVars, ht.noLog)
	}
	if spec.DialsItself {
		return mc, nil
	}
	conn, err := ht.e.conns.get(ctx, target, targetVars, ht.noLog)
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

// becomeDefault is whether a task becomes when neither it nor its play or
// blocks say: the ansible_become variable, else ansible.cfg's become.
func (e *engine) becomeDefault(vars map[string]any) bool {
	if v, ok := vars["ansible_become"]; ok {
		return eval.Truthy(v)
	}
	return boolOr(e.opt.Become, false)
}

// becomeFrom is the become of a host with variables vars: user (when the
// task or play names one) or ansible_become_user, and the become password.
func (e *engine) becomeFrom(user string, vars map[string]any) *transport.Become {
	if user == "" {
		user, _ = vars["ansible_become_user"].(string)
	}
	if user == "" {
		user = e.opt.BecomeUser
	}
	pw, _ := vars["ansible_become_password"].(string)
	if pw == "" {
		pw, _ = vars["ansible_become_pass"].(string)
	}
	e.opt.Redactor.Add(pw)
	return &transport.Become{User: user, Password: pw}
}
