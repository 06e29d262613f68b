package eval

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/inventory"
)

// The lookups that reshape lists and mappings (indexed_items, dict,
// together, nested, subelements) and those that list names (varnames,
// inventory_hostnames), as Ansible's plugins of those names.

func lookupIndexedItems(lc *lookupCall) ([]any, error) {
	items := flattenOne(lc.terms)
	out := make([]any, len(items))
	for i, x := range items {
		out[i] = []any{i, x}
	}
	return out, nil
}

// lookupDict gives {key, value} items in the order the mapping was written
// in YAML, as Ansible does; a mapping built by an expression goes in key
// order (runbook's maps keep no order of their own).
func lookupDict(lc *lookupCall) ([]any, error) {
	var out []any
	for _, term := range lc.terms {
		m, ok := term.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected a mapping, got %s", typeName(term))
		}
		for _, k := range yamlOrderedKeys(m) {
			out = append(out, map[string]any{"key": k, "value": m[k]})
		}
	}
	return out, nil
}

// listify is one term as a list: a list as is, anything else a list of it.
func listify(term any) []any {
	if l, ok := term.([]any); ok {
		return l
	}
	return []any{term}
}

// lookupTogether zips lists, filling the shorter ones with None; a list in
// a row is flattened into it, as Ansible does.
func lookupTogether(lc *lookupCall) ([]any, error) {
	if len(lc.terms) == 0 {
		return nil, fmt.Errorf("with_together requires at least one element in each list")
	}
	n := 0
	lists := make([][]any, len(lc.terms))
	for i, t := range lc.terms {
		lists[i] = listify(t)
		n = max(n, len(lists[i]))
	}
	out := make([]any, n)
	for i := range out {
		row := make([]any, len(lists))
		for j, l := range lists {
			if i < len(l) {
				row[j] = l[i]
			}
		}
		out[i] = flattenOne(row)
	}
	return out, nil
}

// lookupNested is the cartesian product of the lists, each row flattened
// one level.
func lookupNested(lc *lookupCall) ([]any, error) {
	if len(lc.terms) == 0 {
		return nil, fmt.Errorf("with_nested requires at least one element in the nested list")
	}
	rows := append([]any{}, listify(lc.terms[0])...)
	for _, t := range lc.terms[1:] {
		next := make([]any, 0, len(rows)*len(listify(t)))
		for _, r := range rows {
			for _, y := range listify(t) {
				next = append(next, flattenOne([]any{r, y}))
			}
		}
		rows = next
	}
	for i, r := range rows {
		rows[i] = flattenOne(listify(r))
	}
	return rows, nil
}

// lookupSubelements pairs each item with each element of its list under
// the subkey ("a.b" descends): [[item, element], …], the item without the
// subkey, as Ansible gives it; {skip_missing: true} skips items without it.
func lookupSubelements(lc *lookupCall) ([]any, error) {
	const shape = "subelements expects [items, 'subkey'] or [items, 'subkey', {skip_missing: true}]"
	if len(lc.terms) < 2 || len(lc.terms) > 3 {
		return nil, fmt.Errorf("%s, got %d terms", shape, len(lc.terms))
	}
	subkey, ok := lc.terms[1].(string)
	if !ok {
		return nil, fmt.Errorf("%s: the second must be the subkey's name", shape)
	}
	var items []any
	switch x := lc.terms[0].(type) {
	case []any:
		items = x
	case map[string]any:
		if Truthy(x["skipped"]) {
			return nil, nil // a registered result that was skipped
		}
		for _, k := range yamlOrderedKeys(x) {
			items = append(items, x[k])
		}
	default:
		return nil, fmt.Errorf("%s: the first must be a list or a mapping, got %s", shape, typeName(x))
	}
	skipMissing := false
	if len(lc.terms) == 3 {
		flags, ok := lc.terms[2].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: the third must be a mapping of flags (skip_missing)", shape)
		}
		skipMissing = Truthy(flags["skip_missing"])
	}
	var out []any
	path := strings.Split(subkey, ".")
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("item %d is %s, not a mapping", i, typeName(it))
		}
		if Truthy(m["skipped"]) {
			continue
		}
		parent, key, list, skippable, err := subelementList(m, path)
		switch {
		case skippable && skipMissing:
			continue
		case errors.Is(err, errNoSubkey):
			return nil, fmt.Errorf("item %d has %w (add {skip_missing: true} to skip such items)", i, err)
		case err != nil:
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		item := m
		if parent != nil {
			item = withoutKey(m, path, key)
		}
		for _, e := range list {
			out = append(out, []any{item, e})
		}
	}
	return out, nil
}

var errNoSubkey = errors.New("no key")

// subelementList finds the list under path in m. A missing key (or a
// value on the way that is not a mapping) is skippable, as in Ansible.
func subelementList(m map[string]any, path []string) (parent map[string]any, key string, list []any, skippable bool, err error) {
	cur := m
	for i, k := range path {
		v, ok := cur[k]
		if !ok {
			return nil, "", nil, true, fmt.Errorf("%w %q", errNoSubkey, k)
		}
		if i < len(path)-1 {
			next, ok := v.(map[string]any)
			if !ok {
				return nil, "", nil, true, fmt.Errorf("the key %s should point to a mapping, got %s", k, typeName(v))
			}
			cur = next
			continue
		}
		l, ok := v.([]any)
		if !ok {
			return nil, "", nil, false, fmt.Errorf("the key %s should point to a list, got %s", k, typeName(v))
		}
		return cur, k, l, false, nil
	}
	return nil, "", nil, false, fmt.Errorf("empty subkey")
}

// withoutKey copies m without the key at path (the maps on the way are
// copied, the variables themselves stay as they are).
func withoutKey(m map[string]any, path []string, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	if len(path) == 1 {
		delete(out, key)
		return out
	}
	child, _ := m[path[0]].(map[string]any)
	out[path[0]] = withoutKey(child, path[1:], key)
	return out
}

// lookupVarnames gives the names of the variables matching the regular
// expressions (searched anywhere in the name), sorted.
func lookupVarnames(lc *lookupCall) ([]any, error) {
	names := sortedKeys(lc.vars)
	return lc.eachTerm(func(pat string) ([]any, error) {
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, fmt.Errorf("unable to use %q as a search parameter: %w", pat, err)
		}
		var out []any
		for _, n := range names {
			if !strings.HasPrefix(n, "$") && re.MatchString(n) {
				out = append(out, n)
			}
		}
		return out, nil
	})
}

// lookupInventoryHostnames gives the hosts a host pattern selects, from
// the magic variable groups, as Ansible's lookup does.
func lookupInventoryHostnames(lc *lookupCall) ([]any, error) {
	groups := map[string][]string{}
	gv, _ := asMap(lc.vars["groups"])
	for g, hosts := range gv {
		l, _ := asList(hosts)
		for _, h := range l {
			groups[g] = append(groups[g], str(h))
		}
	}
	var patterns []string
	for _, t := range lc.terms {
		for _, p := range listify(t) {
			patterns = append(patterns, str(p))
		}
	}
	hosts, err := inventory.FromGroups(groups).Select(strings.Join(patterns, ","))
	if err != nil {
		return []any{}, nil // Ansible gives no hosts for a bad pattern
	}
	out := make([]any, len(hosts))
	for i, h := range hosts {
		out[i] = h
	}
	return out, nil
}
