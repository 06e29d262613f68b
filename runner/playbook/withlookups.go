package playbook

import (
	"strings"

	"github.com/runbook-dev/runbook/runner/eval"
)

// with_<lookup>: Ansible loops over the lookup of that name for any
// with_* keyword, so every lookup runbook supports (eval's) is a loop
// keyword too: with_nested, with_first_found, with_lines, with_file, …

func init() {
	for _, name := range eval.LookupNames() {
		if key := "with_" + name; !contains(taskKeywords, key) {
			taskKeywords = append(taskKeywords, key)
		}
	}
}

// isWithLookup reports whether key is with_<a supported lookup>.
func isWithLookup(key string) bool {
	name, ok := strings.CutPrefix(key, "with_")
	return ok && eval.IsLookup(name) && !strings.Contains(name, ".")
}
