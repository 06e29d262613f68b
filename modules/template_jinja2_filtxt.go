package modules

// Ansible's text, number, path, URL and date filters for .j2 templates
// (log, human_readable, comment, to_uuid, urlsplit, regex_search with
// groups, splitext, realpath, to_datetime, …), computed by the same code as
// in playbook expressions (runner/eval). The filters Jinja itself has
// (round, indent, truncate, …) are gonja's.

import (
	"reflect"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// ExpressionFilter runs one of the playbook expressions' filters on plain
// Go values: the runner's runner/eval.CallTextFilter.
type ExpressionFilter func(name string, in any, args []any, kwargs map[string]any) (any, error)

// RegisterExpressionFilters makes the named filters of playbook
// expressions available to .j2 templates, where neither gonja nor this
// package has one of that name. The runner calls it once, before any
// template is rendered (the modules sit below the expression engine and
// do not import it).
func RegisterExpressionFilters(names []string, call ExpressionFilter) {
	for _, name := range names {
		if builtins.Filters.Exists(name) {
			continue
		}
		if _, taken := ansibleJinjaFilters[name]; !taken {
			ansibleJinjaFilters[name] = evalFilter(name, call)
		}
	}
}

// evalFilter runs eval's filter name on gonja's values.
func evalFilter(name string, call ExpressionFilter) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		args := make([]any, len(params.Args))
		for i, a := range params.Args {
			args[i] = plainValue(a)
		}
		kwargs := make(map[string]any, len(params.KwArgs))
		for k, v := range params.KwArgs {
			kwargs[k] = plainValue(v)
		}
		out, err := call(name, plainValue(in), args, kwargs)
		if err != nil {
			return exec.ValueError(err)
		}
		return exec.AsValue(out)
	}
}

// plainValue turns a gonja value into the Go values expressions use:
// lists and dicts written in a template hold *exec.Value items.
func plainValue(v any) any {
	switch t := v.(type) {
	case *exec.Value:
		if t == nil || t.IsNil() {
			return nil
		}
		return plainValue(t.Interface())
	case *exec.Dict:
		out := make(map[string]any, len(t.Pairs))
		for _, p := range t.Pairs {
			out[p.Key.String()] = plainValue(p.Value)
		}
		return out
	case string, []byte:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = plainValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[it.Key().String()] = plainValue(it.Value().Interface())
		}
		return out
	}
	return v
}
