package runner

import (
	"fmt"

	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// bypassHostLoop are the modules Ansible runs once per task, for the first
// host, whatever the play's hosts (its BYPASS_HOST_LOOP action plugins): as
// with run_once, the other hosts share the result.
var bypassHostLoop = map[string]bool{"add_host": true, "pause": true}

// inventoryChange is a group_by or add_host result, applied to the
// inventory once the task has finished on every host.
type inventoryChange struct {
	host   string // the host that ran the task (group_by)
	result map[string]any
	task   *playbook.Task
}

// collectInventoryChanges remembers the add_group/add_host of a group_by or
// add_host result (each loop item's too).
func (e *engine) collectInventoryChanges(h *hostState, t *playbook.Task, out outcome) {
	if !specOf(t).ChangesInventory || out.result == nil || out.status == report.StatusFailed {
		return
	}
	results := []any{out.result}
	if items, ok := out.result["results"].([]any); ok {
		results = items
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range results {
		if m, ok := r.(map[string]any); ok && (m["add_group"] != nil || m["add_host"] != nil) {
			e.invChanges = append(e.invChanges, inventoryChange{host: h.name, result: m, task: t})
		}
	}
}

// applyInventoryChanges adds the groups and hosts of the task that just
// ran to the inventory, so later tasks (groups, group_names, hostvars) and
// later plays (their hosts patterns) see them.
func (e *engine) applyInventoryChanges() {
	e.mu.Lock()
	changes := e.invChanges
	e.invChanges = nil
	e.mu.Unlock()
	if len(changes) == 0 {
		return
	}
	e.invMu.Lock()
	for _, c := range changes {
		if err := applyInventoryChange(e, c); err != nil {
			e.warn("task %q (%s): %v", c.task.DisplayName(), c.task.Pos, err)
		}
	}
	e.invVars = map[string]map[string]any{} // group and host variables changed
	e.invMu.Unlock()
	e.refreshGroups()
}

// refreshGroups computes the magic variable groups from the inventory.
func (e *engine) refreshGroups() {
	e.groups = map[string][]any{}
	for g, hs := range e.inv.GroupHosts() {
		l := make([]any, len(hs))
		for i, h := range hs {
			l[i] = h
		}
		e.groups[g] = l
	}
}

func applyInventoryChange(e *engine, c inventoryChange) error {
	if g, ok := c.result["add_group"].(string); ok {
		var parents []string
		for _, p := range asList(c.result["parent_groups"]) {
			parents = append(parents, fmt.Sprint(p))
		}
		return e.inv.AddGroup(c.host, g, parents)
	}
	add, _ := c.result["add_host"].(map[string]any)
	name, _ := add["host_name"].(string)
	var groups []string
	for _, g := range asList(add["groups"]) {
		groups = append(groups, fmt.Sprint(g))
	}
	vars, _ := add["host_vars"].(map[string]any)
	e.opt.Redactor.Add(collectSecrets(vars, nil)...)
	return e.inv.AddHost(name, groups, vars)
}
