package eval

import (
	"testing"
)

// fuzzVars is a small variable set for the fuzz targets.
func fuzzVars() map[string]any {
	return map[string]any{
		"n": 1,
		"f": 1.5,
		"s": "str",
		"l": []any{1, "two", nil},
		"m": map[string]any{"k": "v", "sub": map[string]any{"x": 1}},
		"z": nil,
	}
}

var fuzzSeeds = []string{
	"", "plain", "{{ n }}", "a {{ s | upper() }} b", "{{ l }}", "{{ m.sub.x ?? 0 }}",
	"{{ missing }}", "{{ {'a': {'b': 1}} }}", "{{ '}}' }}", "{{", "}}", "{{ n +", "{{ }}",
	"{{ 'unterminated }}", "{{ default(z, 'd') }}-{{ defined('m.k') }}", "{{ range(3) }}",
	"{{ regex_replace(s, '(s)', `\\1\\1`) }}", "{{ to_json(m) }}{{ from_yaml('a: [1') }}",
	"{{ filter(l, # != nil) | join(',') }}", "{{ let x = n; x * 2 }}", "{{ n ? 1 : 2 }}",
	"{{ a.b.c != nil && a.b.c > 1 }}", "{{ x is defined }}", "{{ seq(-5) }}", "{{ 1..1000000000 }}",
	"{{ combine(m, {'k': 2}).k }}", "{{ l[99] }}", "{{ m.k.z }}", "{{ int(s) }}", "{{ $env }}",
	"{{-A}}0", "{{ nope }}-}}", // an error from rendering statements comes without a value
}

func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars := fuzzVars()
		v, err := Render(s, vars)
		if err != nil && v != nil {
			t.Fatalf("Render(%q) returned both %v and %v", s, v, err)
		}
		if !HasTemplate(s) && (err != nil || v != s) {
			t.Fatalf("Render(%q) changed a string without {{: %v, %v", s, v, err)
		}
		// Syntax problems found by ValidateString are found by Render too.
		if verr := ValidateString(s); verr != nil && err == nil {
			t.Fatalf("ValidateString(%q) = %v but Render succeeded", s, verr)
		}
		_, _ = RenderValue(map[string]any{"a": []any{s}}, vars)
		_, _ = RenderTemplate("fuzz", s, vars)
	})
}

func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range []string{"n + 1", "s | upper()", "missing ?? 1", "z.x.y ?? 2", "l | unique() | length()",
		"m.sub.x == 1 && defined('m.k')", "quote(s) + b64encode(s)", "flatten([l, [l]], 1)", "split(s, '')",
		"items2dict(dict2items(m))", "hash(s, 'md5')", "range(10, 0, -1)", "intersect(l, l)", "n / 0", "f % 0",
		"l is defined and l | length > 1", "'a' ~ n if s is string else m.0", "l | map(attribute='x', default=1) | list",
		"l | selectattr('a', 'equalto', 1) | sort(reverse=true) | first", "m | combine({'k': 2}, recursive=true) | dict2items",
		"lookup('env', 'HOME') ~ n // 2", "s.split(',') | zip(l) | product([1]) | list", "v is version('1.2', '<=') or s is match('^a')"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars := fuzzVars()
		v, err := Eval(s, vars)
		if err != nil && v != nil {
			t.Fatalf("Eval(%q) returned both %v and %v", s, v, err)
		}
		verr := Validate(s)
		if (verr == nil) != (err == nil || !isSyntax(err)) {
			t.Fatalf("Validate(%q) = %v, Eval error %v", s, verr, err)
		}
		_ = Truthy(v)
		_, _ = Condition([]string{s, s}, vars)
	})
}

func isSyntax(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Syntax
}
