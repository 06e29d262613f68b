package eval

import (
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/internal/closest"
)

// How Jinja filters, tests, globals and Python methods are written in
// expr: each filter gets the value and its arguments (positional, or by
// keyword with the names Jinja and Ansible document) and returns a call of
// a helper.

// Names of the helpers only the translation calls (funcs_jinja.go).
const (
	catFunc      = "$cat"
	floorDivFunc = "$floordiv"
	isFunc       = "$is"
	lookupFunc   = "$lookup"
)

// filterSpec translates one filter. params are its parameter names in
// order (keyword arguments are matched to them); defaults fill the
// parameters not given, in the same order ("" = required when a later one
// is given, leave off otherwise).
type filterSpec struct {
	params     []string
	defaults   []string
	positional int // when set, at most this many positional arguments
	emit       func(x string, a []string) string
}

// simple is a filter that is a helper taking the value and its arguments.
func simple(helper string, params ...string) filterSpec {
	return filterSpec{params: params, emit: func(x string, a []string) string {
		return callCode(helper, append([]string{x}, a...)...).code
	}}
}

// withDefaults is simple with default values for parameters.
func withDefaults(helper string, params, defaults []string) filterSpec {
	f := simple(helper, params...)
	f.defaults = defaults
	return f
}

var jinjaFilters map[string]filterSpec

func init() {
	jinjaFilters = map[string]filterSpec{
		"default": {params: []string{"default_value", "boolean"}, defaults: []string{`""`, "false"}, emit: func(x string, a []string) string {
			if a[1] == "false" {
				return callCode("default", x, a[0]).code
			}
			return callCode("default", x, a[0], a[1]).code
		}},
		"join": {params: []string{"d", "attribute"}, defaults: []string{`""`, "nil"}, emit: func(x string, a []string) string {
			if a[1] != "nil" {
				x = callCode("$map", x, strconv.Quote("attribute"), a[1]).code
			}
			return callCode("join", x, a[0]).code
		}},
		"map":           {emit: nil}, // see mapFilter
		"selectattr":    simple("$selectattr"),
		"rejectattr":    simple("$rejectattr"),
		"select":        simple("$select"),
		"reject":        simple("$reject"),
		"dict2items":    withDefaults("dict2items", []string{"key_name", "value_name"}, []string{`"key"`, `"value"`}),
		"items2dict":    withDefaults("items2dict", []string{"key_name", "value_name"}, []string{`"key"`, `"value"`}),
		"regex_replace": {params: []string{"pattern", "replacement", "ignorecase", "multiline"}, defaults: []string{"", `""`, "false", "false"}, positional: 2, emit: regexEmit("regex_replace")},
		"regex_search":  {emit: nil}, // see regexSearchFilter
		"regex_findall": {params: []string{"pattern", "ignorecase", "multiline"}, defaults: []string{"", "false", "false"}, positional: 1, emit: regexEmit("regex_findall")},
		"regex_escape":  simple("regex_escape"),
		"to_json":       simple("to_json"),
		"tojson":        simple("to_json"),
		"to_nice_json":  simple("to_nice_json", "indent"),
		"from_json":     simple("from_json"),
		"to_yaml":       simple("to_yaml"),
		"to_nice_yaml":  simple("to_yaml"),
		"from_yaml":     simple("from_yaml"),
		"b64encode":     simple("b64encode"),
		"b64decode":     simple("b64decode"),
		"int":           simple("int", "default", "base"),
		"float":         simple("float", "default"),
		"bool":          simple("bool"),
		"string":        simple("string"),
		"list":          simple("$list"),
		"sort":          withDefaults("$sort", []string{"reverse", "case_sensitive", "attribute"}, []string{"false", "false", "nil"}),
		"min":           withDefaults("$min", []string{"case_sensitive", "attribute"}, []string{"false", "nil"}),
		"max":           withDefaults("$max", []string{"case_sensitive", "attribute"}, []string{"false", "nil"}),
		"sum":           withDefaults("$sum", []string{"attribute", "start"}, []string{"nil", "0"}),
		"zip":           simple("$zip"),
		"length":        simple("length"),
		"count":         simple("length"),
		"lower":         simple("$lower"),
		"upper":         simple("$upper"),
		"first":         simple("$first"),
		"last":          simple("$last"),
		"trim":          simple("$trim"),
		"replace":       simple("$replace", "old", "new"),
		"split":         simple("split", "sep"),
		"union":         simple("union"),
		"difference":    simple("difference"),
		"intersect":     simple("intersect"),
		"basename":      simple("basename"),
		"dirname":       simple("dirname"),
		"quote":         simple("quote"),
		"hash":          simple("hash", "hashtype"),
		"md5":           {emit: func(x string, _ []string) string { return callCode("hash", x, `"md5"`).code }},
		"sha1":          {emit: func(x string, _ []string) string { return callCode("hash", x, `"sha1"`).code }},
		"checksum":      {emit: func(x string, _ []string) string { return callCode("hash", x, `"sha1"`).code }},
		"ternary":       simple("ternary", "true_val", "false_val"),
		"mandatory":     simple("mandatory", "msg"),
		"abs":           simple("abs"),
		"reverse":       simple("$reverse"),
		"keys":          simple("keys"),
		"values":        simple("values"),
		"startswith":    simple("startswith"),
		"endswith":      simple("endswith"),
	}
	jinjaFilters["d"] = jinjaFilters["default"]
	maps.Copy(jinjaFilters, textFilters)
	maps.Copy(jinjaFilters, pystrFilters)
}

// regexEmit adds Python's ignorecase/multiline flags to the pattern.
func regexEmit(helper string) func(x string, a []string) string {
	return func(x string, a []string) string {
		n := len(a)
		flags := ""
		if a[n-2] != "false" {
			flags += "i"
		}
		if a[n-1] != "false" {
			flags += "m"
		}
		pattern := a[0]
		if flags != "" {
			pattern = `"(?` + flags + `)" + ` + pattern
		}
		args := append([]string{x, pattern}, a[1:n-2]...)
		return callCode(helper, args...).code
	}
}

// refusedFilters name filters people use that runbook does not have, with
// what to write instead.
var refusedFilters = map[string]string{
	"ipaddr": "the ansible.utils IP filters are not available; compare strings or use regex_search",
	"ipv4":   "the ansible.utils IP filters are not available; compare strings or use regex_search",
	"ipv6":   "the ansible.utils IP filters are not available; compare strings or use regex_search",
}

// filter translates "| name" or "| name(args)" applied to x.
func (p *jparser) filter(x jn) jn {
	t := p.next()
	if t.kind != tokName {
		p.fail(errAtTok(t, "expected a filter name after \"|\", found %s", describe(t)))
	}
	var args []arg
	if p.accept("(") {
		args = p.args()
	}
	if f, ok := customFilters[t.text]; ok {
		return f(p, t, x, args)
	}
	switch t.text {
	case "map":
		return p.mapFilter(t, x, args)
	case "regex_search":
		return p.regexSearchFilter(t, x, args)
	case "format":
		return p.formatFilter(x, args)
	}
	spec, ok := jinjaFilters[t.text]
	if !ok {
		if why, refused := refusedFilters[t.text]; refused {
			p.fail(refusedAt(t.pos, "filter %q is not supported: %s", t.text, why))
		}
		if isExprFunc(t.text) {
			// An expr helper or builtin after a pipe: x | f(a) is f(x, a).
			return callCode(t.text, append([]string{x.code}, p.positional("filter "+t.text, args)...)...)
		}
		p.fail(refusedAt(t.pos, "unknown filter %q%s", t.text, didYouMean(t.text, filterNames())))
	}
	vals := p.bind("filter "+t.text, t, spec, args)
	return jn{code: spec.emit(x.code, vals)}
}

// bind matches the arguments to the filter's parameters: positional ones
// in order, keyword ones by name; missing ones take their defaults.
func (p *jparser) bind(what string, t token, spec filterSpec, args []arg) []string {
	var vals []string
	named := false
	for _, a := range args {
		if a.name == "" {
			if named {
				p.fail(errAtTok(t, "%s: a positional argument after a keyword argument", what))
			}
			vals = append(vals, a.val.code)
			continue
		}
		named = true
		i := indexOf(spec.params, a.name)
		if i < 0 {
			p.fail(refusedAt(a.pos, "%s has no parameter %q (it takes %s)", what, a.name, paramList(spec.params)))
		}
		for len(vals) <= i {
			vals = append(vals, "")
		}
		vals[i] = a.val.code
	}
	if spec.positional > 0 && len(args) > 0 {
		n := 0
		for _, a := range args {
			if a.name == "" {
				n++
			}
		}
		if n > spec.positional {
			p.fail(refusedAt(args[spec.positional].pos, "%s takes %d positional argument(s); give the others by name (%s)", what, spec.positional, paramList(spec.params[spec.positional:])))
		}
	}
	if spec.params != nil && len(vals) > len(spec.params) && spec.defaults != nil {
		p.fail(refusedAt(t.pos, "%s takes at most %d arguments, got %d", what, len(spec.params), len(vals)))
	}
	for i, d := range spec.defaults {
		if i >= len(vals) {
			vals = append(vals, d)
		} else if vals[i] == "" {
			vals[i] = d
		}
	}
	for i, v := range vals {
		if v == "" {
			vals[i] = "nil" // skipped by a later keyword argument
		}
	}
	return vals
}

func paramList(params []string) string {
	if len(params) == 0 {
		return "no keyword arguments"
	}
	return strings.Join(params, ", ")
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// mapFilter: map(attribute='a', default=d) or map('filter', args…).
func (p *jparser) mapFilter(t token, x jn, args []arg) jn {
	var attr, def string
	var pos []string
	for _, a := range args {
		switch a.name {
		case "attribute":
			attr = a.val.code
		case "default":
			def = a.val.code
		case "":
			pos = append(pos, a.val.code)
		default:
			p.fail(refusedAt(a.pos, "filter map has no parameter %q (it takes attribute, default, or a filter name)", a.name))
		}
	}
	if attr != "" {
		out := []string{x.code, `"attribute"`, attr}
		if def != "" {
			out = append(out, def)
		}
		return callCode("$map", out...)
	}
	if len(pos) == 0 {
		p.fail(errAtTok(t, "filter map needs a filter name or attribute="))
	}
	return callCode("$map", append([]string{x.code, `"filter"`}, pos...)...)
}

func filterNames() []string {
	names := make([]string, 0, len(jinjaFilters)+1)
	for n := range jinjaFilters {
		names = append(names, n)
	}
	names = append(names, "map")
	names = append(names, customFilterNames()...)
	sort.Strings(names)
	return names
}

// didYouMean suggests the closest known name.
func didYouMean(name string, known []string) string {
	if best := closest.Name(name, known); best != "" {
		return " (did you mean " + strconv.Quote(best) + "?)"
	}
	return ""
}
