package eval

import (
	"fmt"
	"regexp"
	"strings"
)

// Advice added to errors for habits carried over from Jinja/Ansible.

// unknownFuncMessage explains a call of a function that does not exist.
func unknownFuncMessage(name string) string {
	switch name {
	case "lookup", "query", "q":
		return fmt.Sprintf("unknown function %s(): write the lookup's name first as a quoted string, e.g. %s('env', 'HOME')", name, name)
	}
	return fmt.Sprintf("unknown function %s()", name)
}

var (
	containsCall = regexp.MustCompile(`(^|[^\w.])contains\s*\(`)
	// goTemplate matches Go text/template habits: a leading dot ({{ .x }})
	// and index/printf calls on dotted fields ({{ index .groups.master 0 }}).
	goTemplate = regexp.MustCompile(`^\s*\.[A-Za-z_]|\b(index|printf|len)\s+\.[A-Za-z_]`)
)

// withHint adds advice to a syntax error for Jinja habits that expr does
// not share.
func withHint(err error, code string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	switch {
	case goTemplate.MatchString(code):
		e.Msg += " (Go template syntax: playbook values are expressions, write `name` not `.name`, `groups.master[0]` not `index .groups.master 0`; Go templates are only for the template module's files)"
	case containsCall.MatchString(code):
		e.Msg += " (contains is an operator: `s contains \"x\"`; for lists use `x in list`)"
	case strings.Contains(code, "{%"):
		e.Msg += " (Jinja {% %} statements are not supported)"
	}
	return e
}
