package inventory

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/internal/secret"
)

// Mask replaces the value of a secret variable in output.
const Mask = "********"

// OutputOptions tunes ListJSONWith, HostJSONWith and GraphWith.
type OutputOptions struct {
	// ShowSecrets prints the values of secret variables (see IsSecretVar)
	// instead of Mask. Off by default everywhere.
	ShowSecrets bool
	// Export makes ListJSONWith work like `ansible-inventory --list
	// --export`: each group carries its own "vars" and _meta.hostvars holds
	// only the hosts' own variables. Without it, like plain `--list`,
	// _meta.hostvars holds the merged HostVars and groups carry no vars.
	Export bool
	// Vars makes GraphWith show variables, like `ansible-inventory --graph
	// --vars`: each host's own variables under it and each group's
	// variables after its members.
	Vars bool
}

// IsSecretVar reports whether a variable holds a secret that output should
// mask. It is the rule play output uses too (internal/secret): names
// containing password, passwd, passphrase, secret, token, credential or
// private_key, pass or names ending in _pass, names ending in _key; names
// ending in _file, _path or _dir (or plurals) hold paths, not secrets, so
// ansible_ssh_private_key_file is not a secret.
func IsSecretVar(name string) bool { return secret.IsName(name) }

// maskVars deep-copies vars, replacing non-empty secret values with Mask,
// also inside nested maps.
func maskVars(vars map[string]any, show bool) map[string]any {
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		switch {
		case !show && IsSecretVar(k) && v != nil && v != "":
			out[k] = Mask
		default:
			out[k] = maskValue(v, show)
		}
	}
	return out
}

func maskValue(v any, show bool) any {
	switch t := v.(type) {
	case map[string]any:
		return maskVars(t, show)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = maskValue(e, show)
		}
		return out
	}
	return v
}

// ListJSON returns the inventory as `ansible-inventory --list` prints it,
// with secrets masked:
//
//	{"_meta": {"hostvars": {"h1": {...merged vars...}}},
//	 "all": {"children": ["ungrouped", "web"]},
//	 "web": {"hosts": ["h1"], "children": [...]}}
//
// Empty "hosts" and "children" lists are left out. Use ListJSONWith for
// the --export form (group vars) or to show secrets.
func (inv *Inventory) ListJSON() ([]byte, error) {
	return inv.ListJSONWith(OutputOptions{})
}

// ListJSONWith is ListJSON with options; see OutputOptions.
func (inv *Inventory) ListJSONWith(opts OutputOptions) ([]byte, error) {
	hostvars := make(map[string]any, len(inv.order))
	for _, h := range inv.order {
		vars := inv.hosts[h].Vars
		if !opts.Export {
			vars = inv.HostVars(h)
		}
		hostvars[h] = maskVars(vars, opts.ShowSecrets)
	}
	out := map[string]any{"_meta": map[string]any{"hostvars": hostvars}}
	for name, g := range inv.groups {
		entry := map[string]any{}
		if name != groupAll && len(g.pub.Hosts) > 0 {
			entry["hosts"] = g.pub.Hosts
		}
		if len(g.pub.Children) > 0 {
			entry["children"] = g.pub.Children
		}
		if opts.Export && len(g.pub.Vars) > 0 {
			entry["vars"] = maskVars(g.pub.Vars, opts.ShowSecrets)
		}
		out[name] = entry
	}
	return json.MarshalIndent(out, "", "    ")
}

// HostJSON returns the merged variables of one host (see HostVars) as
// indented JSON, like `ansible-inventory --host`, with secrets masked. The
// implicit localhost is accepted; other unknown hosts are an error.
func (inv *Inventory) HostJSON(name string) ([]byte, error) {
	return inv.HostJSONWith(name, OutputOptions{})
}

// HostJSONWith is HostJSON with options; only ShowSecrets applies.
func (inv *Inventory) HostJSONWith(name string, opts OutputOptions) ([]byte, error) {
	vars := inv.HostVars(name)
	if vars == nil {
		return nil, fmt.Errorf("host %q is not in the inventory", name)
	}
	return json.MarshalIndent(maskVars(vars, opts.ShowSecrets), "", "    ")
}

// Graph returns the group tree as `ansible-inventory --graph` prints it:
//
//	@all:
//	  |--@master:
//	  |  |--10.0.0.2
//	  |--@ungrouped:
//
// Child groups are sorted by name and hosts listed in inventory order.
func (inv *Inventory) Graph() string {
	return inv.GraphWith(OutputOptions{})
}

// GraphWith is Graph with options; Vars and ShowSecrets apply.
func (inv *Inventory) GraphWith(opts OutputOptions) string {
	var b strings.Builder
	if _, ok := inv.groups[groupAll]; ok {
		inv.graphGroup(&b, groupAll, 0, opts)
	}
	return b.String()
}

func graphLine(b *strings.Builder, depth int, text string) {
	if depth > 0 {
		b.WriteString(strings.Repeat("  |", depth))
		b.WriteString("--")
	}
	b.WriteString(text)
	b.WriteByte('\n')
}

func (inv *Inventory) graphGroup(b *strings.Builder, name string, depth int, opts OutputOptions) {
	g := inv.groups[name].pub
	graphLine(b, depth, "@"+name+":")
	for _, c := range g.Children {
		inv.graphGroup(b, c, depth+1, opts)
	}
	if name != groupAll {
		for _, h := range g.Hosts {
			graphLine(b, depth+1, h)
			if opts.Vars {
				graphVars(b, depth+2, inv.hosts[h].Vars, opts)
			}
		}
	}
	if opts.Vars {
		graphVars(b, depth+1, g.Vars, opts)
	}
}

func graphVars(b *strings.Builder, depth int, vars map[string]any, opts OutputOptions) {
	masked := maskVars(vars, opts.ShowSecrets)
	for _, k := range sortedKeys(masked) {
		graphLine(b, depth, fmt.Sprintf("{%s = %s}", k, formatValue(masked[k])))
	}
}

// formatValue prints strings as they are and other values as JSON.
func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
