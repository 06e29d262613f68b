// Package moddoc renders module documentation from the declarations
// (module.Spec) the playbook validator checks tasks against: the text of
// `runbook doc MODULE`, its Markdown form, and the README's module
// reference, which is nothing but the Markdown of every module.
package moddoc

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/module"
)

// CheckSupport describes how a module behaves under --check.
func CheckSupport(c module.CheckSupport) string {
	switch c {
	case module.CheckFull:
		return "full: predicts exactly, changes nothing"
	case module.CheckPartial:
		return "partial: predicts when it can, says when it cannot"
	}
	return "none: skipped under --check"
}

func paramDefault(p module.Param) string {
	if p.Default == nil {
		return ""
	}
	return fmt.Sprint(p.Default)
}

// Text writes a module's documentation as `runbook doc MODULE` prints it.
func Text(w io.Writer, s *module.Spec) {
	fmt.Fprintf(w, "%s — %s\n\n", s.Name, s.Short)
	if s.Doc != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(s.Doc))
	}
	fmt.Fprintf(w, "CHECK MODE: %s\n", CheckSupport(s.Check))
	if s.FreeForm != "" {
		fmt.Fprintf(w, "FREE FORM: a plain string is the %q parameter\n", s.FreeForm)
	}
	if s.AnyParams {
		fmt.Fprintln(w, "PARAMETERS: any key: value pairs")
	}
	fmt.Fprintln(w, "\nPARAMETERS")
	for _, p := range sortedParams(s) {
		var attrs []string
		attrs = append(attrs, string(p.Type))
		if p.Required {
			attrs = append(attrs, "required")
		}
		if d := paramDefault(p); d != "" {
			attrs = append(attrs, "default "+d)
		}
		if len(p.Choices) > 0 {
			attrs = append(attrs, "choices "+strings.Join(p.Choices, "|"))
		}
		if len(p.Aliases) > 0 {
			attrs = append(attrs, "aliases "+strings.Join(p.Aliases, ", "))
		}
		if p.NoLog {
			attrs = append(attrs, "secret")
		}
		fmt.Fprintf(w, "  %s (%s)\n      %s\n", p.Name, strings.Join(attrs, "; "), p.Doc)
	}
	if len(s.Returns) > 0 {
		fmt.Fprintln(w, "\nRETURNS (besides changed, failed, skipped, msg)")
		for _, r := range s.Returns {
			fmt.Fprintf(w, "  %s (%s)\n      %s\n", r.Name, r.Type, r.Doc)
		}
	}
	if s.Example != "" {
		fmt.Fprintf(w, "\nEXAMPLE\n%s\n", indent(strings.TrimRight(s.Example, "\n"), "  "))
	}
}

// Markdown writes a module's documentation as a README section.
func Markdown(w io.Writer, s *module.Spec) {
	fmt.Fprintf(w, "### `%s` — %s\n\n", s.Name, s.Short)
	if s.Doc != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(s.Doc))
	}
	fmt.Fprintf(w, "Check mode: %s.\n\n", CheckSupport(s.Check))
	if len(s.Params) > 0 {
		fmt.Fprintln(w, "| parameter | type | required | default | choices | description |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, p := range sortedParams(s) {
			name := "`" + p.Name + "`"
			if len(p.Aliases) > 0 {
				name += " (" + strings.Join(p.Aliases, ", ") + ")"
			}
			req := ""
			if p.Required {
				req = "yes"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", name, p.Type, req, paramDefault(p), strings.Join(p.Choices, ", "), strings.ReplaceAll(p.Doc, "|", `\|`))
		}
		fmt.Fprintln(w)
	}
	if len(s.Returns) > 0 {
		fmt.Fprintln(w, "Returns: "+returnList(s)+".")
		fmt.Fprintln(w)
	}
	if s.Example != "" {
		fmt.Fprintf(w, "```yaml\n%s\n```\n\n", strings.TrimRight(s.Example, "\n"))
	}
}

// Reference writes the Markdown of every registered module, in name order:
// the README's module reference.
func Reference(w io.Writer) {
	for _, name := range module.Names() {
		if m, ok := module.Lookup(name); ok {
			Markdown(w, m.Spec())
		}
	}
}

func returnList(s *module.Spec) string {
	var parts []string
	for _, r := range s.Returns {
		parts = append(parts, fmt.Sprintf("`%s` (%s) %s", r.Name, r.Type, r.Doc))
	}
	return strings.Join(parts, "; ")
}

// sortedParams lists required parameters first, then by name.
func sortedParams(s *module.Spec) []module.Param {
	ps := append([]module.Param{}, s.Params...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Required != ps[j].Required {
			return ps[i].Required
		}
		return ps[i].Name < ps[j].Name
	})
	return ps
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
