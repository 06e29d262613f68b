package eval

import (
	"sort"
	"strconv"
)

// How the collection filters (funcs_collections.go, funcs_sets.go,
// funcs_random.go, funcs_crypt.go) are written in expr. They are custom:
// each binds its arguments itself, so that a missing required argument or
// a wrong list_merge is an error at the expression's line and column.

// customFilter translates one filter applied to x.
type customFilter func(p *jparser, t token, x jn, args []arg) jn

// required marks a parameter without a default.
const required = "$required"

// customFilters are consulted before jinjaFilters.
var customFilters map[string]customFilter

func init() {
	customFilters = map[string]customFilter{
		"dictsort":             bound("$dictsort", []string{"case_sensitive", "by", "reverse"}, "false", `"key"`, "false"),
		"items":                bound("$items", nil),
		"batch":                bound("$batch", []string{"linecount", "fill_with"}, required, "nil"),
		"slice":                bound("$slice", []string{"slices", "fill_with"}, required, "nil"),
		"groupby":              bound("$groupby", []string{"attribute", "default", "case_sensitive"}, required, "nil", "false"),
		"attr":                 bound("$attr", []string{"name"}, required),
		"unique":               bound("$unique", []string{"case_sensitive", "attribute"}, "nil", "nil"),
		"symmetric_difference": bound("symmetric_difference", []string{"b"}, required),
		"extract":              bound("extract", []string{"container", "morekeys"}, required, "nil"),
		"subelements":          bound("subelements", []string{"subelements", "skip_missing"}, required, "false"),
		"permutations":         bound("$permutations", []string{"r"}, "nil"),
		"combinations":         bound("$combinations", []string{"r"}, required),
		"flatten":              bound("flatten", []string{"levels", "skip_nulls"}, "nil", "true"),
		"from_yaml_all":        bound("from_yaml_all", nil),
		"random":               bound("$random", []string{"start", "step", "seed"}, "nil", "nil", "nil"),
		"shuffle":              bound("$shuffle", []string{"seed"}, "nil"),
		"password_hash":        bound("$password_hash", []string{"hashtype", "salt", "salt_size", "rounds", "ident"}, `"sha512"`, "nil", "nil", "nil", "nil"),
		"zip_longest":          variadic("$zip_longest", []string{"fillvalue"}, "nil"),
		"product":              variadic("$product", []string{"repeat"}, "1"),
		"combine":              variadic("$combine", []string{"recursive", "list_merge"}, "false", `"replace"`),
	}
}

// bound is a filter with named parameters: the value, then each parameter
// (by position or keyword), defaults filling the rest.
func bound(helper string, params []string, defaults ...string) customFilter {
	spec := filterSpec{params: params, defaults: defaults}
	return func(p *jparser, t token, x jn, args []arg) jn {
		what := "filter " + t.text
		if len(args) > len(params) {
			p.fail(refusedAt(t.pos, "%s takes at most %d argument(s) (%s), got %d", what, len(params), paramList(params), len(args)))
		}
		vals := p.bind(what, t, spec, args)
		for i, v := range vals {
			if v == required {
				p.fail(refusedAt(t.pos, "%s needs its %s argument", what, params[i]))
			}
		}
		return callCode(helper, append([]string{x.code}, vals...)...)
	}
}

// variadic is a filter taking any number of positional arguments and the
// keyword ones named: helper(keywords…, x, positional…).
func variadic(helper string, keywords []string, defaults ...string) customFilter {
	return func(p *jparser, t token, x jn, args []arg) jn {
		vals := append([]string{}, defaults...)
		pos := []string{x.code}
		for _, a := range args {
			if a.name == "" {
				pos = append(pos, a.val.code)
				continue
			}
			i := indexOf(keywords, a.name)
			if i < 0 {
				p.fail(refusedAt(a.pos, "filter %s has no parameter %q (it takes %s)", t.text, a.name, paramList(keywords)))
			}
			if a.name == "list_merge" && a.val.str != nil && !listMerges[*a.val.str] {
				p.fail(refusedAt(a.pos, "filter combine: list_merge must be replace, keep, append, prepend, append_rp or prepend_rp, got %s", strconv.Quote(*a.val.str)))
			}
			vals[i] = a.val.code
		}
		return callCode(helper, append(vals, pos...)...)
	}
}

func customFilterNames() []string {
	names := make([]string, 0, len(customFilters))
	for n := range customFilters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
