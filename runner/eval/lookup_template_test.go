package eval

import "fmt"

// The runner connects the template lookup to the template module's .j2
// renderer (runner/lookups.go), which this package cannot import: these
// unit tests of the lookup's search path and template_vars render with
// the package's own statement renderer instead. The real renderer is
// exercised through the CLI by the lookups-basic conformance case.
func init() {
	RenderJinja2 = func(_, text string, vars map[string]any) (string, error) {
		v, err := Render(text, vars)
		return fmt.Sprint(v), err
	}
}
