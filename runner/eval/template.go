package eval

import (
	"fmt"
	"strings"
	"text/template"
)

// RenderTemplate renders a Go text/template (file content) with vars as the
// dot and the same helper functions as expressions. Missing keys are an
// error (option missingkey=error) naming the template name and line.
//
// In templates the helpers take the value they work on last, so pipelines
// read naturally: {{ .port | default 80 }}, {{ .name | upper }},
// {{ .items | join ", " }}, {{ .path | regex_replace "^/" "" }}. To use a
// variable that may be missing, test it with {{ if defined "name" }} (the
// name as a string, dots allowed), or read it with {{ index . "name" }},
// which gives nil instead of an error. seq replaces range (a template
// keyword). Note that text/template's own if treats every non-empty string
// as true; use {{ if bool .flag }} for "yes"/"no" strings.
func RenderTemplate(name, text string, vars map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("template %q: internal error: %v", name, r)
		}
	}()
	base, err := parseTemplate(name, text)
	if err != nil {
		return "", err
	}
	t, err := base.Clone()
	if err != nil {
		return "", fmt.Errorf("template %q: %w", name, err)
	}
	if vars == nil {
		vars = noVars
	}
	t.Funcs(template.FuncMap{"defined": func(name string) bool { return definedIn(vars, name) }})
	var b strings.Builder
	b.Grow(len(text))
	if err := t.Execute(&b, vars); err != nil {
		return "", err
	}
	return b.String(), nil
}

// parsedTemplate is a cache entry: a parsed template or its parse error.
type parsedTemplate struct {
	t   *template.Template
	err error
}

// templates caches parsed template files by name and content.
var templates = newCache[parsedTemplate](1000)

func parseTemplate(name, text string) (*template.Template, error) {
	key := name + "\x00" + text
	if p, ok := templates.get(key); ok {
		return p.t, p.err
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	p := templates.put(key, parsedTemplate{t, err})
	return p.t, p.err
}
