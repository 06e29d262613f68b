package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/runbook-dev/runbook/runner/playbook/schema"
)

func newSchemaCmd(stdout io.Writer) *cobra.Command {
	var out string
	var tasks bool
	c := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of playbooks, for editors",
		Long: `Print a JSON Schema (draft-07) of playbooks, generated from the keywords the
parser accepts and the parameters of every built-in module. Editors running
yaml-language-server (VS Code's YAML extension, neovim) use it to complete keys,
document modules on hover and flag unknown keys while you type; see "Editor
support" in the README. --tasks describes a task file (import_tasks,
include_tasks) instead of a playbook.`,
		Example: `  runbook schema -o runbook.schema.json
  runbook schema --tasks -o runbook-tasks.schema.json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			root := schema.Playbook
			if tasks {
				root = schema.Tasks
			}
			data, err := schema.Generate(root)
			if err != nil {
				return withCode(exitError1, err)
			}
			if out == "" || out == "-" {
				if _, err := stdout.Write(data); err != nil {
					return withCode(exitError1, fmt.Errorf("writing the schema: %w", err))
				}
				return nil
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return withCode(exitError1, fmt.Errorf("writing the schema: %w", err))
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return withCode(exitError1, fmt.Errorf("writing the schema: %w", err))
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "write the schema to this file instead of standard output")
	c.Flags().BoolVar(&tasks, "tasks", false, "describe a task file (a list of tasks) instead of a playbook")
	return c
}
