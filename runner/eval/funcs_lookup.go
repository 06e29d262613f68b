package eval

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// lookup(), query() and q(): Ansible's lookup plugins, run on the
// controller. Each plugin takes its terms (the positional arguments) and
// keyword options and gives a list, as in Ansible; lookup() then joins a
// list of strings with commas (lookupResult), query() keeps the list.

// lookupCall is one run of a lookup plugin.
type lookupCall struct {
	name  string
	vars  map[string]any // the task's variables
	terms []any
	opts  map[string]any // keyword options, checked against the plugin's
	// subdir is where first_found looks for relative names (files/ when
	// empty).
	subdir string
}

// lookupPlugin is one lookup: run, and the keyword options it takes.
type lookupPlugin struct {
	run  func(lc *lookupCall) ([]any, error)
	opts []string
}

// lookupPlugins are the lookups supported, by their short name (filled in
// init: the template lookup renders with the helpers, which call lookups).
var lookupPlugins map[string]lookupPlugin

func init() {
	lookupPlugins = map[string]lookupPlugin{
		"env":                 {run: lookupEnv, opts: []string{"default"}},
		"file":                {run: lookupFileRun, opts: []string{"rstrip", "lstrip"}},
		"vars":                {run: lookupVars, opts: []string{"default"}},
		"list":                {run: func(lc *lookupCall) ([]any, error) { return lc.terms, nil }},
		"items":               {run: func(lc *lookupCall) ([]any, error) { return flattenOne(lc.terms), nil }},
		"indexed_items":       {run: lookupIndexedItems},
		"dict":                {run: lookupDict},
		"together":            {run: lookupTogether},
		"nested":              {run: lookupNested},
		"subelements":         {run: lookupSubelements},
		"sequence":            {run: lookupSequence, opts: []string{"start", "end", "count", "stride", "format"}},
		"pipe":                {run: lookupPipe},
		"lines":               {run: lookupLines},
		"first_found":         {run: lookupFirstFound, opts: []string{"files", "paths", "skip"}},
		"fileglob":            {run: lookupFileglob},
		"template":            {run: lookupTemplate, opts: []string{"template_vars", "convert_data"}},
		"password":            {run: lookupPassword, opts: passwordParams},
		"varnames":            {run: lookupVarnames},
		"inventory_hostnames": {run: lookupInventoryHostnames},
	}
}

// refusedLookups are Ansible lookups runbook refuses, with why.
var refusedLookups = map[string]string{
	"config":        "it reads ansible.cfg settings, which runbook does not have: set a variable instead",
	"url":           "it fetches over the network during templating: use the uri or get_url module and register the result",
	"unvault":       "runbook has no Ansible Vault: read secrets with lookup('file', …) or lookup('env', …)",
	"csvfile":       "read the file with lookup('file', …) and split it with filters",
	"ini":           "read the file with lookup('file', …) and split it with filters",
	"random_choice": "its result differs on every evaluation: pick with a variable",
}

// lookupName strips Ansible's collection prefixes from a lookup's name.
func lookupName(name string) string {
	for _, p := range []string{"ansible.builtin.", "ansible.legacy."} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return rest
		}
	}
	return name
}

// checkLookup says why a lookup (with these keyword options) cannot run, or
// nil: it is checked when the playbook is validated.
func checkLookup(name string, keywords []string) error {
	short := lookupName(name)
	if why, ok := refusedLookups[short]; ok {
		return fmt.Errorf("lookup %q is not supported: %s", name, why)
	}
	p, ok := lookupPlugins[short]
	if !ok {
		return fmt.Errorf("lookup %q is not supported (supported: %s)", name, strings.Join(LookupNames(), ", "))
	}
	for _, k := range keywords {
		if !slices.Contains(p.opts, k) {
			takes := "no options"
			if len(p.opts) > 0 {
				takes = strings.Join(p.opts, ", ")
			}
			return fmt.Errorf("lookup %s has no option %q (it takes %s, errors, wantlist)", short, k, takes)
		}
	}
	return nil
}

// LookupNames lists the supported lookups, sorted.
func LookupNames() []string { return slices.Sorted(maps.Keys(lookupPlugins)) }

// IsLookup reports whether name (with or without ansible.builtin.) is a
// supported lookup: with_<name> loops over it.
func IsLookup(name string) bool {
	_, ok := lookupPlugins[lookupName(name)]
	return ok
}

// Lookup runs a lookup plugin as query() does: terms are its positional
// arguments, vars the task's variables. with_<name> loops use it, so that
// they give the items of the lookup of the same name. action is the task's
// module: as in Ansible, with_first_found looks in templates/ for a
// template task, vars/ for include_vars, else files/.
func Lookup(name string, terms []any, vars map[string]any, action string) ([]any, error) {
	if err := checkLookup(name, nil); err != nil {
		return nil, err
	}
	subdir := "files"
	for _, s := range []string{"template", "var"} {
		if strings.Contains(action, s) {
			subdir = s + "s"
			break
		}
	}
	return runLookup(&lookupCall{name: lookupName(name), vars: vars, terms: terms, subdir: subdir})
}

func runLookup(lc *lookupCall) ([]any, error) {
	out, err := lookupPlugins[lc.name].run(lc)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

// fnLookup is lookup()/query(): ($env, wantlist, errors, {options}, name,
// terms…).
func fnLookup(args ...any) (any, error) {
	vars, _ := args[0].(map[string]any)
	wantList, errorsMode := Truthy(args[1]), str(args[2])
	opts, _ := args[3].(map[string]any)
	name := lookupName(str(args[4]))
	if _, ok := lookupPlugins[name]; !ok {
		return nil, checkLookup(name, nil)
	}
	out, err := runLookup(&lookupCall{name: name, vars: vars, terms: args[5:], opts: opts})
	if err != nil {
		err = fmt.Errorf("%s: %w", name, err)
		switch errorsMode {
		case "ignore", "warn":
			if errorsMode == "warn" {
				fmt.Fprintf(os.Stderr, "[WARNING]: Lookup failed but the error is being ignored: %v\n", err)
			}
			if wantList {
				return []any{}, nil
			}
			return "", nil // Ansible's None, which renders as ""
		case "", "strict":
			return nil, err
		}
		return nil, fmt.Errorf("errors must be 'strict', 'warn' or 'ignore', got %q", errorsMode)
	}
	if wantList {
		return out, nil
	}
	return lookupResult(out), nil
}

// lookupResult is what lookup() gives for a plugin's list, as Ansible: an
// empty list stays a list; strings are joined with commas; otherwise a
// single value is itself and several stay a list.
func lookupResult(out []any) any {
	if len(out) == 0 {
		return out
	}
	parts := make([]string, len(out))
	for i, v := range out {
		s, ok := v.(string)
		if !ok {
			if len(out) == 1 {
				return out[0]
			}
			return out
		}
		parts[i] = s
	}
	return strings.Join(parts, ",")
}

// option returns a keyword option, or def when it was not given.
func (lc *lookupCall) option(name string, def any) any {
	if v, ok := lc.opts[name]; ok {
		return v
	}
	return def
}

// eachTerm runs fn on every term, which must be a string, and joins the
// values it gives.
func (lc *lookupCall) eachTerm(fn func(term string) ([]any, error)) ([]any, error) {
	out := make([]any, 0, len(lc.terms))
	for i, t := range lc.terms {
		s, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("term %d must be a string, got %s", i+1, typeName(t))
		}
		vs, err := fn(s)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

func lookupEnv(lc *lookupCall) ([]any, error) {
	return lc.eachTerm(func(name string) ([]any, error) {
		v, ok := os.LookupEnv(name)
		if !ok {
			v = str(lc.option("default", ""))
		}
		return []any{v}, nil
	})
}

// errNoVar is a vars lookup of an undefined variable without default=.
var errNoVar = errors.New("no variable")

func lookupVars(lc *lookupCall) ([]any, error) {
	return lc.eachTerm(func(name string) ([]any, error) {
		v, ok := lc.vars[name]
		if !ok {
			if v, ok = lc.opts["default"]; !ok {
				return nil, fmt.Errorf("%w %q", errNoVar, name)
			}
		}
		return []any{v}, nil
	})
}

// flattenOne flattens nested lists one level, as with_items and the items
// lookup do.
func flattenOne(items []any) []any {
	flat := make([]any, 0, len(items))
	for _, it := range items {
		if l, ok := it.([]any); ok {
			flat = append(flat, l...)
		} else {
			flat = append(flat, it)
		}
	}
	return flat
}
