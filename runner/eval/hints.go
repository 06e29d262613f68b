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
		return fmt.Sprintf("unknown function %s(): lookups are not supported", name)
	}
	return fmt.Sprintf("unknown function %s()", name)
}

var (
	isTestPattern   = regexp.MustCompile(`\bis\s+(not\s+)?(defined|undefined|none)\b`)
	barePipePattern = regexp.MustCompile(`(^|[^|])\|\s*([A-Za-z_]\w*)\s*($|[^\w\s(])`)
	containsCall    = regexp.MustCompile(`(^|[^\w.])contains\s*\(`)
)

// withHint adds advice to a syntax error for Jinja habits that expr does
// not share.
func withHint(err error, code string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	switch {
	case isTestPattern.MatchString(code):
		e.Msg += " (expressions have no `is defined` tests: use `x != nil` or `defined(\"x\")`, and `x == nil` or `!defined(\"x\")`)"
	case barePipePattern.MatchString(code):
		e.Msg += " (helpers after | need parentheses: `x | upper()`, `x | default(\"d\")`)"
	case containsCall.MatchString(code):
		e.Msg += " (contains is an operator: `s contains \"x\"`; for lists use `x in list`)"
	case strings.Contains(code, "{%"):
		e.Msg += " (Jinja {% %} statements are not supported)"
	}
	return e
}
