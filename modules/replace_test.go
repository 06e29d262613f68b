package modules_test

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceCases(t *testing.T) {
	cases := []lineCase{
		{"every match, multiline", textPtr("a=1\nb=2\na=3\n"), map[string]any{"regexp": `^a=\d+$`, "replace": "a=9"}, "a=9\nb=2\na=9\n", "2 replacements made", true},
		{"groups, $ literal", textPtr("bind 1.2.3.4:80\n"), map[string]any{"regexp": `^bind [^:]+:(\d+)$`, "replace": `bind 0.0.0.0:\1 $1`}, "bind 0.0.0.0:80 $1\n", "1 replacements made", true},
		{"named groups", textPtr("x = 1\ny = 2\n"), map[string]any{"regexp": `(?P<k>\w+) = (?P<v>\w+)`, "replace": `\g<k>=\g<v>`}, "x=1\ny=2\n", "2 replacements made", true},
		{"between after and before", textPtr("[a]\nport=1\n[b]\nport=1\n[c]\nport=1\n"), map[string]any{"regexp": `^port=1$`, "replace": "port=2", "after": `\[b\]`, "before": `\[c\]`}, "[a]\nport=1\n[b]\nport=2\n[c]\nport=1\n", "1 replacements made", true},
		{"after only", textPtr("port=1\n[b]\nport=1\n"), map[string]any{"regexp": `^port=1$`, "replace": "port=2", "after": `\[b\]`}, "port=1\n[b]\nport=2\n", "1 replacements made", true},
		{"before only", textPtr("port=1\n[b]\nport=1\n"), map[string]any{"regexp": `^port=1$`, "replace": "port=2", "before": `\[b\]`}, "port=2\n[b]\nport=1\n", "1 replacements made", true},
		{"after does not match", textPtr("port=1\n"), map[string]any{"regexp": `^port=1$`, "replace": "port=2", "after": `\[z\]`}, "port=1\n", `Pattern for before/after params did not match the given file: \[z\](?P<subsection>.*)`, false},
		{"no match", textPtr("a\n"), map[string]any{"regexp": `^z`, "replace": "y"}, "a\n", "", false},
		{"empty replace removes", textPtr("a\n# c\nb\n"), map[string]any{"regexp": `^#.*\n`}, "a\nb\n", "1 replacements made", true},
		{"missing file", nil, map[string]any{"regexp": `a`, "replace": "b"}, "<missing>", "", false},
	}
	eachConn(t, func(t *testing.T, c testConn) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := filepath.Join(t.TempDir(), "sub", "file")
				r := textRunCase(t, c, "replace", p, tc.before, tc.args)
				if got := textFileState(t, p); got != tc.after {
					t.Errorf("file = %q, want %q", got, tc.after)
				}
				if tc.before == nil {
					if !r.Failed || !strings.Contains(r.Msg, "does not exist") || r.Data["rc"] != 257 {
						t.Errorf("missing file: %+v", r)
					}
					return
				}
				if r.Changed != tc.changed || r.Msg != tc.msg || r.Failed {
					t.Errorf("changed=%v msg=%q failed=%v, want changed=%v msg=%q", r.Changed, r.Msg, r.Failed, tc.changed, tc.msg)
				}
			})
		}
	})
}

func TestReplaceErrors(t *testing.T) {
	mc := helperContext(t, nil)
	p := filepath.Join(t.TempDir(), "f")
	writeText(t, p, "x\n")
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"path": p, "regexp": "(x)", "replace": `\d`}, `bad escape \d`},
		{map[string]any{"path": p, "regexp": "(x)", "replace": `\2`}, "invalid group reference 2"},
		{map[string]any{"path": p, "regexp": "(?<=x)", "replace": "y"}, "invalid regular expression"},
		{map[string]any{"path": p}, "regexp"},
	} {
		_, err := helperRun(t, mc, "replace", tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.raw, err, tc.want)
		}
	}
}
