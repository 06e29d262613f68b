package eval

import "github.com/runbook-dev/runbook/modules"

// The runner connects the template lookup to the template module's
// renderer (runner/lookups.go); these tests do the same.
func init() { RenderJinja2 = modules.RenderJinja2 }
