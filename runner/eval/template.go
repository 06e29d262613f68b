package eval

import (
	"fmt"
	"strings"
	"sync"
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
	p := parseTemplate(name, text)
	if p.err != nil {
		return "", p.err
	}
	inst, err := p.instance()
	if err != nil {
		return "", fmt.Errorf("template %q: %w", name, err)
	}
	if vars == nil {
		vars = noVars
	}
	inst.vars = vars
	var b strings.Builder
	b.Grow(len(text))
	err = inst.t.Execute(&b, vars)
	inst.vars = nil
	p.instances.Put(inst)
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// parsedTemplate is a cache entry: a parsed template (or its parse error)
// and a pool of ready-to-run copies of it.
type parsedTemplate struct {
	base      *template.Template
	err       error
	instances sync.Pool // of *templateInstance
}

// templateInstance is a copy of a parsed template whose defined function
// reads the variables of the render in progress. Instances are pooled, so
// one is used by one render at a time.
type templateInstance struct {
	t    *template.Template
	vars map[string]any
}

// instance returns a pooled copy of the template, cloning one if needed.
func (p *parsedTemplate) instance() (*templateInstance, error) {
	if inst, ok := p.instances.Get().(*templateInstance); ok {
		return inst, nil
	}
	t, err := p.base.Clone()
	if err != nil {
		return nil, err
	}
	inst := &templateInstance{t: t}
	t.Funcs(template.FuncMap{"defined": func(name string) bool { return definedIn(inst.vars, name) }})
	return inst, nil
}

// templates caches parsed template files by name and content.
var templates = newCache[*parsedTemplate](1000)

func parseTemplate(name, text string) *parsedTemplate {
	key := name + "\x00" + text
	if p, ok := templates.get(key); ok {
		return p
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs).Funcs(defaultFieldFuncs).Parse(text)
	if err == nil {
		tolerateDefaultFields(t)
	}
	return templates.put(key, &parsedTemplate{base: t, err: err})
}
