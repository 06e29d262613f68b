// Package playbooks holds the playbooks shipped inside the runbook binary:
// registry-deploy, pre-distribute, post-distribute and recover-master0,
// the plays, task files and variables they share (common/, tasks/, vars/)
// and examples (examples/). Operators
// export them with the templates they use to edit them for their sites; an
// exported copy runs the same way as the built-in one.
package playbooks

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml common tasks vars examples
var files embed.FS

// Names lists the shipped playbooks (the top-level *.yaml files), sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil // an embedded directory always reads
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether name (with or without .yaml) is a shipped playbook:
// a bare name, or examples/NAME for a shipped example. Any other path with
// a directory is never a built-in.
func Has(name string) bool {
	_, ok := canonical(name)
	return ok
}

// canonical maps "recover-master0" and "recover-master0.yaml" to the file
// name of a shipped playbook, and "examples/NAME[.yaml]" to a shipped
// example's path in the tree.
func canonical(name string) (string, bool) {
	if rest, ok := strings.CutPrefix(name, "examples/"); ok && rest != "" && !strings.ContainsAny(rest, `/\`) {
		rest = strings.TrimSuffix(strings.TrimSuffix(rest, ".yaml"), ".yml") + ".yaml"
		if fi, err := fs.Stat(files, "examples/"+rest); err == nil && !fi.IsDir() {
			return "examples/" + rest, true
		}
		return "", false
	}
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", false
	}
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml") + ".yaml"
	for _, n := range Names() {
		if n == name {
			return n, true
		}
	}
	return "", false
}

// Summary returns the first paragraph of a playbook's opening comment block
// as one line ("" when it has none).
func Summary(name string) string {
	n, ok := canonical(name)
	if !ok {
		return ""
	}
	data, err := fs.ReadFile(files, n)
	if err != nil {
		return ""
	}
	// The whole paragraph: its first line alone can stop mid-sentence.
	var words []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "#") {
			break
		}
		s := strings.TrimSpace(strings.TrimLeft(line, "#"))
		if s == "" && len(words) > 0 {
			break
		}
		if s != "" {
			words = append(words, s)
		}
	}
	if len(words) > 0 {
		return strings.Join(words, " ")
	}
	return ""
}
