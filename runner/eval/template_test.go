package eval

import (
	"strings"
	"testing"
)

func TestRenderTemplate(t *testing.T) {
	vars := testVars()
	vars["conf"] = map[string]any{"b": 2, "a": 1}
	vars["path"] = "/srv/app/current"
	tests := []struct {
		name, text, want string
	}{
		{"plain", "no actions\n", "no actions\n"},
		{"vars", "n={{ .n }} s={{ .s }} f={{ .f }}", "n=3 s=hello f=2.5"},
		{"nested", "{{ .m.inner.x }}", "deep"},
		{"range", "{{ range .hosts }}[{{ . }}]{{ end }}", "[web1][web2][db1]"},
		{"if", "{{ if .t }}on{{ else }}off{{ end }}", "on"},
		{"bool word", `{{ if bool "no" }}on{{ else }}off{{ end }}`, "off"},
		{"upper", "{{ .s | upper }}", "HELLO"},
		{"lower", `{{ "AbC" | lower }}`, "abc"},
		{"trim", `[{{ "  x " | trim }}]`, "[x]"},
		{"trim cutset", `[{{ "--x-" | trim "-" }}]`, "[x]"},
		{"replace", `{{ "a-b" | replace "-" "+" }}`, "a+b"},
		{"join", `{{ .hosts | join ", " }}`, "web1, web2, db1"},
		{"join direct", `{{ join ", " .hosts }}`, "web1, web2, db1"},
		{"split", `{{ range "a:b" | split ":" }}<{{ . }}>{{ end }}`, "<a><b>"},
		{"default piped", `{{ index . "nope" | default "fb" }}`, "fb"},
		{"default direct", `{{ default "fb" .nothing }}`, "fb"},
		{"default kept", `{{ .s | default "fb" }}`, "hello"},
		{"defined", `{{ if defined "s" }}yes{{ end }}{{ if defined "nope" }}no{{ end }}{{ if defined "m.inner.x" }}!{{ end }}`, "yes!"},
		{"ternary", `{{ .t | ternary "a" "b" }}`, "a"},
		{"mandatory ok", `{{ .s | mandatory "need s" }}`, "hello"},
		{"to_json", `{{ .conf | to_json }}`, `{"a":1,"b":2}`},
		{"to_nice_json", `{{ .conf | to_nice_json 2 }}`, "{\n  \"a\": 1,\n  \"b\": 2\n}"},
		{"to_yaml", `{{ .conf | to_yaml }}`, "a: 1\nb: 2\n"},
		{"from_json", `{{ (from_json "{\"a\": 5}").a }}`, "5"},
		{"from_yaml", `{{ (from_yaml "a: 6").a }}`, "6"},
		{"b64", `{{ "hi" | b64encode }} {{ "aGk=" | b64decode }}`, "aGk= hi"},
		{"regex_replace", `{{ .path | regex_replace "^/srv/" "/opt/" }}`, "/opt/app/current"},
		{"regex_search", `{{ "port 8080" | regex_search "[0-9]+" }}`, "8080"},
		{"regex_findall", `{{ "a1b2" | regex_findall "[0-9]" | join "," }}`, "1,2"},
		{"paths", `{{ .path | basename }} {{ .path | dirname }}`, "current /srv/app"},
		{"quote", `{{ "it's" | quote }}`, `'it'"'"'s'`},
		{"startswith", `{{ .s | startswith "he" }} {{ .s | endswith "x" }}`, "true false"},
		{"contains string", `{{ .s | contains "ell" }}`, "true"},
		{"contains list", `{{ .hosts | contains "db1" }} {{ contains "zz" .hosts }}`, "true false"},
		{"contains map", `{{ .conf | contains "a" }}`, "true"},
		{"length", `{{ .hosts | length }} {{ len .s }} {{ len .nothing }}`, "3 5 0"},
		{"keys values", `{{ keys .conf }} {{ values .conf }}`, "[a b] [1 2]"},
		{"unique", `{{ unique (split "a a b") | join "" }}`, "ab"},
		{"flatten", `{{ flatten (from_json "[[1,[2]],3]") | to_json }}`, "[1,2,3]"},
		{"flatten levels", `{{ from_json "[[1,[2]],3]" | flatten 1 | to_json }}`, "[1,[2],3]"},
		{"union", `{{ .hosts | union (split "x web1") | join "," }}`, "web1,web2,db1,x"},
		{"difference", `{{ .hosts | difference (split "web2") | join "," }}`, "web1,db1"},
		{"intersect", `{{ .hosts | intersect (split "db1 zz") | join "," }}`, "db1"},
		{"dict2items", `{{ range dict2items .conf }}{{ .key }}={{ .value }};{{ end }}`, "a=1;b=2;"},
		{"items2dict", `{{ (dict2items .conf | items2dict).b }}`, "2"},
		{"combine", `{{ combine .conf (from_json "{\"a\":9}") | to_json }}`, `{"a":9,"b":2}`},
		{"conversions", `{{ int "42" }} {{ float "1.5" }} {{ string 7 }} {{ bool "on" }}`, "42 1.5 7 true"},
		{"hash", `{{ "abc" | hash "md5" }} {{ sha256 "" | len }}`, "900150983cd24fb0d6963f7d28e17f72 64"},
		{"seq", `{{ range seq 3 }}{{ . }}{{ end }}`, "123"},
		{"builtins", `{{ index .hosts 1 }} {{ printf "%03d" .n }} {{ and .t .s }}`, "web2 003 hello"},
	}
	for _, tt := range tests {
		got, err := RenderTemplate(tt.name, tt.text, vars)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRenderTemplateErrors(t *testing.T) {
	vars := testVars()
	tests := []struct {
		name, text string
		want       []string
	}{
		{"motd.tmpl", "line1\nline2\nhello {{ .missing }}\n", []string{"motd.tmpl:3", `"missing"`}},
		{"nested.tmpl", "{{ .m.nope }}", []string{"nested.tmpl:1", `"nope"`}},
		{"syntax.tmpl", "a\n{{ if .t }}\n", []string{"syntax.tmpl:3", "unexpected EOF"}},
		{"badfunc.tmpl", "{{ nosuch .s }}", []string{"badfunc.tmpl:1", `"nosuch" not defined`}},
		{"helper.tmpl", "\n{{ from_json .s }}", []string{"helper.tmpl:2", "from_json()"}},
		{"mandatory.tmpl", `{{ .nothing | mandatory "nothing must be set" }}`, []string{"mandatory.tmpl:1", "nothing must be set"}},
		{"nil data", "{{ .s.x.y }}", []string{"nil data:1"}},
	}
	for _, tt := range tests {
		_, err := RenderTemplate(tt.name, tt.text, vars)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestRenderTemplateDefinedPerCall(t *testing.T) {
	// The parsed template is cached; defined must see each call's vars.
	text := `{{ if defined "x" }}has x{{ else }}no x{{ end }}`
	for i := range 3 {
		vars := map[string]any{}
		want := "no x"
		if i%2 == 1 {
			vars["x"] = 1
			want = "has x"
		}
		got, err := RenderTemplate("d", text, vars)
		if err != nil || got != want {
			t.Errorf("call %d: %q, %v; want %q", i, got, err, want)
		}
	}
	if got, err := RenderTemplate("nil", "static", nil); err != nil || got != "static" {
		t.Errorf("nil vars: %q, %v", got, err)
	}
	if _, err := RenderTemplate("nil", "{{ .x }}", nil); err == nil {
		t.Error("nil vars: missing key not reported")
	}
}
