package eval

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// The text, number, path, URL and date filters (funcs_num.go,
// funcs_textfmt.go, funcs_url.go, funcs_path.go, funcs_date.go), the now()
// global, the datetime methods and a - b on dates.

const (
	subFunc        = "$sub"
	compareFunc    = "$compare"
	nowFunc        = "$now"
	dateMethodFunc = "$date_method"
)

var textHelpers = []helper{
	{name: "$round", fn: fnRound, min: 1, max: 3, side: exprOnly},
	{name: "$log", fn: fnLog, min: 1, max: 2, side: exprOnly},
	{name: "$pow", fn: fnPow, min: 1, max: 2, side: exprOnly},
	{name: "$root", fn: fnRoot, min: 1, max: 2, side: exprOnly},
	{name: "$human_readable", fn: fnHumanReadable, min: 1, max: 3, side: exprOnly},
	{name: "$human_to_bytes", fn: fnHumanToBytes, min: 1, max: 3, side: exprOnly},
	{name: "$filesizeformat", fn: fnFilesizeformat, min: 1, max: 2, side: exprOnly},
	{name: "$capitalize", fn: fnCapitalize, min: 1, max: 1, side: exprOnly},
	{name: "$title", fn: fnTitle, min: 1, max: 1, side: exprOnly},
	{name: "$indent", fn: fnIndent, min: 1, max: 4, side: exprOnly},
	{name: "$center", fn: fnCenter, min: 1, max: 2, side: exprOnly},
	{name: "$wordcount", fn: fnWordcount, min: 1, max: 1, side: exprOnly},
	{name: "$truncate", fn: fnTruncate, min: 1, max: 5, side: exprOnly},
	{name: "$wordwrap", fn: fnWordwrap, min: 1, max: 5, side: exprOnly},
	{name: "$striptags", fn: fnStriptags, min: 1, max: 1, side: exprOnly},
	{name: "$comment", fn: fnComment, min: 1, max: 1 + cmNewline, side: exprOnly},
	{name: "$to_uuid", fn: fnToUUID, min: 1, max: 2, side: exprOnly},
	{name: "$type_debug", fn: fnTypeDebug, min: 1, max: 1, side: exprOnly},
	{name: "$urlencode", fn: fnURLEncode, min: 1, max: 1, side: exprOnly},
	{name: "$urlsplit", fn: fnURLSplit, min: 1, max: 2, side: exprOnly},
	{name: "$regex_search_groups", fn: fnRegexSearchGroups, min: 3, max: -1, side: exprOnly},
	{name: "$splitext", fn: fnSplitext, min: 1, max: 1, side: exprOnly},
	{name: "$path_join", fn: fnPathJoin, min: 1, max: 1, side: exprOnly},
	{name: "$expanduser", fn: fnExpanduser, min: 1, max: 1, side: exprOnly},
	{name: "$expandvars", fn: fnExpandvars, min: 1, max: 1, side: exprOnly},
	{name: "$realpath", fn: fnRealpath, min: 1, max: 1, side: exprOnly},
	{name: "$relpath", fn: fnRelpath, min: 1, max: 2, side: exprOnly},
	{name: "$to_datetime", fn: fnToDatetime, min: 1, max: 2, side: exprOnly},
	{name: "$strftime", fn: fnStrftime, min: 1, max: 3, side: exprOnly},
	{name: nowFunc, fn: fnNow, min: 0, max: 2, side: exprOnly},
	{name: dateMethodFunc, fn: fnDateMethod, min: 2, max: -1, side: exprOnly},
	{name: "$total_seconds", fn: fnTotalSeconds, min: 1, max: 1, side: exprOnly},
	{name: subFunc, fn: fnSub, min: 2, max: 2, side: exprOnly},
	{name: compareFunc, fn: fnCompare, min: 3, max: 3, side: exprOnly},
}

// optional is a filter whose parameters all default to nil, which the
// helper reads as "not given" (so map('truncate', 10) works too).
func optional(helper string, params ...string) filterSpec {
	f := simple(helper, params...)
	f.params = append([]string{}, params...) // not nil: extra arguments are refused
	f.defaults = make([]string, len(params))
	for i := range f.defaults {
		f.defaults[i] = "nil"
	}
	return f
}

var textFilters = map[string]filterSpec{
	"round":          optional("$round", "precision", "method"),
	"log":            optional("$log", "base"),
	"pow":            optional("$pow", "y"),
	"root":           optional("$root", "base"),
	"human_readable": optional("$human_readable", "isbits", "unit"),
	"human_to_bytes": optional("$human_to_bytes", "default_unit", "isbits"),
	"filesizeformat": optional("$filesizeformat", "binary"),
	"capitalize":     optional("$capitalize"),
	"title":          optional("$title"),
	"indent":         optional("$indent", "width", "first", "blank"),
	"center":         optional("$center", "width"),
	"wordcount":      optional("$wordcount"),
	"truncate":       optional("$truncate", "length", "killwords", "end", "leeway"),
	"wordwrap":       optional("$wordwrap", "width", "break_long_words", "wrapstring", "break_on_hyphens"),
	"striptags":      optional("$striptags"),
	"comment": func() filterSpec {
		f := optional("$comment", "style", "decoration", "beginning", "prefix", "prefix_count", "postfix", "postfix_count", "end", "newline")
		f.positional = 1
		return f
	}(),
	"to_uuid":     optional("$to_uuid", "namespace"),
	"type_debug":  optional("$type_debug"),
	"urlencode":   optional("$urlencode"),
	"urlsplit":    optional("$urlsplit", "query"),
	"splitext":    optional("$splitext"),
	"path_join":   optional("$path_join"),
	"expanduser":  optional("$expanduser"),
	"expandvars":  optional("$expandvars"),
	"realpath":    optional("$realpath"),
	"relpath":     optional("$relpath", "start"),
	"to_datetime": optional("$to_datetime", "format"),
	"strftime":    optional("$strftime", "second", "utc"),
}

func init() {
	boolFuncs[compareFunc] = true
	for _, name := range []string{"win_basename", "win_dirname", "win_splitdrive"} {
		refusedFilters[name] = "runbook's controller and hosts are POSIX systems; use basename, dirname or regex_replace"
	}
}

// regexSearchFilter: regex_search(pattern, '\1', '\g<name>', …,
// ignorecase=false, multiline=false). With group arguments it gives the
// list of those groups, as Ansible does.
func (p *jparser) regexSearchFilter(t token, x jn, args []arg) jn {
	var pos []string
	flags := map[string]string{"ignorecase": "false", "multiline": "false"}
	for _, a := range args {
		switch a.name {
		case "":
			pos = append(pos, a.val.code)
		case "ignorecase", "multiline":
			flags[a.name] = a.val.code
		case "pattern":
			pos = append([]string{a.val.code}, pos...)
		default:
			p.fail(refusedAt(a.pos, "filter regex_search has no parameter %q (it takes pattern, group references such as '\\\\1' or '\\\\g<name>', ignorecase, multiline)", a.name))
		}
	}
	if len(pos) == 0 {
		p.fail(refusedAt(t.pos, "filter regex_search needs a pattern"))
	}
	emit := regexEmit("regex_search")
	if len(pos) > 1 {
		emit = regexEmit("$regex_search_groups")
	}
	return jn{code: emit(x.code, append(pos, flags["ignorecase"], flags["multiline"]))}
}

// nowCall is Ansible's now(utc=False, fmt=None) global.
func (p *jparser) nowCall(t token, args []arg) jn {
	spec := optional(nowFunc, "utc", "fmt")
	return callCode(nowFunc, p.bind("now()", t, spec, args)...)
}

// dateMethod translates the datetime and timedelta methods; ok is false
// for other names.
func dateMethod(x jn, name string, args []string) (jn, bool) {
	switch name {
	case "strftime", "isoformat", "timestamp", "weekday", "isoweekday":
		return callCode(dateMethodFunc, append([]string{x.code, strconv.Quote(name)}, args...)...), true
	case "total_seconds":
		return callCode("$total_seconds", append([]string{x.code}, args...)...), true
	}
	return jn{}, false
}

// fnSub is a - b: dates and time differences as Python's datetime does,
// everything else as expr's own subtraction.
func fnSub(args ...any) (out any, err error) {
	switch args[0].(type) {
	case DateTime, Timedelta:
		return fnDateSub(args...)
	}
	if _, ok := args[1].(Timedelta); ok {
		return fnDateSub(args...)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return runtime.Subtract(args[0], args[1]), nil
}

// jinjaShadowsBuiltin are expr builtins that a Jinja author means as
// Ansible's: x | round(1, 'ceil') and now(utc=true) are read as Jinja
// (round(x) and now() written as calls translate to the same helpers).
var jinjaShadowsBuiltin = map[string]bool{"round": true, "now": true}

// overArity reports whether a call of a helper that is also a filter has
// more arguments than the helper takes: x | regex_search('(a)(b)', '\\2')
// is Jinja's filter with group arguments, not a wrong call of the helper.
func overArity(c *ast.CallNode) bool {
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return false
	}
	_, isFilter := jinjaFilters[id.Value]
	h := helperByName[id.Value]
	return isFilter && h != nil && h.max >= 0 && len(c.Arguments) > h.max
}

// TextFilterNames are the filters CallTextFilter runs: this file's set and
// regex_search.
func TextFilterNames() []string {
	names := make([]string, 0, len(textFilters)+1)
	for name := range textFilters {
		names = append(names, name)
	}
	names = append(names, "regex_search")
	sort.Strings(names)
	return names
}

// CallTextFilter runs one of TextFilterNames for another template engine
// (the template module's Jinja2 renderer), so that both compute it the
// same way: value | name(args…, kwargs…), keyword arguments by Jinja's and
// Ansible's parameter names.
func CallTextFilter(name string, value any, args []any, kwargs map[string]any) (any, error) {
	if name == "regex_search" {
		return callRegexSearch(value, args, kwargs)
	}
	spec, ok := textFilters[name]
	if !ok {
		return nil, fmt.Errorf("unknown filter %q", name)
	}
	if len(args) > len(spec.params) || spec.positional > 0 && len(args) > spec.positional {
		return nil, fmt.Errorf("filter %s takes at most %d positional arguments, got %d", name, max(spec.positional, len(spec.params)), len(args))
	}
	full := make([]any, 1+len(spec.params))
	full[0] = value
	copy(full[1:], args)
	for k, v := range kwargs {
		i := indexOf(spec.params, k)
		if i < 0 {
			return nil, fmt.Errorf("filter %s has no parameter %q (it takes %s)", name, k, paramList(spec.params))
		}
		full[1+i] = v
	}
	return helperByName["$"+name].call(full)
}

// callRegexSearch is regex_search(pattern, groups…, ignorecase=,
// multiline=) with Go values.
func callRegexSearch(value any, args []any, kwargs map[string]any) (any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("filter regex_search needs a pattern")
	}
	flags := ""
	for k, v := range kwargs {
		switch k {
		case "ignorecase":
			if Truthy(v) {
				flags += "i"
			}
		case "multiline":
			if Truthy(v) {
				flags += "m"
			}
		default:
			return nil, fmt.Errorf("filter regex_search has no parameter %q (it takes pattern, groups, ignorecase, multiline)", k)
		}
	}
	pattern := str(args[0])
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	all := append([]any{value, pattern}, args[1:]...)
	if len(args) == 1 {
		return helperByName["regex_search"].call(all)
	}
	return helperByName["$regex_search_groups"].call(all)
}

// isPipe reports whether n is a call written as a pipe (x | f(a)): expr
// places the call at the function's name, after its first argument.
func isPipe(n ast.Node) bool {
	var args []ast.Node
	switch c := n.(type) {
	case *ast.CallNode:
		args = c.Arguments
	case *ast.BuiltinNode:
		args = c.Arguments
	default:
		return false
	}
	return len(args) > 0 && args[0].Location().From < n.Location().From
}
