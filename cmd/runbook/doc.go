package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/runbook-dev/runbook/internal/closest"
	"github.com/runbook-dev/runbook/internal/moddoc"
	"github.com/runbook-dev/runbook/module"
)

func newModulesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "modules",
		Short: "List the built-in modules",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			for _, name := range module.Names() {
				m, _ := module.Lookup(name)
				fmt.Fprintf(tw, "%s\t%s\n", name, m.Spec().Short)
			}
			return tw.Flush()
		},
	}
}

func newDocCmd(stdout io.Writer) *cobra.Command {
	var markdown, all bool
	c := &cobra.Command{
		Use:   "doc MODULE | --all",
		Short: "Show a module's parameters, return values and an example",
		Long: `Show a module's documentation. It is generated from the same declarations
the playbook validator checks tasks against, so it is always current.
--all documents every module; 'runbook doc --all --markdown' is the README's
module reference.`,
		Args: usageArgs(func(c *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return fmt.Errorf("--all documents every module: give no module name (got %q)", args[0])
			}
			if all {
				return nil
			}
			return cobra.ExactArgs(1)(c, args)
		}),
		RunE: func(_ *cobra.Command, args []string) error {
			write := moddoc.Text
			if markdown {
				write = moddoc.Markdown
			}
			if all {
				if markdown {
					moddoc.Reference(stdout)
					return nil
				}
				for i, name := range module.Names() {
					if i > 0 {
						fmt.Fprintln(stdout)
					}
					m, _ := module.Lookup(name)
					write(stdout, m.Spec())
				}
				return nil
			}
			m, ok := module.Lookup(args[0])
			if !ok {
				msg := fmt.Sprintf("no module named %q", args[0])
				if s := closest.Name(args[0], module.Names()); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return withCode(exitUsage, fmt.Errorf("%s; 'runbook modules' lists them", msg))
			}
			write(stdout, m.Spec())
			return nil
		},
	}
	c.Flags().BoolVar(&markdown, "markdown", false, "print Markdown (as in the README's module reference)")
	c.Flags().BoolVar(&all, "all", false, "document every module")
	return c
}
