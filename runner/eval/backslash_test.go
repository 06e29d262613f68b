package eval_test

import (
	"fmt"
	"testing"

	"github.com/runbook-dev/runbook/runner/eval"
)

// TestRenderLiteralBackslashes: inside {{ }} in a value, a string
// literal's backslashes are taken as written (ansible-core's
// escape_backslashes); in a bare expression (when:) and in {% %} Jinja's
// escapes apply.
func TestRenderLiteralBackslashes(t *testing.T) {
	vars := map[string]any{"s": "a b  c", "l": []any{"a", "b"}}
	for _, c := range []struct{ in, want string }{
		{`{{ l | join('\n') }}`, `a\nb`},
		{"{{ l | join('\n') }}", "a\nb"}, // a real newline (YAML decoded it) stays one
		{`{{ 'a\\b' }}`, `a\\b`},
		{`{{ s | regex_replace('\s+', '_') }}`, `a_b_c`},
		{`{{ s | regex_replace('\\s+', '_') }}`, `a b  c`}, // a literal backslash, then s
		{`{{ 'test' | regex_replace('^(t)', '\1X') }}`, `tXest`},
		{`{{ 'a\nb' | length }} {{ "x\"y" }}`, `4 x"y`},
		{`x\ty {{ 'q' }}`, `x\ty q`},
		{`{% if 'a\nb' | length == 3 %}three{% endif %}`, `three`},
		{`{% for x in ['1\n2'] %}{{ x | length }}{% endfor %}`, `3`},
	} {
		got, err := eval.Render(c.in, vars)
		if err != nil {
			t.Errorf("Render(%q): %v", c.in, err)
			continue
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("Render(%q) = %#v, want %q", c.in, got, c.want)
		}
	}
	ok, err := eval.Eval(`'a\nb' | length == 3`, vars)
	if err != nil || ok != true {
		t.Errorf("a bare expression reads Jinja's escapes: %v, %v", ok, err)
	}
}
