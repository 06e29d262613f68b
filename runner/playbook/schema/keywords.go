package schema

import (
	"github.com/runbook-dev/runbook/runner/playbook"
)

// The value shape and description of every keyword, by name. The names
// themselves come from package playbook: a keyword the parser learns
// without an entry here is still accepted (as any value), and
// TestSchemaCoversEveryKeyword fails until it gets one.

var playKeywordSchemas = map[string]func() *Schema{
	"name":          func() *Schema { return scalar("The play's name, shown in PLAY [...].") },
	"hosts":         hostsSchema,
	"vars":          func() *Schema { return varsSchema("Variables for the play.") },
	"vars_files":    varsFilesSchema,
	"required_vars": requiredVarsSchema,
	"tasks":         func() *Schema { return described(ref(defTasks), "The play's main tasks.") },
	"pre_tasks": func() *Schema {
		return described(ref(defTasks), "Tasks run before tasks:, with their own handler flush.")
	},
	"post_tasks": func() *Schema {
		return described(ref(defTasks), "Tasks run after tasks:, with their own handler flush.")
	},
	"handlers": func() *Schema {
		return described(ref(defHandlers), "Tasks run once at the end of a section when notified.")
	},
	"serial":           serialSchema,
	"any_errors_fatal": func() *Schema { return boolean("End the play for every host as soon as one fails.") },
	"max_fail_percentage": func() *Schema {
		return number("End the play when more than this percentage of a batch failed.", 0, 100)
	},
	"become":       func() *Schema { return boolean("Run tasks with sudo.") },
	"become_user":  func() *Schema { return scalar("The user to become (default root).") },
	"gather_facts": func() *Schema { return boolean("Gather facts before the tasks (default true).") },
	"check_mode":   func() *Schema { return boolean("Force check mode on (true) or off (false) for the play.") },
	"diff":         func() *Schema { return boolean("Force diff mode on or off for the play.") },
	"tags": func() *Schema {
		return strList("Tags applied to every task of the play (a list or a comma-separated string).")
	},
	"environment":        func() *Schema { return mapping("Environment variables for every command of the play.") },
	"ignore_unreachable": func() *Schema { return boolean("Carry on with hosts that became unreachable.") },
	"force_handlers":     func() *Schema { return boolean("Run notified handlers even on hosts that failed.") },
	"no_log":             func() *Schema { return boolean("Censor the results of every task of the play.") },
}

var importPlaybookKeywordSchemas = map[string]func() *Schema{
	"import_playbook": func() *Schema {
		return fixedString("The playbook file to import (a fixed path, relative to this file).")
	},
	"name": func() *Schema { return scalar("A name for the import.") },
	"vars": func() *Schema { return mapping("Variables for the imported plays.") },
	"tags": func() *Schema { return strList("Tags added to every imported play.") },
}

// actionKeywords are the task keywords that are the task's action, as a
// module is: a task has exactly one action.
var actionKeywords = []string{"block", "include_tasks", "import_tasks", "meta"}

// taskKeywordSchemas take handler: whether the task is a handler (nested
// task lists of a handler are handlers too).
var taskKeywordSchemas = map[string]func(handler bool) *Schema{
	"name": func(bool) *Schema {
		return scalar("The task's name, shown in TASK [...]; handlers are notified by it.")
	},
	"when": func(bool) *Schema {
		return conditions("Run the task only when this expression (or all of these) is true.")
	},
	"loop": func(bool) *Schema {
		return loopSchema("Run the task once per item of this list (or {{ expression }} giving one).")
	},
	"with_items": func(bool) *Schema { return loopSchema("Like loop:, flattening nested lists one level.") },
	"with_list":  func(bool) *Schema { return loopSchema("Like loop: (Ansible's with_list).") },
	"with_indexed_items": func(bool) *Schema {
		return loopSchema("Like with_items:, each item a pair [index, item].")
	},
	"with_together": func(bool) *Schema {
		return loopSchema("Lists zipped: item.0 from the first, item.1 from the second, … (nil past a shorter list's end).")
	},
	"with_subelements": func(bool) *Schema {
		return loopSchema("[items, 'subkey'] (and optionally {skip_missing: true}): one [item, element] pair per element of each item's subkey list.")
	},
	"with_fileglob": func(bool) *Schema {
		return loopSchema("Controller files matching the pattern(s); a relative one is looked for as the file lookup does (role, task directory, playbook_dir).")
	},
	"with_dict": func(bool) *Schema {
		return &Schema{Description: "Run once per key of this mapping: item.key and item.value, sorted by key.", Type: []string{"object", "string"}}
	},
	"with_sequence": func(bool) *Schema {
		return &Schema{Description: "Numbers as strings: \"start=1 end=5 stride=1 format=%d\", \"count=3\" or \"1-10/2\".", Type: []string{"string", "object"}}
	},
	"loop_control": func(bool) *Schema { return loopControlSchema() },
	"register":     func(bool) *Schema { return identifier("Save the task's result in this variable.") },
	"notify": func(bool) *Schema {
		return strList("Handlers (names or listen topics) to run when the task changed something.")
	},
	"listen":             func(bool) *Schema { return strList("Topics this handler also answers to (handlers only).") },
	"tags":               func(bool) *Schema { return strList("Tags to select the task with --tags/--skip-tags.") },
	"ignore_errors":      func(bool) *Schema { return boolean("Carry on when the task fails.") },
	"ignore_unreachable": func(bool) *Schema { return boolean("Carry on when the host is unreachable.") },
	"failed_when":        func(bool) *Schema { return conditions("The task failed when this expression is true.") },
	"changed_when":       func(bool) *Schema { return conditions("The task changed something when this expression is true.") },
	"until":              func(bool) *Schema { return conditions("Retry the task until this expression is true.") },
	"retries":            func(bool) *Schema { return integer("How often until: retries (default 3).", 10000) },
	"delay":              func(bool) *Schema { return number("Seconds between until: retries (default 5).", 0, 3600) },
	"run_once":           func(bool) *Schema { return boolean("Run on the first host only; the result applies to all.") },
	"delegate_to":        func(bool) *Schema { return scalar("Run the task on this host instead.") },
	"block": func(h bool) *Schema {
		return described(taskList(h), "Tasks run as a group; rescue: and always: apply to them.")
	},
	"rescue": func(h bool) *Schema { return described(taskList(h), "Tasks run for hosts that failed in the block.") },
	"always": func(h bool) *Schema {
		return described(taskList(h), "Tasks run for every host that entered the block.")
	},
	"include_tasks": func(bool) *Schema {
		return &Schema{
			Description: "A task file included when the task runs (may be templated, may loop): its name, \"file=NAME\", or a mapping with file:.",
			AnyOf: []*Schema{fixedString(""), {Type: "object", AdditionalProperties: false, Required: []string{"file"},
				Properties: map[string]*Schema{"file": fixedString("The task file."), "apply": applySchema()}}},
		}
	},
	"import_tasks": func(bool) *Schema {
		return fixedString("A task file inlined when the playbook is read (a fixed path).")
	},
	"check_mode":  func(bool) *Schema { return boolean("Force check mode on (true) or off (false) for the task.") },
	"diff":        func(bool) *Schema { return boolean("Force diff mode on or off for the task.") },
	"no_log":      func(bool) *Schema { return boolean("Censor the task's result in all output.") },
	"environment": func(bool) *Schema { return mapping("Environment variables for the task's commands.") },
	"become":      func(bool) *Schema { return boolean("Run the task with sudo.") },
	"become_user": func(bool) *Schema { return scalar("The user to become (default root).") },
	"vars":        func(bool) *Schema { return varsSchema("Variables for the task.") },
	"args": func(bool) *Schema {
		return mapping("More arguments for the task's module (merged with the module's own).")
	},
	"meta": metaSchema,
}

func described(s *Schema, desc string) *Schema {
	// A $ref's siblings are ignored in draft-07: wrap it.
	if s.Ref != "" {
		return &Schema{Description: desc, AllOf: []*Schema{s}}
	}
	s.Description = desc
	return s
}

func taskList(handler bool) *Schema {
	if handler {
		return ref(defHandlers)
	}
	return ref(defTasks)
}

func hostsSchema() *Schema {
	return &Schema{
		Description: "Host pattern: all, a group or host, globs, ~regex, a:b unions, a:&b intersections, a:!b exclusions; or a list of patterns.",
		AnyOf: []*Schema{
			{Type: []string{"string", "number", "boolean"}, MinLength: intp(1)},
			{Type: "array", MinItems: intp(1), Items: &Schema{Type: scalarTypes}},
		},
	}
}

func varsFilesSchema() *Schema {
	entry := &Schema{Type: append([]string{"array"}, scalarTypes...), Items: &Schema{Type: scalarTypes}}
	return &Schema{
		Description: "Files of variables; an entry that is a list names alternatives, the first that exists is used.",
		Type:        append([]string{"array"}, scalarTypes...),
		Items:       entry,
	}
}

func requiredVarsSchema() *Schema {
	return &Schema{
		Description:          "Variables the play cannot run without, each with what to give: the run stops before anything happens when one is unset or empty.",
		Type:                 "object",
		AdditionalProperties: &Schema{Type: scalarTypes},
	}
}

func serialSchema() *Schema {
	item := &Schema{AnyOf: []*Schema{
		{Type: "integer", Minimum: floatp(0)},
		{Type: "string", Pattern: `^([0-9]+|[+]?([0-9]+\.?[0-9]*|\.[0-9]+)%)$`},
	}}
	return &Schema{
		Description: "Work on hosts in batches: a number, a percentage, or a list of them whose last value repeats.",
		AnyOf:       []*Schema{item, {Type: "array", Items: item}},
	}
}

func loopSchema(desc string) *Schema {
	return &Schema{Description: desc, Type: []string{"array", "string"}}
}

func loopControlSchema() *Schema {
	props := map[string]*Schema{}
	for _, k := range playbook.LoopControlKeywords() {
		switch k {
		case "loop_var":
			props[k] = identifier("The loop variable's name (default item).")
		case "index_var":
			props[k] = identifier("A variable holding the loop index (from 0).")
		case "label":
			props[k] = scalar("What to show for each item instead of the whole item.")
		case "extended":
			props[k] = boolean("Give ansible_loop its revindex, revindex0, previtem, nextitem and allitems too.")
		case "extended_allitems":
			props[k] = boolean("With extended: include ansible_loop.allitems (default true).")
		default:
			props[k] = &Schema{}
		}
	}
	return &Schema{Description: "How the loop runs.", Type: "object", Properties: props, AdditionalProperties: false}
}

func metaSchema(bool) *Schema {
	enum := make([]any, 0, len(playbook.MetaActions))
	for _, a := range playbook.MetaActions {
		enum = append(enum, a)
	}
	return &Schema{Description: "An engine action instead of a module.", Type: "string", Enum: enum}
}

// applySchema is include_tasks'/include_role's apply: block keywords the
// included tasks run under.
func applySchema() *Schema {
	return &Schema{Type: "object", Description: "Block keywords (tags, become, when, vars, environment, …) the included tasks run under."}
}
