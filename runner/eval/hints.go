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

// goTypeError matches the text of a Go type assertion failure, which the
// expr VM reports when an operator meets a value of the wrong type.
var goTypeError = regexp.MustCompile(`interface conversion: interface \{\} is ([^,]+), not ([\w.\[\]{}]+)`)

// plainTypeError rewords Go's "interface conversion" text, which means
// nothing to a playbook author, as "expected a bool, got a string".
func plainTypeError(msg string) string {
	m := goTypeError.FindStringSubmatchIndex(msg)
	if m == nil {
		return goTypeNames.Replace(msg)
	}
	return msg[:m[0]] + fmt.Sprintf("a value has the wrong type: expected %s, got %s",
		goTypeWord(msg[m[4]:m[5]]), goTypeWord(msg[m[2]:m[3]])) + msg[m[1]:]
}

// goTypeNames renames Go's types in expr's "invalid operation" messages.
var goTypeNames = strings.NewReplacer("[]interface {}", "list", "map[string]interface {}", "map", "interface {}", "value")

// goTypeWord names a Go type in YAML terms.
func goTypeWord(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a bool"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a map"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case t == "nil" || t == "<nil>":
		return "nil"
	}
	return t
}
