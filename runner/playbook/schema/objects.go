package schema

import (
	"slices"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/playbook"
)

func playSchema() *Schema {
	props := map[string]*Schema{}
	for _, k := range playbook.PlayKeywords() {
		props[k] = keyword(playKeywordSchemas[k])
	}
	return &Schema{
		Title:                "play",
		Description:          "A play: which hosts, and the tasks to run on them.",
		Type:                 "object",
		Properties:           props,
		AdditionalProperties: false,
		Required:             []string{"hosts"},
	}
}

func importPlaybookSchema() *Schema {
	props := map[string]*Schema{}
	for _, k := range playbook.ImportPlaybookKeywords() {
		props[k] = keyword(importPlaybookKeywordSchemas[k])
	}
	return &Schema{
		Title:                "import_playbook",
		Description:          "Plays imported from another playbook file, in place.",
		Type:                 "object",
		Properties:           props,
		AdditionalProperties: false,
		Required:             []string{"import_playbook"},
	}
}

func keyword(f func() *Schema) *Schema {
	if f == nil {
		return &Schema{}
	}
	return f()
}

// taskSchema is a task (or a handler): its keywords, one property per
// module, and the rules the parser applies across keys.
func taskSchema(handler bool) *Schema {
	props := map[string]*Schema{}
	for _, k := range playbook.TaskKeywords() {
		if k == "listen" && !handler {
			continue
		}
		if f := taskKeywordSchemas[k]; f != nil {
			props[k] = f(handler)
		} else {
			props[k] = &Schema{}
		}
	}
	for _, name := range module.Names() {
		for _, key := range withFQCN(name) {
			props[key] = ref(modulePrefix + name)
		}
	}
	for _, name := range playbook.FQCNActions {
		for _, key := range withFQCN(name)[1:] {
			props[key] = props[name]
		}
	}
	s := &Schema{
		Type:                 "object",
		Properties:           props,
		AdditionalProperties: false,
		Dependencies:         map[string]any{"rescue": []string{"block"}, "always": []string{"block"}},
		AllOf:                []*Schema{ref(defTaskRules)},
	}
	if handler {
		s.Title = "handler"
		s.Description = "A handler: a task run once at the end of a section when notified by its name or a listen topic."
		s.AllOf = append(s.AllOf, &Schema{AnyOf: []*Schema{{Required: []string{"name"}}, {Required: []string{"listen"}}}})
	} else {
		s.Title = "task"
		s.Description = "A task: one module (or block, include_tasks, import_tasks, meta) and its keywords."
	}
	return s
}

const noActionMessage = "A task runs exactly one action: a module (command:, copy:, debug:, …), block:, include_tasks:, import_tasks: or meta:."

// taskRules are the rules the parser applies across a task's keys, shared
// by tasks and handlers.
func taskRules() *Schema {
	// Exactly one action: a module, or one of the action keywords.
	var actions []*Schema
	for _, k := range actionKeywords {
		keys := []string{k}
		if slices.Contains(playbook.FQCNActions, k) {
			keys = withFQCN(k)
		}
		for _, key := range keys {
			actions = append(actions, &Schema{Required: []string{key}})
		}
	}
	var rules []*Schema
	for _, name := range module.Names() {
		if m, ok := module.Lookup(name); ok {
			for _, key := range withFQCN(name) {
				actions = append(actions, &Schema{Required: []string{key}})
				rules = append(rules, moduleRules(key, m.Spec())...)
			}
		}
	}
	// Without an action, one clear message rather than the first
	// alternative's "missing property".
	return &Schema{AllOf: append([]*Schema{
		{
			If:   &Schema{Not: &Schema{AnyOf: actions}},
			Then: &Schema{Type: "null", ErrorMessage: noActionMessage},
			Else: &Schema{OneOf: actions},
		},
		{Not: &Schema{Required: []string{"loop", "with_items"}}},
		{
			If:   &Schema{Required: []string{"block"}},
			Then: &Schema{Not: &Schema{AnyOf: []*Schema{{Required: []string{"loop"}}, {Required: []string{"with_items"}}}}},
		},
	}, rules...)}
}

// moduleProperty is the value of a module key in a task: a mapping of
// parameters, a string (the free-form parameter and/or key=value words),
// or nothing.
func moduleProperty(spec *module.Spec) *Schema {
	str := &Schema{Type: "string", Description: "key=value parameters", Pattern: `^\s*$|=`}
	if spec.FreeForm != "" {
		str = &Schema{Type: "string", Description: "the " + spec.FreeForm + " parameter, with optional key=value parameters"}
	}
	return &Schema{
		Title:       spec.Name,
		Description: moduleDescription(spec),
		AnyOf:       []*Schema{ref(modulePrefix + spec.Name + argsSuffix), str, {Type: "null"}},
	}
}

func moduleDescription(spec *module.Spec) string {
	d := spec.Short
	if doc := strings.TrimSpace(spec.Doc); doc != "" {
		d += "\n\n" + doc
	}
	return d + "\n\n`runbook doc " + spec.Name + "` shows parameters, return values and an example."
}

// moduleArgsSchema is a module's parameters as a mapping; aliases are
// properties of their own.
func moduleArgsSchema(spec *module.Spec) *Schema {
	props := map[string]*Schema{}
	for _, p := range spec.Params {
		ps := paramValue(p)
		ps.Description = p.Doc
		if p.NoLog {
			ps.Description += " (secret: masked in all output)"
		}
		ps.Default = p.Default
		props[p.Name] = ps
		for _, a := range p.Aliases {
			alias := *ps
			alias.Description = "Alias of " + p.Name + ". " + ps.Description
			props[a] = &alias
		}
	}
	s := &Schema{Description: spec.Short, Type: "object", Properties: props}
	if !spec.AnyParams {
		s.AdditionalProperties = false
	}
	return s
}

// withFQCN is a module's or action keyword's name and its
// ansible.builtin. and ansible.legacy. spellings, which the parser accepts
// as the same.
func withFQCN(name string) []string {
	keys := []string{name}
	for _, prefix := range playbook.FQCNPrefixes {
		keys = append(keys, prefix+name)
	}
	return keys
}

// moduleRules are the task-level rules for one module written as key (its
// name or an FQCN spelling of it): its required parameters must be on the
// module's mapping unless args: may supply them, and args: holds only its
// parameters.
func moduleRules(key string, spec *module.Spec) []*Schema {
	var rules []*Schema
	var required []*Schema
	for _, p := range spec.Params {
		if !p.Required {
			continue
		}
		names := append([]string{p.Name}, p.Aliases...)
		sort.Strings(names[1:])
		if len(names) == 1 {
			required = append(required, &Schema{Required: names})
			continue
		}
		var alts []*Schema
		for _, n := range names {
			alts = append(alts, &Schema{Required: []string{n}})
		}
		required = append(required, &Schema{AnyOf: alts})
	}
	if len(required) > 0 {
		rules = append(rules, &Schema{
			If: &Schema{Required: []string{key}, Not: &Schema{Required: []string{"args"}}},
			Then: &Schema{Properties: map[string]*Schema{key: {
				Type:  []string{"object", "string"},
				AllOf: required,
			}}},
		})
	}
	rules = append(rules, &Schema{
		If: &Schema{Required: []string{key, "args"}},
		Then: &Schema{Properties: map[string]*Schema{"args": {
			AnyOf: []*Schema{{Type: "null"}, ref(modulePrefix + spec.Name + argsSuffix)},
		}}},
	})
	return rules
}
