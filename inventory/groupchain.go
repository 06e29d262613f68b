package inventory

// GroupChain returns the groups a host takes variables from, in the order
// HostVars merges them: "all" first, then the host's groups and their
// ancestors by depth, ansible_group_priority and name. Callers that layer
// more variables per group (group_vars/ directories) follow this order so
// their merge agrees with HostVars. It returns nil for an unknown host and
// ["all"] for the implicit localhost.
func (inv *Inventory) GroupChain(host string) []string {
	h, ok := inv.Host(host)
	switch {
	case !ok:
		return nil
	case h == inv.localhost:
		return []string{groupAll}
	}
	return inv.hostGroupChain(host)
}

// FileVars returns the variables the inventory sources themselves set for
// a host: its groups' variables in GroupChain order, then the host's own,
// as two maps (deep copies), so a caller can put other layers between
// them as Ansible does with group_vars/ and host_vars/.
func (inv *Inventory) FileVars(host string) (groups, own map[string]any) {
	h, ok := inv.Host(host)
	if !ok {
		return nil, nil
	}
	groups = map[string]any{}
	for _, g := range inv.GroupChain(host) {
		for k, v := range inv.groups[g].pub.Vars {
			groups[k] = deepCopy(v)
		}
	}
	own = make(map[string]any, len(h.Vars))
	for k, v := range h.Vars {
		own[k] = deepCopy(v)
	}
	return groups, own
}

// DeepCopy copies maps and lists (of any depth), so that a caller holding
// variables can change them without changing their source.
func DeepCopy(v any) any { return deepCopy(v) }

// SetHostVars makes HostVars, and the listings built on it, return
// vars(host) for the inventory's hosts: the runner's merge, which layers
// the group_vars/ and host_vars/ directories in (vars must not call
// HostVars; FileVars gives it the inventory's own variables).
func (inv *Inventory) SetHostVars(vars func(host string) map[string]any) { inv.hostVars = vars }
