package inventory

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/runbook-dev/runbook/internal/maporder"
)

// Host is one inventory host.
type Host struct {
	// Name is the inventory hostname (for Clusterfile hosts, the IP).
	Name string
	// Vars holds the variables set on the host itself, without group
	// variables; see Inventory.HostVars for the merged view.
	Vars map[string]any
	// Groups lists the groups the host is a direct member of, sorted. "all"
	// is left out; a host in no other group is in "ungrouped". Ansible's
	// group_names also has the parents of these: see HostGroupNames.
	Groups []string
}

// Group is one inventory group.
type Group struct {
	Name string
	// Vars holds the variables set on the group itself.
	Vars map[string]any
	// Hosts lists the direct member hosts in inventory order.
	Hosts []string
	// Children lists the direct child groups, sorted.
	Children []string
}

// Inventory is a set of hosts and groups loaded from one or more sources.
// Treat the hosts, groups and maps it hands out as read-only.
type Inventory struct {
	// Sources lists the sources Load was given, in order.
	Sources []string
	// Warnings lists problems that did not stop loading, such as unknown
	// keys in a YAML inventory group (Ansible only warns about those).
	Warnings []string

	hosts  map[string]*Host
	order  []string       // host names in order of first appearance
	index  map[string]int // host name -> position in order
	groups map[string]*group

	// hostVars, when set (SetHostVars), is what HostVars returns.
	hostVars func(host string) map[string]any

	// Filled by finalize.
	depth      map[string]int
	groupHosts map[string][]string
	localhost  *Host
}

// group is the mutable form of a Group used while loading.
type group struct {
	pub      *Group
	hosts    map[string]bool
	children map[string]bool
	parents  map[string]bool
}

const (
	groupAll       = "all"
	groupUngrouped = "ungrouped"
	localhostName  = "localhost"
)

func newInventory() *Inventory {
	inv := &Inventory{
		hosts:  map[string]*Host{},
		index:  map[string]int{},
		groups: map[string]*group{},
	}
	inv.addGroup(groupAll)
	inv.addGroup(groupUngrouped)
	return inv
}

// addHost returns the named host, creating it at the end of the order.
func (inv *Inventory) addHost(name string) *Host {
	if h, ok := inv.hosts[name]; ok {
		return h
	}
	h := &Host{Name: name, Vars: map[string]any{}}
	inv.hosts[name] = h
	inv.index[name] = len(inv.order)
	inv.order = append(inv.order, name)
	return h
}

// roomFor fails when n more hosts would exceed maxHosts.
func (inv *Inventory) roomFor(n int) error {
	if len(inv.order)+n > maxHosts {
		return fmt.Errorf("more than %d hosts in the inventory", maxHosts)
	}
	return nil
}

// addGroup returns the named group, creating it when needed.
func (inv *Inventory) addGroup(name string) *group {
	if g, ok := inv.groups[name]; ok {
		return g
	}
	g := &group{
		pub:      &Group{Name: name, Vars: map[string]any{}},
		hosts:    map[string]bool{},
		children: map[string]bool{},
		parents:  map[string]bool{},
	}
	inv.groups[name] = g
	return g
}

// addHostToGroup makes host a direct member of grp. Membership of "all" and
// "ungrouped" is computed, so adding to them only creates the host.
func (inv *Inventory) addHostToGroup(host, grp string) {
	inv.addHost(host)
	g := inv.addGroup(grp)
	if grp == groupAll || grp == groupUngrouped {
		return
	}
	g.hosts[host] = true
}

// addChild makes child a child group of parent. The error, if any, has no
// position; callers wrap it.
func (inv *Inventory) addChild(parent, child string) error {
	switch {
	case child == groupAll:
		return fmt.Errorf("group %q cannot be a child of %q", groupAll, parent)
	case parent == groupUngrouped:
		return fmt.Errorf("group %q cannot have children", groupUngrouped)
	case parent == child:
		return fmt.Errorf("group %q cannot be a child of itself", child)
	case parent == groupAll:
		inv.addGroup(child)
		return nil
	}
	p, c := inv.addGroup(parent), inv.addGroup(child)
	if inv.isDescendant(parent, child) {
		return fmt.Errorf("adding group %q as a child of %q creates a loop", child, parent)
	}
	p.children[child] = true
	c.parents[parent] = true
	return nil
}

// isDescendant reports whether name is below root in the group tree.
func (inv *Inventory) isDescendant(name, root string) bool {
	seen := map[string]bool{}
	stack := []string{root}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := range inv.groups[g].children {
			if c == name {
				return true
			}
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return false
}

// finalize computes "all", "ungrouped", depths, host group lists and the
// exported group fields. Load calls it once after reading every source.
func (inv *Inventory) finalize() {
	all, ungrouped := inv.groups[groupAll], inv.groups[groupUngrouped]
	memberOf := map[string][]string{}
	for name, g := range inv.groups {
		for h := range g.hosts {
			memberOf[h] = append(memberOf[h], name)
		}
	}
	for _, h := range inv.order {
		gs := memberOf[h]
		if len(gs) == 0 {
			ungrouped.hosts[h] = true
			gs = []string{groupUngrouped}
		}
		sort.Strings(gs)
		inv.hosts[h].Groups = gs
	}
	for name, g := range inv.groups {
		if name != groupAll && len(g.parents) == 0 {
			all.children[name] = true
			g.parents[groupAll] = true
		}
	}
	inv.depth = map[string]int{}
	var depthOf func(string, int) int
	depthOf = func(name string, guard int) int {
		if d, ok := inv.depth[name]; ok {
			return d
		}
		d := 0
		if guard < len(inv.groups) {
			for p := range inv.groups[name].parents {
				if pd := depthOf(p, guard+1) + 1; pd > d {
					d = pd
				}
			}
		}
		inv.depth[name] = d
		return d
	}
	inv.groupHosts = map[string][]string{}
	for name, g := range inv.groups {
		depthOf(name, 0)
		g.pub.Hosts = inv.inOrder(g.hosts)
		g.pub.Children = sortedKeys(g.children)
	}
	for name := range inv.groups {
		set := map[string]bool{}
		inv.collectHosts(name, set, map[string]bool{})
		inv.groupHosts[name] = inv.inOrder(set)
	}
	inv.groupHosts[groupAll] = append([]string{}, inv.order...)
	inv.localhost = &Host{Name: localhostName, Vars: map[string]any{"ansible_connection": "local"}}
}

func (inv *Inventory) collectHosts(name string, into, seen map[string]bool) {
	if seen[name] {
		return
	}
	seen[name] = true
	g := inv.groups[name]
	for h := range g.hosts {
		into[h] = true
	}
	for c := range g.children {
		inv.collectHosts(c, into, seen)
	}
}

// inOrder returns the hosts of set in inventory order.
func (inv *Inventory) inOrder(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Slice(out, func(a, b int) bool { return inv.index[out[a]] < inv.index[out[b]] })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Hosts returns all hosts in inventory order (order of first appearance).
// The implicit localhost is not included.
func (inv *Inventory) Hosts() []*Host {
	out := make([]*Host, 0, len(inv.order))
	for _, n := range inv.order {
		out = append(out, inv.hosts[n])
	}
	return out
}

// Host returns the named host. When "localhost" is asked for and the
// inventory does not define it, Host returns the implicit localhost: it has
// the variable ansible_connection=local and is in no group, not even "all".
func (inv *Inventory) Host(name string) (*Host, bool) {
	if h, ok := inv.hosts[name]; ok {
		return h, true
	}
	if name == localhostName && inv.localhost != nil {
		return inv.localhost, true
	}
	return nil, false
}

// Group returns the named group.
func (inv *Inventory) Group(name string) (*Group, bool) {
	g, ok := inv.groups[name]
	if !ok {
		return nil, false
	}
	return g.pub, true
}

// GroupNames returns every group name, sorted, including "all" and
// "ungrouped".
func (inv *Inventory) GroupNames() []string {
	return sortedKeys(inv.groups)
}

// GroupHosts maps every group, "all" and "ungrouped" included, to its hosts:
// direct members and members of its descendant groups, in inventory order.
// The map is freshly built on each call.
func (inv *Inventory) GroupHosts() map[string][]string {
	out := make(map[string][]string, len(inv.groupHosts))
	for g, hs := range inv.groupHosts {
		out[g] = append([]string{}, hs...)
	}
	return out
}

// HostVars returns the merged variables of a host: group "all" first, then
// the host's other groups and their ancestors ordered by depth (parents
// before children), then by ansible_group_priority (default 1, higher
// later), then by name in ASCII order; the last one to set a variable wins.
// The host's own variables come last. Values are deep copies, so the caller
// may change the map. It returns nil for an unknown host; the implicit
// localhost gets the variables of "all" plus ansible_connection=local.
func (inv *Inventory) HostVars(name string) map[string]any {
	h, ok := inv.Host(name)
	if !ok {
		return nil
	}
	if inv.hostVars != nil {
		return inv.hostVars(name)
	}
	var chain []string
	if h == inv.localhost {
		chain = []string{groupAll}
	} else {
		chain = inv.hostGroupChain(name)
	}
	out := map[string]any{}
	for _, g := range chain {
		for k, v := range inv.groups[g].pub.Vars {
			out[k] = deepCopy(v)
		}
	}
	for k, v := range h.Vars {
		out[k] = deepCopy(v)
	}
	return out
}

// HostGroupNames is Ansible's group_names for a host: every group it
// belongs to, directly or through a child group, except "all", sorted. It
// returns nil for an unknown host.
func (inv *Inventory) HostGroupNames(host string) []string {
	if _, ok := inv.hosts[host]; !ok {
		return nil
	}
	var out []string
	for _, g := range inv.hostGroupChain(host) {
		if g != groupAll {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// hostGroupChain returns every group the host belongs to, directly or via
// a descendant, in variable-merge order.
func (inv *Inventory) hostGroupChain(host string) []string {
	set := map[string]bool{groupAll: true}
	var up func(string)
	up = func(g string) {
		if set[g] {
			return
		}
		set[g] = true
		for p := range inv.groups[g].parents {
			up(p)
		}
	}
	for _, g := range inv.hosts[host].Groups {
		up(g)
	}
	chain := sortedKeys(set)
	sort.SliceStable(chain, func(a, b int) bool {
		ga, gb := chain[a], chain[b]
		if da, db := inv.depth[ga], inv.depth[gb]; da != db {
			return da < db
		}
		if pa, pb := inv.priority(ga), inv.priority(gb); pa != pb {
			return pa < pb
		}
		return ga < gb
	})
	return chain
}

// priority returns a group's ansible_group_priority (default 1).
func (inv *Inventory) priority(name string) int {
	switch v := inv.groups[name].pub.Vars["ansible_group_priority"].(type) {
	case int:
		return v
	case float64:
		return int(v)
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return 1
}

// deepCopy copies maps and lists so callers cannot change the inventory.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		maporder.Inherit(out, t)
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
