// Package schema generates a JSON Schema (draft-07, the dialect
// yaml-language-server handles best) for playbooks and task files from the
// same declarations the strict parser validates against: the play and task
// keywords of package playbook and the parameters of every registered
// module. Editors use it to complete keys, show module documentation on
// hover and flag misspelt keys while a playbook is being written.
//
// The schema accepts everything the parser accepts (templated "{{ }}"
// values included) and rejects unknown keys as the parser does. Checks that
// need more than the document (handler names, files, expressions) remain the
// parser's: `runbook play --syntax-check` is the final word.
package schema

import (
	"encoding/json"
	"fmt"

	"github.com/runbook-dev/runbook/module"
)

// Draft07 is the $schema URI of the generated documents.
const Draft07 = "http://json-schema.org/draft-07/schema#"

// Root selects what a generated document describes.
type Root int

const (
	// Playbook describes a playbook: a list of plays and import_playbook
	// entries.
	Playbook Root = iota
	// Tasks describes a task file (import_tasks, include_tasks): a list of
	// tasks.
	Tasks
)

// Schema is one JSON Schema (draft-07) node. Only the keywords the
// generator uses are declared.
type Schema struct {
	Schema               string             `json:"$schema,omitempty"`
	Ref                  string             `json:"$ref,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name or a list of names
	Enum                 []any              `json:"enum,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	Default              any                `json:"default,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"` // false or a *Schema
	Required             []string           `json:"required,omitempty"`
	Dependencies         map[string]any     `json:"dependencies,omitempty"`
	AllOf                []*Schema          `json:"allOf,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`
	OneOf                []*Schema          `json:"oneOf,omitempty"`
	Not                  *Schema            `json:"not,omitempty"`
	If                   *Schema            `json:"if,omitempty"`
	Then                 *Schema            `json:"then,omitempty"`
	Else                 *Schema            `json:"else,omitempty"`
	Definitions          map[string]*Schema `json:"definitions,omitempty"`
	// ErrorMessage is yaml-language-server's extension: the message shown
	// when this node fails (validators ignore unknown keywords).
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// Names of the shared definitions.
const (
	defPlay           = "play"
	defImportPlaybook = "import_playbook"
	defTasks          = "tasks"
	defTask           = "task"
	defHandlers       = "handlers"
	defHandler        = "handler"
	defTemplate       = "template"
	defTaskRules      = "task_rules"
	modulePrefix      = "module."
	argsSuffix        = ".args"
)

func ref(def string) *Schema { return &Schema{Ref: "#/definitions/" + def} }

// Build returns the schema for root, generated from the parser's keyword
// lists and the modules registered now.
func Build(root Root) *Schema {
	defs := map[string]*Schema{
		defPlay:           playSchema(),
		defImportPlaybook: importPlaybookSchema(),
		defTasks:          {Description: "A list of tasks.", Type: []string{"array", "null"}, Items: ref(defTask)},
		defTask:           taskSchema(false),
		defHandlers:       {Description: "A list of handlers.", Type: []string{"array", "null"}, Items: ref(defHandler)},
		defHandler:        taskSchema(true),
		defTaskRules:      taskRules(),
		defTemplate:       {Description: `A "{{ expression }}" template, rendered when the task runs.`, Type: "string", Pattern: `\{\{`},
	}
	for _, name := range module.Names() {
		if m, ok := module.Lookup(name); ok {
			defs[modulePrefix+name] = moduleProperty(m.Spec())
			defs[modulePrefix+name+argsSuffix] = moduleArgsSchema(m.Spec())
		}
	}
	s := &Schema{Schema: Draft07, Definitions: defs}
	switch root {
	case Tasks:
		s.Title = "runbook task file"
		s.Description = "A task file for import_tasks or include_tasks: a list of tasks."
		s.AllOf = []*Schema{ref(defTasks)} // not a bare $ref: its siblings would be ignored
	default:
		s.Title = "runbook playbook"
		s.Description = "A runbook playbook: a list of plays and import_playbook entries."
		s.Type = "array"
		s.Items = &Schema{
			If:   &Schema{Type: "object", Required: []string{"import_playbook"}},
			Then: ref(defImportPlaybook),
			Else: ref(defPlay),
		}
	}
	return s
}

// Generate returns the schema for root as indented JSON.
func Generate(root Root) ([]byte, error) {
	data, err := json.MarshalIndent(Build(root), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the playbook schema: %w", err)
	}
	return append(data, '\n'), nil
}
