package schema

// The schemas of roles: and import_role/include_role (issue 18), added to
// the keyword tables here so the role keywords stay in one place.

func init() {
	playKeywordSchemas["roles"] = rolesSchema
	taskKeywordSchemas["import_role"] = func(bool) *Schema {
		return roleCallSchema("A role's tasks inlined when the playbook is read (a fixed name); its handlers join the play's.")
	}
	taskKeywordSchemas["include_role"] = func(bool) *Schema {
		return roleCallSchema("A role run when the task runs: its when:, loop: and tags: apply to the include; the name may be templated.")
	}
	actionKeywords = append(actionKeywords, "import_role", "include_role")
}

// rolesSchema is a play's roles: a list of names or of entries with role:
// (block keywords and role parameters beside it).
func rolesSchema() *Schema {
	entry := &Schema{
		Type:        "object",
		Description: "role: NAME with vars:, tags:, when: and the other block keywords; any other key is a role parameter.",
		Properties: map[string]*Schema{
			"role": scalar("The role's name (its directory under roles/ or ANSIBLE_ROLES_PATH), or a path."),
			"name": scalar("The role's name (older spelling of role:)."),
			"vars": varsSchema("Variables for the role (its own vars/ win over them)."),
			"tags": strList("Tags added to every task of the role."),
			"when": conditions("Run the role's tasks only when this is true."),
		},
		AnyOf: []*Schema{{Required: []string{"role"}}, {Required: []string{"name"}}},
	}
	return &Schema{
		Description: "Roles run after pre_tasks and before tasks, each after its meta dependencies.",
		Type:        []string{"array", "null"},
		Items:       &Schema{AnyOf: []*Schema{fixedString("A role's name."), entry}},
	}
}

func roleCallSchema(desc string) *Schema {
	props := map[string]*Schema{
		"name":              scalar("The role's name or path."),
		"tasks_from":        scalar("The file of tasks/ to run instead of main."),
		"vars_from":         scalar("The file of vars/ to load instead of main."),
		"defaults_from":     scalar("The file of defaults/ to load instead of main."),
		"handlers_from":     scalar("The file of handlers/ to load instead of main."),
		"public":            boolean("Accepted for compatibility."),
		"allow_duplicates":  boolean("Accepted for compatibility."),
		"rolespec_validate": boolean("Accepted for compatibility."),
		"apply":             applySchema(),
	}
	return &Schema{
		Description: desc,
		AnyOf: []*Schema{
			{Type: "object", Properties: props, AdditionalProperties: false, Required: []string{"name"}},
			{Type: "string", Description: "name=ROLE and other key=value words", Pattern: `(^|\s)name=`},
		},
	}
}
