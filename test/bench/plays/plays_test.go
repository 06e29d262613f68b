package plays

import (
	"os"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules" // registers the built-ins
	"github.com/runbook-dev/runbook/runner/playbook"
)

// TestPlaybooksParse checks that both benchmark playbooks are valid for
// runbook's strict parser, with every module runbook has and with all the
// command/shell fallbacks.
func TestPlaybooksParse(t *testing.T) {
	all := map[string]bool{}
	for _, n := range module.Names() {
		all[n] = true
	}
	for _, have := range []map[string]bool{all, {}} {
		for name, keys := range map[string][]string{"overhead": Overhead, "fleet": Fleet} {
			dir := t.TempDir()
			a, err := Write(dir, "bench", keys, have)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := playbook.Load(a.Playbook); err != nil {
				b, _ := os.ReadFile(a.Playbook)
				t.Fatalf("%s playbook (%d modules, fallbacks %v): %v\n%s", name, len(have), a.Fallbacks, err, b)
			}
			if len(have) == 0 && len(a.Fallbacks) == 0 {
				t.Errorf("%s: no fallbacks used without modules", name)
			}
			if !strings.HasPrefix(a.Runbook[1], "motd_template=") || !strings.HasSuffix(a.Ansible[1], ".j2") {
				t.Errorf("%s: extra vars %v %v", name, a.Runbook, a.Ansible)
			}
		}
	}
	for k, task := range Catalogue {
		if task.module != "" && task.fallback == nil {
			t.Errorf("task %s needs %s but has no fallback", k, task.module)
		}
	}
}
