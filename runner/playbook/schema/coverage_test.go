package schema

import (
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// TestSchemaCoversEveryKeyword fails when the parser learns a keyword the
// schema has no value shape and description for (it is accepted as any
// value meanwhile).
func TestSchemaCoversEveryKeyword(t *testing.T) {
	for _, k := range playbook.PlayKeywords() {
		if playKeywordSchemas[k] == nil {
			t.Errorf("play keyword %q: add it to playKeywordSchemas", k)
		}
	}
	for _, k := range playbook.TaskKeywords() {
		if taskKeywordSchemas[k] == nil {
			t.Errorf("task keyword %q: add it to taskKeywordSchemas", k)
		}
	}
	for _, k := range playbook.ImportPlaybookKeywords() {
		if importPlaybookKeywordSchemas[k] == nil {
			t.Errorf("import_playbook keyword %q: add it to importPlaybookKeywordSchemas", k)
		}
	}
	for _, k := range actionKeywords {
		if taskKeywordSchemas[k] == nil {
			t.Errorf("action %q is not a task keyword", k)
		}
	}
}
