package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// runLoop runs the task once per loop item and folds the results the way
// Ansible registers them: {results: [...], changed, failed, skipped, msg}.
func (ht *hostTask) runLoop(ctx context.Context, vars map[string]any) outcome {
	items, err := ht.e.loopItems(ht.t, vars)
	if err != nil {
		msg := taskError(ht.t, ht.h.name, err)
		return outcome{status: report.StatusFailed, result: map[string]any{"failed": true, "changed": false, "msg": msg}}
	}
	results := make([]any, 0, len(items))
	anyChanged, anyFailed, allSkipped := false, false, true
	facts := map[string]any{}
	for i, item := range items {
		if ht.e.stopRequested() {
			break
		}
		loopVars := ht.e.loopVarsFor(ht.t, items, i)
		ht.e.opt.Redactor.Add(collectSecrets(loopVars, nil)...) // an item's password
		itemVars := mergeInto(vars, loopVars)
		r, itemDelegate := ht.runDelegatedItem(ctx, itemVars)
		if r.status == report.StatusUnreachable {
			return outcome{status: r.status, result: r.result}
		}
		loopVar := loopVarName(ht.t)
		r.result[loopVar] = item
		r.result["ansible_loop_var"] = loopVar
		if ht.t.LoopControl.IndexVar != "" {
			r.result[ht.t.LoopControl.IndexVar] = i
		}
		if ht.t.LoopControl.Extended { // Ansible returns it with each item's result
			r.result["ansible_loop"] = loopVars["ansible_loop"]
		}
		results = append(results, r.result)
		anyChanged = anyChanged || r.changed
		anyFailed = anyFailed || r.status == report.StatusFailed
		allSkipped = allSkipped && r.status == report.StatusSkipped
		for k, v := range r.facts {
			facts[k] = v
		}
		if len(r.facts) > 0 && i < len(items)-1 && !(ht.t.DelegateFacts && ht.delegate != "") {
			// The next item sees the facts this one set, as in Ansible:
			// set_fact in a loop accumulating a list.
			ht.e.storeFacts(ht.h, ht.t.Module, r.facts)
			vars = ht.e.taskVarsWith(ht.pr, ht.h, ht.sc, ht.t, ht.common)
		}
		ev := report.Event{Type: report.EventHostResult, Task: ht.t.DisplayName(), Host: ht.h.name, Delegate: itemDelegate,
			Status: r.status, IsItem: true, Item: ht.e.itemLabel(ht.t, item, itemVars), Module: ht.t.Module, Result: r.result}
		if ht.noLog {
			ev.Item, ev.Result = "None", censored(r.changed)
		}
		ht.e.emit(ev)
	}
	out := outcome{changed: anyChanged, facts: facts, result: map[string]any{
		"results": results, "changed": anyChanged, "failed": anyFailed, "msg": "All items completed",
	}}
	switch {
	case anyFailed:
		out.status = report.StatusFailed
		out.result["msg"] = "One or more items failed"
	case allSkipped:
		out.status = report.StatusSkipped
		out.result["skipped"] = true
	default:
		out.status = okStatus(anyChanged)
	}
	return out
}

func loopVarName(t *playbook.Task) string {
	if t.LoopControl.LoopVar != "" {
		return t.LoopControl.LoopVar
	}
	return "item"
}

// valueKind names the kind of a rendered value for error messages.
func valueKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case int, int64, float64:
		return "a number"
	}
	return "not a list"
}

// loopItems renders the loop (or with_items) into its list of items.
func (e *engine) loopItems(t *playbook.Task, vars map[string]any) ([]any, error) {
	if !t.HasLoop {
		return []any{nil}, nil
	}
	v, err := renderDeep(t.Loop, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loopKeyword(t), err)
	}
	if t.LoopKind != "" && t.LoopKind != "loop" && t.LoopKind != "with_items" {
		return withItems(t, v, vars)
	}
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case nil:
		items = nil
	case string:
		if t.FlattenLoop { // with_items: "a" is a one-item list
			items = []any{x}
			break
		}
		return nil, fmt.Errorf("loop: expected a list, got the string %q", x)
	case map[string]any:
		return nil, fmt.Errorf("loop: expected a list, got a mapping: loop over dict2items(...) for its key/value pairs, or keys(...)")
	default:
		return nil, fmt.Errorf("loop: expected a list, got %v (%s)", v, valueKind(v))
	}
	if t.FlattenLoop { // the items lookup flattens one level
		return eval.Lookup("items", items, vars, t.Module)
	}
	return items, nil
}

// loopKeyword names the task's loop keyword for errors.
func loopKeyword(t *playbook.Task) string {
	if t.LoopKind != "" {
		return t.LoopKind
	}
	return "loop"
}

// loopVarsFor returns the variables of item index of items. ansible_loop
// has index, index0, first, last and length always; loop_control.extended
// adds revindex, revindex0, previtem, nextitem and (unless
// extended_allitems: false) allitems, as in Ansible.
func (e *engine) loopVarsFor(t *playbook.Task, items []any, index int) map[string]any {
	length := len(items)
	info := map[string]any{
		"index": index + 1, "index0": index, "first": index == 0, "last": index == length-1, "length": length,
	}
	if lc := t.LoopControl; lc.Extended {
		info["revindex"], info["revindex0"] = length-index, length-index-1
		if index > 0 {
			info["previtem"] = items[index-1]
		}
		if index+1 < length {
			info["nextitem"] = items[index+1]
		}
		if lc.ExtendedAllItems == nil || *lc.ExtendedAllItems {
			info["allitems"] = items
		}
	}
	m := map[string]any{
		loopVarName(t):     items[index],
		"ansible_loop_var": loopVarName(t),
		"ansible_loop":     info,
	}
	if t.LoopControl.IndexVar != "" {
		m[t.LoopControl.IndexVar] = index
	}
	return m
}

// itemLabel is what "(item=...)" shows: loop_control.label, or the item.
func (e *engine) itemLabel(t *playbook.Task, item any, vars map[string]any) string {
	if t.LoopControl.Label != "" {
		if v, err := eval.Render(t.LoopControl.Label, vars); err == nil {
			return fmt.Sprint(v)
		}
		return t.LoopControl.Label
	}
	switch x := item.(type) {
	case string:
		return x
	case map[string]any, []any:
		return report.CompactJSON(x)
	}
	return fmt.Sprint(item)
}

// taskVars builds the variables a task sees on a host, outside any loop.
func (e *engine) taskVars(pr *playRun, h *hostState, sc *scope, t *playbook.Task) map[string]any {
	return e.taskVarsWith(pr, h, sc, t, e.commonMagic(pr, t))
}

func (e *engine) taskVarsWith(pr *playRun, h *hostState, sc *scope, t *playbook.Task, common map[string]any) map[string]any {
	scoped := sc.vars
	if t.Vars != nil && !t.IsBlock() {
		scoped = append(append([]map[string]any{}, sc.vars...), t.Vars)
	}
	magic := make(map[string]any, len(common)+4)
	for k, v := range common {
		magic[k] = v
	}
	magic["inventory_hostname"] = h.name
	magic["inventory_hostname_short"] = strings.SplitN(h.name, ".", 2)[0]
	if _, ok := e.inv.Host(h.name); ok {
		magic["group_names"] = stringsToAny(e.inv.HostGroupNames(h.name))
	}
	if sc.role != nil {
		magic["role_name"] = sc.role.Name
		magic["role_path"] = sc.role.Path
	}
	magic["ansible_search_path"] = sc.searchPath()
	l := varLayers{
		inventory:  e.inventoryVars(h.name),
		facts:      h.facts,
		play:       pr.playVars,
		varsFiles:  pr.varsFiles,
		scoped:     scoped,
		included:   h.included,
		registered: h.registered,
		magic:      magic,
		extra:      e.opt.ExtraVars,
	}
	l.roles = e.roleLayers(pr, sc.role)
	vars := l.merge()
	if len(pr.hostVarsFiles) > 0 {
		files, err := e.hostVarsFiles(pr, h, vars)
		h.varsFilesErr = err
		if len(files) > 0 {
			merged := copyMap(pr.varsFiles)
			for k, v := range files {
				merged[k] = v
			}
			l.varsFiles = merged
			vars = l.merge()
		}
	}
	connectionVars(h.name, e.opt.Connection, vars)
	e.opt.Redactor.Add(l.secretsOf(vars)...)
	return vars
}

// commonMagic returns the magic variables shared by every host of a task.
func (e *engine) commonMagic(pr *playRun, t *playbook.Task) map[string]any {
	play := make([]any, 0, len(pr.all))
	for _, h := range pr.all {
		if h.active() {
			play = append(play, h.name)
		}
	}
	batch := make([]any, 0, len(pr.batch))
	for _, h := range pr.batch {
		if h.active() {
			batch = append(batch, h.name)
		}
	}
	m := map[string]any{
		"groups":              e.groups,
		"play_hosts":          play,
		"ansible_play_hosts":  play,
		"ansible_play_batch":  batch,
		"ansible_check_mode":  e.opt.Check,
		"ansible_diff_mode":   e.opt.Diff,
		"ansible_verbosity":   e.opt.Verbosity,
		"ansible_play_name":   pr.play.Name,
		"playbook_dir":        e.playbookDir(),
		"omit":                omitPlaceholder,
		"ansible_run_tags":    runTags(e.opt.Tags),
		"ansible_skip_tags":   stringsToAny(e.opt.SkipTags),
		"ansible_forks":       e.opt.Forks,
		"ansible_config_file": nil,
		"ansible_version":     ansibleVersion,
	}
	roles := make([]any, 0, len(pr.play.Roles))
	for _, r := range pr.play.Roles {
		roles = append(roles, r.Name)
	}
	m["ansible_play_role_names"], m["ansible_role_names"] = roles, roles
	m["inventory_file"], m["inventory_dir"] = e.inventorySource()
	if mentionsHostvars(pr, t) || e.dirs.hostvars || pr.roles.hostvars {
		m["hostvars"] = e.hostvars()
	}
	return m
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// hostvars maps every inventory host to its variables (inventory, facts,
// registered). Building it costs a merge per host, so it is only built for
// tasks that mention hostvars.
func (e *engine) hostvars() map[string]any {
	out := map[string]any{}
	for _, ih := range e.inv.Hosts() {
		h := e.host(ih.Name)
		m := copyMap(e.inventoryVars(ih.Name))
		for k, v := range h.facts {
			m[k] = v
		}
		for _, layer := range []map[string]any{h.included, h.registered} {
			for k, v := range layer {
				m[k] = v
			}
		}
		m["inventory_hostname"] = ih.Name
		out[ih.Name] = m
	}
	// The implicit localhost, once a play ran on it, as Ansible gives it on
	// demand: a play on localhost can set facts that later plays read
	// through hostvars.localhost.
	if _, ok := out["localhost"]; !ok {
		e.mu.Lock()
		h, played := e.hosts["localhost"]
		e.mu.Unlock()
		if played {
			m := copyMap(e.inventoryVars("localhost"))
			for k, v := range h.facts {
				m[k] = v
			}
			for _, layer := range []map[string]any{h.included, h.registered} {
				for k, v := range layer {
					m[k] = v
				}
			}
			m["inventory_hostname"] = "localhost"
			out["localhost"] = m
		}
	}
	return out
}

// mentionsHostvars reports whether the task, or a variable it could read,
// refers to hostvars. A template task may read it in its Jinja2 file
// (any src but a Go .tmpl one).
func mentionsHostvars(pr *playRun, t *playbook.Task) bool {
	src, _ := t.Args["src"].(string)
	return (t.Module == "template" && !strings.HasSuffix(src, ".tmpl")) || mentions(t.Args, "hostvars") || mentions(t.Loop, "hostvars") || mentions(t.Vars, "hostvars") ||
		mentions(anySlice(t.When), "hostvars") || mentions(anySlice(t.FailedWhen), "hostvars") ||
		mentions(anySlice(t.ChangedWhen), "hostvars") || mentions(anySlice(t.Until), "hostvars") ||
		mentions(pr.playVars, "hostvars") || mentions(pr.varsFiles, "hostvars") ||
		strings.Contains(t.DelegateTo, "hostvars") || strings.Contains(t.IncludeTasks, "hostvars")
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func mentions(v any, word string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, word)
	case []any:
		for _, e := range x {
			if mentions(e, word) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if mentions(e, word) {
				return true
			}
		}
	}
	return false
}
