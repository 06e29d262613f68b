package runner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// withItems turns the rendered value of an Ansible with_* keyword into the
// loop's items: the lookup of the same name (eval's lookup plugins), as
// Ansible runs it. loop: and with_items: are handled by loopItems itself.
func withItems(t *playbook.Task, v any, vars map[string]any) ([]any, error) {
	kind := t.LoopKind
	if kind == "with_sequence" {
		if m, ok := v.(map[string]any); ok {
			v = sequenceSpec(m) // runbook also takes with_sequence as a mapping
		}
	}
	items, err := lookupLoop(kind, v, vars, t.Module)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return items, nil
}

// sequenceSpec writes with_sequence's mapping form {start: 1, end: 5} as
// the lookup's "start=1 end=5".
func sequenceSpec(m map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	return strings.Join(parts, " ")
}
