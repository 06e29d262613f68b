package schema

// Schemas of the keywords kept for Ansible content (playbook/taskextra.go,
// playbook/varsprompt.go), in their own file so the main tables stay as
// they are.

func init() {
	actionKeywords = append(actionKeywords, "local_action", "action")
	playKeywordSchemas["vars_prompt"] = varsPromptSchema
	playKeywordSchemas["remote_user"] = func() *Schema {
		return scalar("The SSH login user for the play's hosts, unless a host's variables set ansible_user.")
	}
	taskKeywordSchemas["any_errors_fatal"] = func(bool) *Schema {
		return boolean("End the play for every host when this task (or one of the block's tasks) fails on one; false overrides the play's.")
	}
	playKeywordSchemas["strategy"] = func() *Schema {
		return &Schema{Description: "How hosts run through the tasks: runbook runs linear only (each task on every host before the next).",
			Type: "string", Enum: []any{"linear", "ansible.builtin.linear"}}
	}
	playKeywordSchemas["environment"] = func() *Schema {
		return environmentSchema("Environment variables for every command of the play")
	}
	taskKeywordSchemas["environment"] = func(bool) *Schema {
		return environmentSchema("Environment variables for the task's commands")
	}
	importPlaybookKeywordSchemas["when"] = func() *Schema {
		return conditions("Run the imported plays' tasks (and fact gathering) only on hosts where this is true.")
	}
	taskKeywordSchemas["remote_user"] = func(bool) *Schema {
		return scalar("The SSH login user for the task (or the block's tasks), unless the host's variables set ansible_user.")
	}
	action := func(desc string) func(bool) *Schema {
		return func(bool) *Schema {
			return &Schema{Description: desc, Type: []string{"string", "object"},
				Properties: map[string]*Schema{"module": fixedString("The module to run.")}}
		}
	}
	taskKeywordSchemas["local_action"] = action("The module and its arguments (\"copy src=a dest=b\", or a mapping with module:), run with delegate_to: localhost.")
	taskKeywordSchemas["action"] = action("The module and its arguments (\"copy src=a dest=b\", or a mapping with module:).")
	taskKeywordSchemas["delegate_facts"] = func(bool) *Schema {
		return boolean("Facts the delegated task sets (set_fact, setup) go to the delegate instead of the host.")
	}
	taskKeywordSchemas["throttle"] = func(bool) *Schema {
		return integer("Run the task (or the block's tasks) on at most this many hosts at once.", 1e9)
	}
	taskKeywordSchemas["async"] = func(bool) *Schema {
		return integer("Seconds the task may run before it fails; with poll: 0 it runs in the background (see async_status).", 1e9)
	}
	taskKeywordSchemas["poll"] = func(bool) *Schema {
		return integer("Seconds between checks of an async task; 0 leaves it running in the background (async_status checks it).", 1e9)
	}
}

func varsPromptSchema() *Schema {
	return &Schema{
		Description: "Variables asked for on the terminal when the play starts; -e answers them, default: is used without a terminal.",
		Type:        "array",
		Items: &Schema{Type: "object", Required: []string{"name"}, AdditionalProperties: false,
			Properties: map[string]*Schema{
				"name":    identifier("The variable to set."),
				"prompt":  scalar("The question shown."),
				"default": {Description: "The answer when none is typed, or without a terminal."},
				"private": boolean("Do not echo the answer (default true)."),
				"unsafe":  boolean("Accepted for compatibility."),
			}},
	}
}

// varsSchema is vars:, a mapping or a list of mappings merged in order.
func varsSchema(desc string) *Schema {
	return &Schema{Description: desc + " A list of mappings is merged in order.", AnyOf: []*Schema{
		{Type: []string{"object", "null"}},
		{Type: "array", Items: &Schema{Type: "object"}},
	}}
}

// environmentSchema is environment:, a mapping or a {{ expression }} that
// renders to one.
func environmentSchema(desc string) *Schema {
	return &Schema{Description: desc + ": a mapping, or a {{ expression }} giving one.", AnyOf: []*Schema{
		{Type: []string{"object", "null"}},
		{Type: "string", Pattern: `\{\{`},
	}}
}
