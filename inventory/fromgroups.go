package inventory

import "sort"

// FromGroups builds an inventory from the magic variable groups (each
// group's hosts, "all" in inventory order), so that a host pattern can be
// matched against it as Ansible's inventory_hostnames lookup does. Group
// nesting is not known there: a group holds its descendants' hosts
// directly, which selects the same hosts.
func FromGroups(groups map[string][]string) *Inventory {
	inv := newInventory()
	for _, h := range groups[groupAll] {
		inv.addHost(h)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		inv.addGroup(g)
		for _, h := range groups[g] {
			inv.addHostToGroup(h, g)
		}
	}
	inv.finalize()
	return inv
}
