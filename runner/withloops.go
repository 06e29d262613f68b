package runner

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/runbook-dev/runbook/internal/maporder"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// withItems turns the rendered value of an Ansible with_* keyword into the
// loop's items, as Ansible's lookup of that name does. loop: and
// with_items: are handled by loopItems itself.
func withItems(kind string, v any, playbookDir string) ([]any, error) {
	switch kind {
	case "with_dict":
		return withDict(v)
	case "with_sequence":
		return withSequence(v)
	case "with_fileglob":
		return withFileglob(v, playbookDir)
	}
	items, err := asItemList(kind, v)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "with_indexed_items":
		flat := flattenOnce(items)
		out := make([]any, len(flat))
		for i, x := range flat {
			out[i] = []any{i, x}
		}
		return out, nil
	case "with_together":
		return withTogether(items)
	case "with_subelements":
		return withSubelements(items)
	}
	return items, nil // with_list
}

func asItemList(kind string, v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s: expected a list, got %s", kind, valueKind(v))
}

// flattenOnce flattens nested lists one level, as with_items does.
func flattenOnce(items []any) []any {
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

// withDict gives {key, value} items in the order the mapping was written
// in YAML, as Ansible does; a mapping built by an expression is sorted by
// key (runbook's maps keep no order of their own).
func withDict(v any) ([]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("with_dict: expected a mapping, got %s", valueKind(v))
	}
	keys, ok := maporder.Keys(m)
	if !ok {
		keys = slices.Sorted(maps.Keys(m))
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = map[string]any{"key": k, "value": m[k]}
	}
	return out, nil
}

// withTogether zips lists, filling the shorter ones with nil.
func withTogether(lists []any) ([]any, error) {
	n := 0
	for i, l := range lists {
		x, ok := l.([]any)
		if !ok {
			return nil, fmt.Errorf("with_together: item %d is %s, not a list", i, valueKind(l))
		}
		n = max(n, len(x))
	}
	out := make([]any, n)
	for i := range out {
		row := make([]any, len(lists))
		for j, l := range lists {
			if x := l.([]any); i < len(x) {
				row[j] = x[i]
			}
		}
		out[i] = row
	}
	return out, nil
}

// withSubelements pairs each item with each element of its list under
// the subkey: [[item, element], …]; {skip_missing: true} skips items
// without the key.
func withSubelements(args []any) ([]any, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, fmt.Errorf("with_subelements: expected [items, 'subkey'] or [items, 'subkey', {skip_missing: true}]")
	}
	items, ok := args[0].([]any)
	if !ok {
		if m, isMap := args[0].(map[string]any); isMap {
			items = dictValues(m)
		} else {
			return nil, fmt.Errorf("with_subelements: the first element must be a list, got %s", valueKind(args[0]))
		}
	}
	key, ok := args[1].(string)
	if !ok {
		return nil, fmt.Errorf("with_subelements: the second element must be the subkey's name")
	}
	skipMissing := false
	if len(args) == 3 {
		flags, ok := args[2].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("with_subelements: the third element must be {skip_missing: true|false}")
		}
		skipMissing, _ = flags["skip_missing"].(bool)
	}
	var out []any
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("with_subelements: item %d is %s, not a mapping", i, valueKind(it))
		}
		sub, found := m[key]
		if !found {
			if skipMissing {
				continue
			}
			return nil, fmt.Errorf("with_subelements: item %d has no key %q (add {skip_missing: true} to skip such items)", i, key)
		}
		list, ok := sub.([]any)
		if !ok {
			return nil, fmt.Errorf("with_subelements: %q of item %d is %s, not a list", key, i, valueKind(sub))
		}
		for _, e := range list {
			out = append(out, []any{it, e})
		}
	}
	return out, nil
}

func dictValues(m map[string]any) []any {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// withSequence gives the numbers of "start=1 end=5 format=…" as strings.
func withSequence(v any) ([]any, error) {
	var spec string
	switch x := v.(type) {
	case string:
		spec = x
	case map[string]any:
		for _, k := range []string{"start", "end", "count", "stride", "format"} {
			if val, ok := x[k]; ok {
				spec += fmt.Sprintf("%s=%v ", k, val)
			}
		}
	default:
		return nil, fmt.Errorf("with_sequence: expected a string such as \"start=1 end=5\", got %s", valueKind(v))
	}
	seq, err := playbook.ParseSequence(spec)
	if err != nil {
		return nil, fmt.Errorf("with_sequence: %w", err)
	}
	return seq.Items(), nil
}

// withFileglob gives the controller files matching the patterns, sorted; a
// relative pattern is looked up under playbook_dir/files, then
// playbook_dir, as Ansible's search path does for a playbook.
func withFileglob(v any, playbookDir string) ([]any, error) {
	var patterns []any
	switch x := v.(type) {
	case string:
		patterns = []any{x}
	case []any:
		patterns = x
	default:
		return nil, fmt.Errorf("with_fileglob: expected a pattern or a list of patterns, got %s", valueKind(v))
	}
	out := []any{}
	for _, p := range patterns {
		pattern, ok := p.(string)
		if !ok {
			return nil, fmt.Errorf("with_fileglob: a pattern must be a string, got %s", valueKind(p))
		}
		dirs := []string{""}
		if !filepath.IsAbs(pattern) {
			dirs = []string{filepath.Join(playbookDir, "files"), playbookDir}
		}
		for _, dir := range dirs {
			matches, err := filepath.Glob(filepath.Join(dir, pattern))
			if err != nil {
				return nil, fmt.Errorf("with_fileglob: %q: %w", pattern, err)
			}
			files := matches[:0]
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
					files = append(files, m)
				}
			}
			if len(files) > 0 {
				sort.Strings(files)
				for _, f := range files {
					out = append(out, f)
				}
				break
			}
		}
	}
	return out, nil
}
