package eval_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/eval"
)

// The README's own example, {{ .x | default "d" }}, must give "d" when x is
// missing (it was a missingkey error), while a missing key that default does
// not receive stays an error naming the template and line.
func TestTemplateDefaultOfMissingKey(t *testing.T) {
	vars := map[string]any{"s": "set", "m": map[string]any{"k": "v"}, "str": "text", "empty": ""}
	for _, tc := range []struct{ text, want string }{
		{`{{ .x | default "d" }}`, "d"},
		{`{{ .s | default "d" }}`, "set"},
		{`{{ default "d" .x }}`, "d"},
		{`{{ .m.nope | default "d" }}`, "d"},
		{`{{ .nope.deeper | default "d" }}`, "d"},
		{`{{ .str.field | default "d" }}`, "d"},
		{`{{ .m.k | default "d" }}`, "v"},
		{`{{ .empty | default "d" }}`, "d"},
		{`{{ .x | default "d" | upper }}`, "D"},
		{`{{ upper (.x | default "d") }}`, "D"},
		{`{{ if .t }}{{ else }}{{ .x | default "in-if" }}{{ end }}`, "in-if"},
		{`{{ range .l }}{{ .name | default "anon" }},{{ end }}`, "a,anon,"},
		{`{{ with .m }}{{ .nope | default "w" }}{{ end }}`, "w"},
		{`{{ define "sub" }}{{ .x | default "sub" }}{{ end }}{{ template "sub" . }}`, "sub"},
	} {
		v := map[string]any{"t": false, "l": []any{map[string]any{"name": "a"}, map[string]any{}}}
		for k, x := range vars {
			v[k] = x
		}
		got, err := eval.RenderTemplate("t.j2", tc.text, v)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.text, got, err, tc.want)
		}
	}
	_, err := eval.RenderTemplate("t.j2", "line1\n{{ .x }}", vars)
	if err == nil || !strings.Contains(err.Error(), "t.j2:2") || !strings.Contains(err.Error(), "x") {
		t.Errorf("a missing key outside default: err = %v, want an error naming t.j2:2", err)
	}
}
