package eval

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm/runtime"
)

// inFunc is the function the "in" operator is turned into (registered in
// expr only, like safeIndexFunc), so that "'ERROR' in result.stdout" tests
// for a substring as in Jinja, while "x in list" and "key in map" keep
// expr's membership test.
const inFunc = "$in"

// in is needle in haystack: a substring test when haystack is a string,
// else expr's own list and map-key membership.
func in(args ...any) (found any, err error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("in: takes 2 arguments, got %d", len(args))
	}
	needle, haystack := args[0], args[1]
	if s, ok := haystack.(string); ok {
		sub, ok := needle.(string)
		if !ok {
			return nil, fmt.Errorf("operator \"in\": cannot look for %s in a string", typeName(needle))
		}
		return strings.Contains(s, sub), nil
	}
	defer func() {
		if r := recover(); r != nil { // a key of the wrong type for a map, a struct field name that is not a string
			found, err = nil, fmt.Errorf("operator \"in\": cannot look for %s in %s", typeName(needle), typeName(haystack))
		}
	}()
	return runtime.In(needle, haystack), nil
}
