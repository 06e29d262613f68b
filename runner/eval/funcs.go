package eval

import (
	"errors"
	"fmt"
	"slices"
	"text/template"

	"github.com/expr-lang/expr"
)

// helper is one function available to playbook expressions and templates.
type helper struct {
	name string
	fn   func(args ...any) (any, error)
	min  int // fewest arguments
	max  int // most arguments; -1 for any number
	side side
	// pipeLast: in text/template the value being worked on comes last, so
	// that pipelines read naturally ({{ .name | default "x" }} calls
	// default(.name, "x")); the template side rotates the last argument to
	// the front. In expr the value comes first, and x | f(y) calls f(x, y).
	pipeLast bool
}

// side says where a helper is registered.
type side int

const (
	both         side = iota
	templateOnly      // expr has an equivalent builtin or operator
	exprOnly          // the name is a text/template keyword
)

// helpers is the one table of helper functions, registered into expr (as
// expr.Function) and into text/template (as a FuncMap).
//
// Names expr already provides as builtins and that behave the same are
// registered for templates only: upper, lower, trim, replace, len.
// contains is an operator in expr (s contains "x"; for lists use x in list),
// so contains(…) is for templates only. range is a keyword in text/template;
// templates use seq. Builtins this table overrides in expr, because
// playbooks need different behaviour: join (any list, items stringified),
// split (returns a list of any; no separator splits on whitespace), keys and
// values (sorted by key, so output is stable), flatten (optional depth),
// int and float (accept "12.5", bools), string (maps and lists as JSON).
var helpers = slices.Concat(coreHelpers, jinjaHelpers, textHelpers, collectionHelpers, pystrHelpers)

// coreHelpers are the helpers with names playbooks call directly.
var coreHelpers = []helper{
	// Values and conditions.
	{name: "default", fn: fnDefault, min: 2, max: 3, pipeLast: true},
	{name: "defined", fn: fnDefinedIn, min: 2, max: 2, side: exprOnly}, // templates: see template.go
	{name: "mandatory", fn: fnMandatory, min: 1, max: 2, pipeLast: true},
	{name: "ternary", fn: fnTernary, min: 3, max: 3, pipeLast: true},

	// Conversion.
	{name: "int", fn: fnInt, min: 1, max: 3},
	{name: "float", fn: fnFloat, min: 1, max: 2},
	{name: "string", fn: fnString, min: 1, max: 1},
	{name: "bool", fn: fnBool, min: 1, max: 1},
	{name: "to_json", fn: fnToJSON, min: 1, max: 1},
	{name: "to_nice_json", fn: fnToNiceJSON, min: 1, max: 2, pipeLast: true},
	{name: "from_json", fn: fnFromJSON, min: 1, max: 1},
	{name: "to_yaml", fn: fnToYAML, min: 1, max: 1},
	{name: "from_yaml", fn: fnFromYAML, min: 1, max: 1},
	{name: "b64encode", fn: fnB64Encode, min: 1, max: 1},
	{name: "b64decode", fn: fnB64Decode, min: 1, max: 1},

	// Strings.
	{name: "lower", fn: fnLower, min: 1, max: 1, side: templateOnly},
	{name: "upper", fn: fnUpper, min: 1, max: 1, side: templateOnly},
	{name: "trim", fn: fnTrim, min: 1, max: 2, side: templateOnly, pipeLast: true},
	{name: "replace", fn: fnReplace, min: 3, max: 3, side: templateOnly, pipeLast: true},
	{name: "split", fn: fnSplit, min: 1, max: 2, pipeLast: true},
	{name: "join", fn: fnJoin, min: 1, max: 2, pipeLast: true},
	{name: "startswith", fn: fnStartsWith, min: 2, max: 2, pipeLast: true},
	{name: "endswith", fn: fnEndsWith, min: 2, max: 2, pipeLast: true},
	{name: "contains", fn: fnContains, min: 2, max: 2, side: templateOnly, pipeLast: true},
	{name: "regex_replace", fn: fnRegexReplace, min: 3, max: 3, pipeLast: true},
	{name: "regex_search", fn: fnRegexSearch, min: 2, max: 2, pipeLast: true},
	{name: "regex_findall", fn: fnRegexFindall, min: 2, max: 2, pipeLast: true},
	{name: "quote", fn: fnQuote, min: 1, max: 1},
	{name: "basename", fn: fnBasename, min: 1, max: 1},
	{name: "dirname", fn: fnDirname, min: 1, max: 1},
	{name: "hash", fn: fnHash, min: 1, max: 2, pipeLast: true},
	{name: "sha256", fn: fnSHA256, min: 1, max: 1},

	// Lists and maps.
	{name: "length", fn: fnLength, min: 1, max: 1},
	{name: "len", fn: fnLength, min: 1, max: 1, side: templateOnly},
	{name: "keys", fn: fnKeys, min: 1, max: 1},
	{name: "values", fn: fnValues, min: 1, max: 1},
	{name: "unique", fn: fnUnique, min: 1, max: 1},
	{name: "flatten", fn: fnFlatten, min: 1, max: 3, pipeLast: true},
	{name: "union", fn: fnUnion, min: 2, max: 2, pipeLast: true},
	{name: "difference", fn: fnDifference, min: 2, max: 2, pipeLast: true},
	{name: "intersect", fn: fnIntersect, min: 2, max: 2, pipeLast: true},
	{name: "dict2items", fn: fnDict2Items, min: 1, max: 3, pipeLast: true},
	{name: "items2dict", fn: fnItems2Dict, min: 1, max: 3, pipeLast: true},
	{name: "combine", fn: fnCombine, min: 1, max: -1},
	{name: "range", fn: fnRange, min: 1, max: 3, side: exprOnly},
	{name: "seq", fn: fnSeq, min: 1, max: 2},
}

// call checks the number of arguments and runs the helper, prefixing its
// errors with its name.
func (h *helper) call(args []any) (any, error) {
	if len(args) < h.min || (h.max >= 0 && len(args) > h.max) {
		return nil, fmt.Errorf("%s: %s", helperLabel(h.name, args), arityText(h.min, h.max, len(args)))
	}
	out, err := h.fn(args...)
	if err != nil {
		var me *MandatoryError
		if errors.As(err, &me) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", helperLabel(h.name, args), err)
	}
	return out, nil
}

func arityText(min, max, got int) string {
	switch {
	case min == max:
		return fmt.Sprintf("takes %d argument(s), got %d", min, got)
	case max < 0:
		return fmt.Sprintf("takes at least %d argument(s), got %d", min, got)
	}
	return fmt.Sprintf("takes %d to %d arguments, got %d", min, max, got)
}

// exprOptions are the options every expression is compiled with: a generic
// map environment (variables are looked up in the map at run time; unknown
// names are allowed at compile time and checked by requiredVars before
// running), the helpers, and the nil-tolerance patch.
var exprOptions = buildExprOptions()

func buildExprOptions() []expr.Option {
	opts := []expr.Option{
		expr.Env(map[string]any{}),
		expr.AllowUndefinedVariables(),
		expr.Patch(funcShadow{}),
		expr.Patch(notPrecedence{}),
		expr.Patch(nilTolerance{}),
		expr.Patch(jinjaCompat{}),
		expr.Patch(groupFields{}),
		expr.Patch(pyOps{}),
		expr.Function(safeIndexFunc, safeIndex),
		expr.Function(inFunc, in),
		expr.Function(truthFunc, fnTruth),
		expr.Function(addFunc, fnAdd),
	}
	for i := range helpers {
		h := &helpers[i]
		if h.side == templateOnly {
			continue
		}
		opts = append(opts, expr.Function(h.name, func(args ...any) (any, error) {
			return h.call(args)
		}))
	}
	return opts
}

// exprFuncNames are the helpers callable in expressions.
var exprFuncNames = func() map[string]bool {
	names := map[string]bool{}
	for _, h := range helpers {
		if h.side != templateOnly {
			names[h.name] = true
		}
	}
	return names
}()

// templateFuncs is the helper table as a text/template FuncMap. defined is
// added per render (it needs the variables); see RenderTemplate.
var templateFuncs = buildTemplateFuncs()

func buildTemplateFuncs() template.FuncMap {
	funcs := template.FuncMap{}
	for i := range helpers {
		h := &helpers[i]
		if h.side == exprOnly {
			continue
		}
		if h.pipeLast {
			funcs[h.name] = func(args ...any) (any, error) {
				return h.call(pipeFirst(args))
			}
		} else {
			funcs[h.name] = func(args ...any) (any, error) {
				return h.call(args)
			}
		}
	}
	funcs["defined"] = func(string) bool { return false } // replaced per render
	return funcs
}

// pipeFirst moves the last argument (the pipeline value) to the front.
func pipeFirst(args []any) []any {
	if len(args) < 2 {
		return args
	}
	out := make([]any, len(args))
	out[0] = args[len(args)-1]
	copy(out[1:], args[:len(args)-1])
	return out
}
