package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// lookup() and query(): reading the controller's environment, files and
// variables.

// fnLookup is lookup()/query(): ($env, wantlist, errors, kind, terms…).
// Lookups run on the controller, as in Ansible.
func fnLookup(args ...any) (any, error) {
	vars, _ := args[0].(map[string]any)
	wantList, errorsMode, kind := Truthy(args[1]), str(args[2]), str(args[3])
	var out []any
	for _, term := range args[4:] {
		var v any
		var err error
		switch kind {
		case "env":
			v = os.Getenv(str(term))
		case "file":
			v, err = lookupFile(vars, str(term))
		case "vars":
			var ok bool
			if v, ok = vars[str(term)]; !ok {
				err = fmt.Errorf("no variable %q", str(term))
			}
		case "list", "items":
			if l, ok := asList(term); ok && term != nil {
				out = append(out, l...)
				continue
			}
			v = term
		default:
			err = fmt.Errorf("lookup %q is not supported", kind)
		}
		if err != nil {
			switch errorsMode {
			case "ignore":
				continue
			case "warn":
				fmt.Fprintf(os.Stderr, "[WARNING]: lookup %s: %v\n", kind, err)
				continue
			}
			return nil, fmt.Errorf("lookup %s: %w", kind, err)
		}
		out = append(out, v)
	}
	if wantList {
		if out == nil {
			out = []any{}
		}
		return out, nil
	}
	if len(out) == 1 {
		return out[0], nil
	}
	parts := make([]string, len(out))
	for i, v := range out {
		parts[i] = str(v)
	}
	return strings.Join(parts, ","), nil
}

// lookupFile reads a controller file, without its trailing newline; a
// relative path is looked for under playbook_dir/files, then playbook_dir,
// as Ansible does for a playbook.
func lookupFile(vars map[string]any, p string) (string, error) {
	candidates := []string{p}
	if !filepath.IsAbs(p) {
		if dir, ok := vars["playbook_dir"].(string); ok && dir != "" {
			candidates = []string{filepath.Join(dir, "files", p), filepath.Join(dir, p), p}
		}
	}
	var firstErr error
	for _, c := range candidates {
		data, err := os.ReadFile(c)
		if err == nil {
			return strings.TrimRight(string(data), "\n"), nil
		}
		if firstErr == nil || !os.IsNotExist(err) {
			firstErr = err
		}
	}
	return "", fmt.Errorf("could not read %s: %w", p, firstErr)
}
