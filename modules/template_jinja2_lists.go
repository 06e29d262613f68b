package modules

// Jinja's list filters that gonja gets wrong for Ansible's templates:
// selectattr/rejectattr on items missing the attribute, dictsort, and the
// tuples zip, product and dictsort yield (printed "(1, 'a')").

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// pyTuple is a Python tuple: a list that prints in parentheses.
type pyTuple []any

// String prints the tuple as Python's repr does.
func (t pyTuple) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, e := range t {
		if i > 0 {
			b.WriteString(", ")
		}
		writePyRepr(&b, e)
	}
	if len(t) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// tuplesOf makes each list in l a pyTuple (zip and product yield tuples).
func tuplesOf(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(l))
	for i, e := range l {
		if inner, ok := e.([]any); ok {
			out[i] = pyTuple(inner)
		} else {
			out[i] = e
		}
	}
	return out
}

// attrOf is item.attr for selectattr (a dotted path walks mappings), or
// gonja's undefined error when an item has no such attribute.
func attrOf(item *exec.Value, attr string) *exec.Value {
	v := item
	for _, part := range strings.Split(attr, ".") {
		next, ok := v.GetItem(part)
		if !ok {
			return exec.AsValue(fmt.Errorf("attribute '%s' not found", part))
		}
		v = next
	}
	return v
}

// jinjaSelectAttr is selectattr (reject false) or rejectattr (reject true):
// the items whose attribute passes the test (or is true without one).
func jinjaSelectAttr(reject bool) exec.FilterFunction {
	name := map[bool]string{false: "selectattr", true: "rejectattr"}[reject]
	return func(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		if len(p.Args) < 1 {
			return exec.AsValue(fmt.Errorf("filter %s needs an attribute name", name))
		}
		if !in.IsList() {
			return exec.AsValue(fmt.Errorf("filter %s needs a list, got %s", name, pyStr(plainValue(in))))
		}
		attr := p.Args[0].String()
		out := exec.ValuesList{}
		var failed error
		in.Iterate(func(_, _ int, item, _ *exec.Value) bool {
			v := attrOf(item, attr)
			var ok bool
			if len(p.Args) == 1 {
				ok = !v.IsError() && v.IsTrue()
			} else {
				res := e.ExecuteTestByName(p.Args[1].String(), v, &exec.VarArgs{Args: p.Args[2:], KwArgs: p.KwArgs})
				if res.IsError() {
					failed = errors.New(res.Error())
					return false
				}
				ok = res.IsTrue()
			}
			if ok != reject {
				out = append(out, item)
			}
			return true
		}, func() {})
		if failed != nil {
			return exec.AsValue(failed)
		}
		return exec.AsValue(out)
	}
}

// jinjaDictSort is dictsort(case_sensitive=false, by='key', reverse=false):
// the (key, value) pairs of a mapping, sorted.
func jinjaDictSort(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	m, ok := plainValue(in).(map[string]any)
	if !ok {
		return exec.AsValue(errors.New("filter dictsort needs a mapping"))
	}
	caseSensitive, byValue, reverse := false, false, false
	if len(p.Args) > 0 {
		caseSensitive = p.Args[0].IsTrue()
	}
	if len(p.Args) > 1 {
		byValue = p.Args[1].String() == "value"
	}
	if len(p.Args) > 2 {
		reverse = p.Args[2].IsTrue()
	}
	for k, v := range p.KwArgs {
		switch k {
		case "case_sensitive":
			caseSensitive = v.IsTrue()
		case "by":
			byValue = v.String() == "value"
		case "reverse":
			reverse = v.IsTrue()
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortKey := func(k string) string {
		s := k
		if byValue {
			s = pyStr(m[k])
		}
		if !caseSensitive {
			s = strings.ToLower(s)
		}
		return s
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if reverse {
			return sortKey(keys[i]) > sortKey(keys[j])
		}
		return sortKey(keys[i]) < sortKey(keys[j])
	})
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = pyTuple{k, m[k]}
	}
	return exec.AsValue(out)
}

// jinjaMap is Jinja's map: map('filter', args...) applies a filter to each
// item, map(attribute='a', default=d) takes an attribute. An error in any
// item fails the filter (gonja would print it as the item).
func jinjaMap(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	attr, byAttr := p.KwArgs["attribute"]
	if !byAttr && len(p.Args) == 0 {
		return exec.AsValue(errors.New("filter map needs a filter name or attribute="))
	}
	out := exec.ValuesList{}
	var failed *exec.Value
	in.Iterate(func(_, _ int, key, value *exec.Value) bool {
		item := key // a list's item, or a mapping's key
		var v *exec.Value
		if byAttr {
			v = attrOf(item, attr.String())
			if def, ok := p.KwArgs["default"]; ok && isUndefined(v) {
				v = def
			}
		} else {
			kw := map[string]*exec.Value{}
			for k, x := range p.KwArgs {
				kw[k] = x
			}
			v = e.ExecuteFilterByName(p.Args[0].String(), item, &exec.VarArgs{Args: p.Args[1:], KwArgs: kw})
		}
		if v.IsError() && !byAttr {
			failed = v
			return false
		}
		out = append(out, v)
		return true
	}, func() {})
	if failed != nil {
		return failed
	}
	return exec.AsValue(out)
}

// jinjaExtract is Ansible's extract(container, morekeys): container[item],
// then each of morekeys in turn.
func jinjaExtract(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if len(p.Args) < 1 {
		return exec.AsValue(errors.New("filter extract needs a container"))
	}
	keys := []*exec.Value{in}
	if len(p.Args) > 1 {
		if p.Args[1].IsList() {
			p.Args[1].Iterate(func(_, _ int, k, _ *exec.Value) bool { keys = append(keys, k); return true }, func() {})
		} else {
			keys = append(keys, p.Args[1])
		}
	}
	v := p.Args[0]
	for _, k := range keys {
		var next *exec.Value
		var ok bool
		if k.IsInteger() {
			next, ok = v.GetItem(k.Integer())
		} else {
			next, ok = v.GetItem(k.String())
		}
		if !ok {
			return exec.AsValue(fmt.Errorf("attribute '%s' not found", k.String()))
		}
		v = next
	}
	return v
}
