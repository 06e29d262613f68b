package schema

import (
	"strings"

	"github.com/runbook-dev/runbook/module"
)

// Value shapes shared by keywords and module parameters. Each mirrors what
// the parser (runner/playbook/yamlnode.go) or Spec.Bind (module/args.go)
// accepts, so a playbook the parser takes is never flagged.

var scalarTypes = []string{"string", "number", "boolean", "null"}

func intp(i int) *int           { return &i }
func floatp(f float64) *float64 { return &f }

// boolWords matches the strings module.ParseBool accepts, in any case.
var boolWords = func() string {
	words := []string{"true", "yes", "on", "1", "y", "false", "no", "off", "0", "n"}
	alts := make([]string, len(words))
	for i, w := range words {
		var b strings.Builder
		for _, r := range w {
			if up := strings.ToUpper(string(r)); up != string(r) {
				b.WriteString("[" + string(r) + up + "]")
			} else {
				b.WriteRune(r)
			}
		}
		alts[i] = b.String()
	}
	return `^\s*(` + strings.Join(alts, "|") + `)?\s*$`
}()

// scalar is what the parser's string keywords take: any scalar, read as
// its text.
func scalar(desc string) *Schema { return &Schema{Description: desc, Type: scalarTypes} }

// boolean is true/false, yes/no, on/off, 1/0 (task keywords: no templates).
func boolean(desc string) *Schema {
	return &Schema{Description: desc, AnyOf: []*Schema{
		{Type: []string{"boolean", "null"}},
		{Enum: []any{0, 1}},
		{Type: "string", Pattern: boolWords},
	}}
}

// integer is a whole number in [0, max], or its digits as a string.
func integer(desc string, max float64) *Schema {
	return &Schema{Description: desc, AnyOf: []*Schema{
		{Type: "integer", Minimum: floatp(0), Maximum: floatp(max)},
		{Type: "string", Pattern: `^[+-]?[0-9]+$`},
	}}
}

// number is a number in [min, max], or its digits as a string (a trailing
// % allowed).
func number(desc string, min, max float64) *Schema {
	return &Schema{Description: desc, AnyOf: []*Schema{
		{Type: "number", Minimum: floatp(min), Maximum: floatp(max)},
		{Type: "string", Pattern: `^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?%?$`},
	}}
}

// strList is one scalar or a list of scalars.
func strList(desc string) *Schema {
	return &Schema{Description: desc, Type: append([]string{"array"}, scalarTypes...), Items: &Schema{Type: scalarTypes}}
}

// conditions is an expression, or a list of them (joined by AND).
func conditions(desc string) *Schema {
	t := []string{"string", "number", "boolean"}
	return &Schema{Description: desc, Type: append([]string{"array"}, t...), Items: &Schema{Type: t}}
}

// mapping is a mapping (or nothing).
func mapping(desc string) *Schema {
	return &Schema{Description: desc, Type: []string{"object", "null"}}
}

// identifier is a variable name.
func identifier(desc string) *Schema {
	return &Schema{Description: desc, Type: "string", Pattern: `^[A-Za-z_][A-Za-z0-9_]*$`}
}

// fixedString is a non-empty string.
func fixedString(desc string) *Schema {
	return &Schema{Description: desc, Type: "string", MinLength: intp(1)}
}

// templated allows a "{{ }}" string besides s: a module parameter that
// holds one is checked only after rendering.
func templated(s *Schema) *Schema {
	return &Schema{AnyOf: []*Schema{s, ref(defTemplate)}}
}

// paramValue is the shape of a module parameter's value, as Spec.Bind
// coerces it; null is always accepted (it means "not given").
func paramValue(p module.Param) *Schema {
	if len(p.Choices) > 0 && (p.Type == module.TypeString || p.Type == module.TypePath) {
		enum := make([]any, 0, len(p.Choices))
		for _, c := range p.Choices {
			enum = append(enum, c)
		}
		return &Schema{AnyOf: []*Schema{{Enum: enum}, {Type: "null"}, ref(defTemplate)}}
	}
	switch p.Type {
	case module.TypeString, module.TypePath:
		return &Schema{Type: scalarTypes}
	case module.TypeBool:
		return templated(&Schema{AnyOf: []*Schema{
			{Type: []string{"boolean", "null"}},
			{Enum: []any{0, 1}},
			{Type: "string", Pattern: boolWords},
		}})
	case module.TypeInt:
		return templated(&Schema{AnyOf: []*Schema{
			{Type: []string{"integer", "null"}},
			{Type: "string", Pattern: `^\s*[+-]?[0-9]+\s*$`},
		}})
	case module.TypeList:
		return &Schema{Type: append([]string{"array"}, scalarTypes...)}
	case module.TypeMap:
		return templated(&Schema{Type: []string{"object", "null"}})
	case module.TypeMode:
		return &Schema{Type: []string{"string", "integer", "null"}}
	}
	return &Schema{} // raw: anything
}
