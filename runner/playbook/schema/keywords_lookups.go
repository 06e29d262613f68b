package schema

import (
	"strings"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// Schemas of the with_<lookup> keywords beyond the ones keywords.go
// describes: each loops over what the lookup of that name gives.

func init() {
	for _, k := range playbook.TaskKeywords() {
		name, ok := strings.CutPrefix(k, "with_")
		if !ok || taskKeywordSchemas[k] != nil {
			continue
		}
		desc := "Run the task once per item the " + name + " lookup gives for these terms (Ansible's " + k + ")."
		taskKeywordSchemas[k] = func(bool) *Schema { return loopSchema(desc) }
	}
}
