package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// playRun is the state of one play (one serial batch at a time).
type playRun struct {
	play      *playbook.Play
	all       []*hostState // every host the play targets that is still in the run
	targets   []*hostState // every host the play targets, failed ones too
	batch     []*hostState // the current serial batch
	varsFiles map[string]any
	// hostVarsFiles are the vars_files entries templated with host
	// variables: read per host and task (varsfiles.go).
	hostVarsFiles []playbook.VarsFile
	playVars      map[string]any
	aborted       bool // any_errors_fatal, max_fail_percentage or end_play
	roles         *playRoles
	// delegated are facts for delegates (delegate_facts), stored once
	// every host has run the task; guarded by engine.mu.
	delegated []delegatedFacts
}

// activeBatch returns the batch's hosts that are still in the play.
func (pr *playRun) activeBatch() []*hostState {
	var out []*hostState
	for _, h := range pr.batch {
		if h.active() {
			out = append(out, h)
		}
	}
	return out
}

// PlayHosts returns the hosts a play targets, in inventory order: its hosts
// pattern (rendered with play vars and extra vars) narrowed by limit. The
// engine and --list-hosts both use it, so a listing never disagrees with a
// run.
func PlayHosts(inv *inventory.Inventory, play *playbook.Play, extra map[string]any, limit string) (pattern string, hosts []string, err error) {
	pattern, err = renderPlayString(play.Hosts, play.Vars, extra)
	if err != nil {
		return "", nil, &playbook.Error{Pos: play.Pos, Msg: "hosts", Err: err}
	}
	hosts, err = inv.Select(pattern)
	if err != nil {
		return "", nil, &playbook.Error{Pos: play.Pos, Msg: fmt.Sprintf("hosts: %q", pattern), Err: err}
	}
	if limit != "" {
		limited, err := inv.Select(limit)
		if err != nil {
			return "", nil, fmt.Errorf("--limit %q: %w", limit, err)
		}
		hosts = intersect(hosts, limited)
	}
	return pattern, hosts, nil
}

func (e *engine) runPlay(ctx context.Context, play *playbook.Play) error {
	vars, err := e.promptVars(play, play.Vars)
	if err != nil {
		return err
	}
	prompted := *play // hosts: and vars_files may use the answers, as in Ansible
	prompted.Vars = vars
	pattern, names, err := PlayHosts(e.inv, &prompted, e.opt.ExtraVars, e.opt.Limit)
	if err != nil {
		return err
	}
	e.emit(report.Event{Type: report.EventPlayStart, Play: play.Name, Pattern: pattern, Hosts: names})
	pr := &playRun{play: play, playVars: vars, roles: &playRoles{hostvars: rolesMentionHostvars(play)}}
	for _, n := range names {
		h := e.host(n)
		e.mu.Lock()
		h.played = true
		e.mu.Unlock()
		pr.targets = append(pr.targets, h)
		if h.cleared {
			h.failed, h.unreachable = false, false
		}
		if !h.failed && !h.unreachable && !h.lost {
			h.ended = false
			h.notified = map[string]bool{}
			pr.all = append(pr.all, h)
		}
	}
	if len(pr.all) == 0 {
		if len(names) == 0 { // not merely every host already failed
			what := fmt.Sprintf("the host pattern %q", pattern)
			if e.opt.Limit != "" {
				what += fmt.Sprintf(" with --limit %q", e.opt.Limit)
			}
			e.warn("%s matches no host of the inventory: check it against 'runbook inventory -i ... --graph'", what)
		}
		e.emit(report.Event{Type: report.EventNoHosts, Play: play.Name, Pattern: pattern})
		return nil
	}
	if pr.varsFiles, pr.hostVarsFiles, err = e.loadVarsFiles(&prompted); err != nil {
		return err
	}
	for _, batch := range serialBatches(play.Serial, pr.all) {
		if e.stopRequested() || pr.aborted {
			break
		}
		pr.batch = batch
		e.runBatch(ctx, pr)
		if allFailed(batch) {
			// Every host of the batch failed (any_errors_fatal marks them
			// all): as Ansible does, the playbook ends here, so a later
			// play never acts on the word of a check that failed.
			e.playbookOver = true
			break
		}
	}
	return nil
}

// allFailed reports whether every host of the batch failed or was
// unreachable.
func allFailed(hs []*hostState) bool {
	for _, h := range hs {
		if !h.failed && !h.unreachable {
			return false
		}
	}
	return len(hs) > 0
}

func (e *engine) runBatch(ctx context.Context, pr *playRun) {
	play := pr.play
	sc := &scope{
		tags:              play.Tags,
		become:            play.Become,
		becomeUser:        play.BecomeUser,
		remoteUser:        play.RemoteUser,
		check:             play.CheckMode,
		diff:              play.Diff,
		dir:               play.Pos.Dir(),
		ignoreUnreachable: boolPtrIf(play.IgnoreUnreachable),
	}
	if play.NoLog {
		sc.noLog = boolPtrIf(true)
	}
	if l, ok := envOf(play.Pos, play.Environment, play.EnvironmentExpr); ok {
		sc.env = []envLayer{l}
	}
	if play.GatherFacts == nil || *play.GatherFacts {
		e.gatherFacts(ctx, pr, sc)
	}
	for _, section := range [][]*playbook.Task{play.PreTasks, play.Tasks, play.PostTasks} {
		if len(section) == 0 {
			continue
		}
		e.runTasks(ctx, pr, section, sc)
		e.flushHandlers(ctx, pr, sc)
	}
}

func boolPtrIf(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// gatherFacts runs the setup module on every host of the batch.
func (e *engine) gatherFacts(ctx context.Context, pr *playRun, sc *scope) {
	t := &playbook.Task{Pos: pr.play.Pos, Name: "Gathering Facts", Module: "setup", Args: map[string]any{}, Tags: []string{"always"},
		When: pr.play.ImportWhen}
	saved := e.started
	e.started = true // --start-at-task does not skip fact gathering
	e.runLeaf(ctx, pr, t, sc)
	e.started = saved
}

// renderWithExtra renders play-level strings (hosts:, vars_files paths),
// which can only see play vars and extra vars.
func (e *engine) renderWithExtra(s string, playVars map[string]any) (string, error) {
	return renderPlayString(s, playVars, e.opt.ExtraVars)
}

func renderPlayString(s string, playVars, extra map[string]any) (string, error) {
	if !eval.HasTemplate(s) {
		return s, nil
	}
	vars := copyMap(playVars)
	for k, v := range extra {
		vars[k] = v
	}
	v, err := eval.Render(s, vars)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ","), nil
	}
	return fmt.Sprint(v), nil
}

// loadVarsFiles loads a play's vars_files in order, later files winning.
// Each entry may list alternatives; the first that exists is used.
func (e *engine) loadVarsFiles(play *playbook.Play) (map[string]any, []playbook.VarsFile, error) {
	out := map[string]any{}
	var perHost []playbook.VarsFile
entries:
	for _, vf := range play.VarsFiles {
		var loaded bool
		var tried []string
		for _, p := range vf.Paths {
			path, err := e.renderWithExtra(p, play.Vars)
			var u *eval.UndefinedError
			if errors.As(err, &u) {
				// Needs a host's variables (inventory, facts): per host.
				perHost = append(perHost, vf)
				continue entries
			}
			if err != nil {
				return nil, nil, &playbook.Error{Pos: vf.Pos, Msg: "vars_files", Err: err}
			}
			if !strings.HasPrefix(path, "/") {
				path = play.Pos.Dir() + "/" + path
			}
			tried = append(tried, path)
			if _, err := os.Stat(path); err != nil {
				continue
			}
			vars, err := e.varsFileCache.load(path)
			if err != nil {
				return nil, nil, &playbook.Error{Pos: vf.Pos, Msg: "vars_files", Err: err}
			}
			for k, v := range vars {
				out[k] = v
			}
			loaded = true
			break
		}
		if !loaded {
			return nil, nil, &playbook.Error{Pos: vf.Pos, Msg: fmt.Sprintf("vars_files: none of these files exists: %s", strings.Join(tried, ", "))}
		}
	}
	e.opt.Redactor.Add(collectSecrets(out, nil)...)
	e.opt.Redactor.Add(collectSecrets(play.Vars, nil)...)
	return out, perHost, nil
}

// serialBatches splits hosts into batches by the play's serial: ints,
// percentages, or a list whose last value repeats.
func serialBatches(serial []any, hosts []*hostState) [][]*hostState {
	if len(serial) == 0 {
		return [][]*hostState{hosts}
	}
	var out [][]*hostState
	rest := hosts
	for i := 0; len(rest) > 0; i++ {
		spec := serial[min(i, len(serial)-1)]
		size := batchSize(spec, len(hosts))
		if size <= 0 || size > len(rest) {
			size = len(rest)
		}
		out = append(out, rest[:size])
		rest = rest[size:]
	}
	return out
}

func batchSize(spec any, total int) int {
	switch x := spec.(type) {
	case int:
		return x
	case string:
		pct, err := strconv.ParseFloat(strings.TrimSuffix(x, "%"), 64)
		if err != nil {
			return total
		}
		return max(1, int(math.Floor(float64(total)*pct/100)))
	}
	return total
}

func intersect(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}
