package eval

import (
	"errors"
	"strings"
	"testing"
)

// The expected values below are what ansible-core 2.14 (Jinja 3.1.2,
// Python 3.11) printed for the same expressions, run with the probe script
// of round 20; test/conformance/cases/filters-collections checks a sample
// of them against ansible-playbook directly.

func collectionVars() map[string]any {
	return map[string]any{
		"d":      map[string]any{"b": 1, "a": 2, "C": 0},
		"five":   []any{1, 2, 3, 4, 5},
		"rows":   []any{map[string]any{"k": "a", "v": 1}, map[string]any{"k": "b", "v": 2}, map[string]any{"k": "A", "v": 3}},
		"users":  []any{map[string]any{"n": "x", "g": []any{1, 2}}, map[string]any{"n": "y", "g": []any{3}}},
		"mixed":  []any{1, "a", nil, 2.5, true, map[string]any{}, []any{}},
		"stream": "a: 1\n---\n- x\n- z\n",
	}
}

// TestJinjaCollectionFilters: Jinja 3.1's dictsort, items, batch, slice,
// groupby (with .grouper/.list), attr, map by a dotted path or an index,
// unique's parameters, list of a mapping.
func TestJinjaCollectionFilters(t *testing.T) {
	pair := func(k string, v any) []any { return []any{k, v} }
	row := func(k string, v int) map[string]any { return map[string]any{"k": k, "v": v} }
	checkEvals(t, collectionVars(), []evalCase{
		{"{'b': 1, 'a': 2, 'C': 0} | dictsort", []any{pair("a", 2), pair("b", 1), pair("C", 0)}},
		{"d | dictsort(true)", []any{pair("C", 0), pair("a", 2), pair("b", 1)}},
		{"d | dictsort(by='value')", []any{pair("C", 0), pair("b", 1), pair("a", 2)}},
		{"d | dictsort(false, 'value', reverse=true)", []any{pair("a", 2), pair("b", 1), pair("C", 0)}},
		{"{'a': 1} | items | list", []any{pair("a", 1)}},
		{"five | batch(2) | list", []any{[]any{1, 2}, []any{3, 4}, []any{5}}},
		{"five | batch(2, 'x') | list", []any{[]any{1, 2}, []any{3, 4}, []any{5, "x"}}},
		{"five | batch(linecount=3, fill_with=0) | list", []any{[]any{1, 2, 3}, []any{4, 5, 0}}},
		{"five | slice(2) | list", []any{[]any{1, 2, 3}, []any{4, 5}}},
		{"five | slice(3, 'x') | list", []any{[]any{1, 2}, []any{3, 4}, []any{5, "x"}}},
		{"[1, 2, 3, 4, 5, 6, 7] | slice(3) | list", []any{[]any{1, 2, 3}, []any{4, 5}, []any{6, 7}}},
		{"[1, 2] | slice(4) | list", []any{[]any{1}, []any{2}, []any{}, []any{}}},
		{"rows | groupby('k') | list", []any{groupPair{"a", []any{row("a", 1), row("A", 3)}}, groupPair{"b", []any{row("b", 2)}}}},
		{"rows | groupby('k', case_sensitive=true) | map(attribute='grouper') | list", []any{"A", "a", "b"}},
		{"[{'k': {'x': 2}, 'v': 1}, {'k': {'x': 1}, 'v': 2}] | groupby('k.x') | map('first') | list", []any{1, 2}},
		{"[{'k': 'a'}, {'v': 2}] | groupby('k', default='z') | map(attribute='grouper') | list", []any{"a", "z"}},
		{"(rows | groupby('k'))[0].grouper", "a"},
		{"(rows | groupby('k'))[1].list", []any{row("b", 2)}},
		{"(rows | groupby('k'))[1][0]", "b"},
		{"(rows | groupby('k'))[0] | attr('list') | length", 2},
		{"[[1, 'x'], [2, 'y'], [1, 'z']] | groupby(0) | map(attribute='list') | map('length') | list", []any{2, 1}},
		{"[[1, 'x'], [2, 'y']] | groupby('1') | map(attribute='grouper') | list", []any{"x", "y"}},
		{"{'list': 5}.list", 5},
		{"[{'a': {'b': 1}}, {'a': {'b': 2}}] | map(attribute='a.b') | list", []any{1, 2}},
		{"[[1, 2], [3, 4]] | map(attribute=1) | list", []any{2, 4}},
		{"[{'a': [5, 6]}] | map(attribute='a.0') | list", []any{5}},
		{"['a', 'A', 'b'] | unique", []any{"a", "b"}},
		{"['a', 'A', 'b'] | unique(case_sensitive=true)", []any{"a", "A", "b"}},
		{"[{'n': 'a'}, {'n': 'A'}, {'n': 'b'}] | unique(attribute='n') | map(attribute='n') | list", []any{"a", "b"}},
		{"[[1], [1], [2]] | unique", []any{[]any{1}, []any{2}}},
		{"[1, 1.0, true, 2] | unique", []any{1, 2}},
		{"'abc' | list", []any{"a", "b", "c"}},
		{"'abc' | first ~ 'abc' | last", "ac"},
		{"[1, 2, 3] | sum(start=10)", 16},
		{"[{'a': 1}, {'a': 5}] | max(attribute='a')", map[string]any{"a": 5}},
	})
}

// TestSelectTests: select, reject, selectattr and rejectattr take every
// Jinja and Ansible test, those without arguments too (the value is given).
func TestSelectTests(t *testing.T) {
	checkEvals(t, collectionVars(), []evalCase{
		{"[{'a': 1}, {'b': 2}] | selectattr('a', 'defined') | list", []any{map[string]any{"a": 1}}},
		{"[{'a': 1}, {'b': 2}] | selectattr('a', 'undefined') | list", []any{map[string]any{"b": 2}}},
		{"[{'a': 1}, {'b': 2}] | rejectattr('a', 'defined') | list", []any{map[string]any{"b": 2}}},
		{"{'a': none, 'b': 1} | dict2items | selectattr('value', 'none') | map(attribute='key') | list", []any{"a"}},
		{"{'a': none, 'b': 1} | dict2items | rejectattr('value', 'none') | map(attribute='key') | list", []any{"b"}},
		{"[0, 1, '', 'a', none, [], [1]] | select | list", []any{1, "a", []any{1}}},
		{"[0, 1, '', 'a', none, [], [1]] | reject | list", []any{0, "", nil, []any{}}},
		{"mixed | select('number') | list", []any{1, 2.5, true}},
		{"mixed | select('none') | list", []any{nil}},
		{"mixed | select('defined') | length", 7},
		{"mixed | select('undefined') | list", []any{}},
		{"mixed | select('mapping') | list", []any{map[string]any{}}},
		{"mixed | select('callable') | list", []any{}},
		{"[1, 2, 3] | select('equalto', 2) | list", []any{2}},
		{"[1, 2, 3] | select('==', 2) | list", []any{2}},
		{"[1, 2, 3] | select('!=', 2) | list", []any{1, 3}},
		{"[1, 2, 3] | select('<', 2) | list", []any{1}},
		{"[1, 2, 3] | select('ge', 2) | list", []any{2, 3}},
		{"[1, 2, 3] | select('in', [1, 3]) | list", []any{1, 3}},
		{"['ab', 'cb', 'abc'] | select('match', 'a') | list", []any{"ab", "abc"}},
		{"['ab', 'cb', 'abc'] | reject('search', 'c') | list", []any{"ab"}},
		{"[[true, false], [true]] | select('all') | list", []any{[]any{true}}},
		{"[[true, false], [false]] | select('any') | list", []any{[]any{true, false}}},
		{"['upper', 'nosuch'] | select('filter') | list", []any{"upper"}},
		{"['defined', 'nosuch'] | select('test') | list", []any{"defined"}},
		{"[1, 2, 3, 4] | select('divisibleby', 2) | list", []any{2, 4}},
	})
}

// TestAnsibleListFilters: symmetric_difference, extract, subelements,
// zip_longest, permutations, combinations, product, flatten, combine's
// list_merge, dict2items/items2dict, from_yaml_all.
func TestAnsibleListFilters(t *testing.T) {
	x1, y := map[string]any{"n": "x", "g": []any{1, 2}}, map[string]any{"n": "y", "g": []any{3}}
	checkEvals(t, collectionVars(), []evalCase{
		{"[1, 2, 3] | symmetric_difference([2, 3, 4])", []any{1, 4}},
		{"[3, 1, 1, 2] | symmetric_difference([5, 4])", []any{3, 1, 2, 5, 4}},
		{"[[1], 2] | symmetric_difference([2, [3]])", []any{[]any{1}, []any{3}}},
		{"'a' | extract({'a': 1, 'b': 2})", 1},
		{"['a', 'b'] | map('extract', {'a': 1, 'b': 2}) | list", []any{1, 2}},
		{"[0, 2] | map('extract', ['x', 'y', 'z']) | list", []any{"x", "z"}},
		{"'a' | extract({'a': {'b': {'c': 3}}}, ['b', 'c'])", 3},
		{"['a'] | map('extract', {'a': {'b': 5}}, 'b') | list", []any{5}},
		{"users | subelements('g')", []any{[]any{x1, 1}, []any{x1, 2}, []any{y, 3}}},
		{"[{'n': 'x', 'g': [1, 2]}, {'n': 'y'}] | subelements('g', skip_missing=true) | length", 2},
		{"[{'n': 'x', 'a': {'g': [1]}}] | subelements('a.g') | map('last') | list", []any{1}},
		{"[{'n': 'x', 'a': {'g': [1]}}] | subelements(['a', 'g']) | map('last') | list", []any{1}},
		{"{'k1': {'n': 'x', 'g': [1, 2]}} | subelements('g') | map('last') | list", []any{1, 2}},
		{"[1, 2] | zip_longest([3], fillvalue=0) | list", []any{[]any{1, 3}, []any{2, 0}}},
		{"[1, 2] | zip_longest([3], ['a', 'b', 'c']) | list", []any{[]any{1, 3, "a"}, []any{2, nil, "b"}, []any{nil, nil, "c"}}},
		{"[1, 2, 3] | permutations | list", []any{[]any{1, 2, 3}, []any{1, 3, 2}, []any{2, 1, 3}, []any{2, 3, 1}, []any{3, 1, 2}, []any{3, 2, 1}}},
		{"[1, 2, 3] | permutations(2) | list", []any{[]any{1, 2}, []any{1, 3}, []any{2, 1}, []any{2, 3}, []any{3, 1}, []any{3, 2}}},
		{"[1, 2, 3] | combinations(2) | list", []any{[]any{1, 2}, []any{1, 3}, []any{2, 3}}},
		{"[1, 2, 3] | combinations(0) | list", []any{[]any{}}},
		{"[1, 2, 3] | combinations(5) | list", []any{}},
		{"[1, 2] | product([3, 4]) | list", []any{[]any{1, 3}, []any{1, 4}, []any{2, 3}, []any{2, 4}}},
		{"[1, 2] | product(repeat=2) | list", []any{[]any{1, 1}, []any{1, 2}, []any{2, 1}, []any{2, 2}}},
		{"[1, 2] | product(['a'], repeat=2) | length", 4},
		{"[1, [2, [3, [4]]]] | flatten", []any{1, 2, 3, 4}},
		{"[1, [2, [3, [4]]]] | flatten(1)", []any{1, 2, []any{3, []any{4}}}},
		{"[1, [2, [3, [4]]]] | flatten(levels=2)", []any{1, 2, 3, []any{4}}},
		{"[1, none, 'None', 'null', [none, 2]] | flatten", []any{1, 2}},
		{"[1, none, 'None', [none, 2]] | flatten(skip_nulls=false)", []any{1, nil, "None", nil, 2}},
		{"{'a': [1, 2], 'b': {'x': [1]}} | combine({'a': [2, 3], 'b': {'x': [2]}}, list_merge='append')", map[string]any{"a": []any{1, 2, 2, 3}, "b": map[string]any{"x": []any{2}}}},
		{"{'a': [1, 2], 'b': {'x': [1]}} | combine({'a': [2, 3], 'b': {'x': [2]}}, list_merge='append', recursive=true)", map[string]any{"a": []any{1, 2, 2, 3}, "b": map[string]any{"x": []any{1, 2}}}},
		{"{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='prepend')", map[string]any{"a": []any{2, 3, 1, 2}}},
		{"{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='keep')", map[string]any{"a": []any{1, 2}}},
		{"{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append_rp')", map[string]any{"a": []any{1, 2, 3}}},
		{"{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='prepend_rp')", map[string]any{"a": []any{2, 3, 1}}},
		{"{'a': [1]} | combine({'a': 'x'}, list_merge='append')", map[string]any{"a": "x"}},
		{"[{'a': 1}, {'b': 2}] | combine", map[string]any{"a": 1, "b": 2}},
		{"[{'a': 1}, {'b': 2}] | combine({'c': 3})", map[string]any{"a": 1, "b": 2, "c": 3}},
		{"{'a': 1} | dict2items(key_name='k', value_name='v')", []any{map[string]any{"k": "a", "v": 1}}},
		{"[{'k': 'a', 'v': 1}] | items2dict(key_name='k', value_name='v')", map[string]any{"a": 1}},
		{"stream | from_yaml_all | list", []any{map[string]any{"a": 1}, []any{"x", "z"}}},
		{"'' | from_yaml_all | list", []any{}},
		{"5 | from_yaml_all", 5},
	})
}

// TestCollectionFilterErrors: bad arguments are errors naming the filter
// and what it takes — at validation when the form is wrong, at run time
// when a value is.
func TestCollectionFilterErrors(t *testing.T) {
	parse := []struct{ expr, want string }{
		{"x | batch", "filter batch needs its linecount argument"},
		{"x | slice(fill_with=0)", "filter slice needs its slices argument"},
		{"x | groupby", "filter groupby needs its attribute argument"},
		{"x | dictsort(sort='key')", `filter dictsort has no parameter "sort" (it takes case_sensitive, by, reverse)`},
		{"x | items(1)", "filter items takes at most 0 argument(s)"},
		{"x | combinations", "filter combinations needs its r argument"},
		{"x | zip_longest(y, fill=0)", `filter zip_longest has no parameter "fill" (it takes fillvalue)`},
		{"x | product(y, times=2)", `filter product has no parameter "times" (it takes repeat)`},
		{"x | combine(y, list_merge='merge')", "list_merge must be replace, keep, append, prepend, append_rp or prepend_rp"},
		{"x | combine(y, deep=true)", `filter combine has no parameter "deep" (it takes recursive, list_merge)`},
		{"x | random(1, 2, 3, 4)", "filter random takes at most 3 argument(s) (start, step, seed)"},
		{"x | password_hash('sha512', salt='s', pepper=1)", `filter password_hash has no parameter "pepper"`},
		{"x | ipaddr", `filter "ipaddr" is not supported`},
	}
	for _, tc := range parse {
		err := Validate(tc.expr)
		var e *Error
		if err == nil || !errors.As(err, &e) || !e.Syntax || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v, want a syntax error containing %q", tc.expr, err, tc.want)
		}
	}
	checkEvalErrors(t, map[string]any{"mode": "deep"}, map[string]string{
		"{'b': 1} | dictsort(by='x')":                              "dictsort(): by must be 'key' or 'value', got \"x\"",
		"[1, 2] | dictsort":                                        "dictsort(): expected a map, got list",
		"[1] | batch(0)":                                           "batch(): linecount must be at least 1, got 0",
		"[1] | slice('a')":                                         "slice(): slices must be a number, got string",
		"[{'k': 1}, {'v': 2}] | groupby('k')":                      `groupby(): item 1 has no attribute "k" (give groupby a default=)`,
		"[{'k': 1}, {'k': 'a'}] | groupby('k')":                    "groupby(): cannot compare",
		"{'a': 1} | attr('a')":                                     `attr(): map has no attribute "a" (attr reads attributes, not keys`,
		"[1, 2] | select('nosuchtest') | list":                     `select(): unknown test "nosuchtest"`,
		"[[1], 'a', 'A'] | unique(case_sensitive=false)":           "unique(): cannot compare list items",
		"'q' | extract({'a': 1})":                                  `extract(): map has no key "q"`,
		"5 | extract([1, 2])":                                      "extract(): list index 5 out of range",
		"[{'n': 'x', 'g': [1, 2]}, {'n': 'y'}] | subelements('g')": `subelements(): could not find "g" in an item (skip_missing=true skips it)`,
		"[{'n': 'x', 'g': 5}] | subelements('g')":                  `subelements(): the key "g" should point to a list, got number`,
		"'x' | subelements('g')":                                   "subelements(): expected a list of mappings or a mapping, got string",
		"[1] | permutations(-1)":                                   "permutations(): r must not be negative",
		"[1] | product(repeat='x')":                                "product(): repeat must be a number, got string",
		"[1] | flatten(levels='x')":                                "flatten(): levels must be a number, got string",
		"{'a': 1} | combine({'a': 2}, list_merge=mode)":            `combine(): list_merge must be replace, keep, append, prepend, append_rp or prepend_rp, got "deep"`,
		"[{'key': 'a', 'value': 1}, {'key': 'b'}] | items2dict":    `items2dict(): item 1 has no "key" or no "value"`,
		"'a: [' | from_yaml_all":                                   "from_yaml_all(): ",
	})
}

// TestGroupbyInForLoop: {% for grouper, items in l | groupby(...) %}
// unpacks each group as Jinja's named tuple does.
func TestGroupbyInForLoop(t *testing.T) {
	got, err := Render("{% for city, people in users | groupby('city') %}{{ city }}: {{ people | map(attribute='name') | join(',') }};{% endfor %}"+
		"{% for g in users | groupby('city') %} {{ g.grouper }}={{ g.list | length }}{% endfor %}", map[string]any{
		"users": []any{
			map[string]any{"name": "ann", "city": "NY"},
			map[string]any{"name": "bob", "city": "CA"},
			map[string]any{"name": "cy", "city": "ny"},
		},
	})
	if want := "CA: bob;NY: ann,cy; CA=1 NY=2"; err != nil || got != want {
		t.Errorf("Render = %q, %v; want %q", got, err, want)
	}
}
