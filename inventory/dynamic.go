package inventory

import "fmt"

// AddHost adds a host while a playbook runs (add_host), or updates one: it
// joins groups (a new group is a child of "all") and vars are merged into
// its own variables. The caller must not use the inventory concurrently.
func (inv *Inventory) AddHost(name string, groups []string, vars map[string]any) error {
	if name == "" {
		return fmt.Errorf("add_host: a host needs a name")
	}
	if _, ok := inv.hosts[name]; !ok {
		if err := inv.roomFor(1); err != nil {
			return err
		}
	}
	h := inv.addHost(name)
	for _, g := range groups {
		if g == "" {
			continue
		}
		inv.addHostToGroup(name, g)
	}
	for k, v := range vars {
		h.Vars[k] = deepCopy(v)
	}
	inv.refinalize()
	return nil
}

// AddGroup puts a known host into a group while a playbook runs
// (group_by), creating the group as a child of each parent (themselves
// created under "all" when new). The caller must not use the inventory
// concurrently.
func (inv *Inventory) AddGroup(host, group string, parents []string) error {
	if _, ok := inv.hosts[host]; !ok {
		return fmt.Errorf("group_by: host %q is not in the inventory", host)
	}
	if group == "" {
		return fmt.Errorf("group_by: the group name is empty")
	}
	inv.addHostToGroup(host, group)
	for _, p := range parents {
		if p == "" || p == group {
			continue
		}
		if err := inv.addChild(p, group); err != nil {
			return fmt.Errorf("group_by: %w", err)
		}
	}
	inv.refinalize()
	return nil
}

// refinalize recomputes what finalize derives after a change at run time.
func (inv *Inventory) refinalize() {
	inv.groups[groupUngrouped].hosts = map[string]bool{}
	inv.finalize()
}
