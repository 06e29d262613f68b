package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/runbook-dev/runbook/playbooks"
)

// resolvePlaybook returns the file to run for the PLAYBOOK argument: the
// file on disk when it exists, else the built-in playbook of that name,
// materialised with its task files and templates into a temporary
// directory that cleanup removes.
func resolvePlaybook(arg string) (path string, cleanup func(), err error) {
	_, statErr := os.Stat(arg)
	if statErr == nil {
		return arg, func() {}, nil
	}
	if errors.Is(statErr, fs.ErrNotExist) && playbooks.Has(arg) {
		return playbooks.Materialize(arg)
	}
	hint := ""
	if errors.Is(statErr, fs.ErrNotExist) {
		hint = fmt.Sprintf(" (nor is it a built-in playbook: %s; see 'runbook playbooks list')", strings.Join(playbooks.Names(), ", "))
	}
	return "", nil, fmt.Errorf("the playbook %s could not be found%s: %w", arg, hint, statErr)
}

func newPlaybooksCmd(stdout io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "playbooks",
		Short: "List or export the built-in playbooks",
		Long: `runbook ships the registry HA playbooks (registry-deploy, pre-distribute,
post-distribute, recover-master0) inside the binary: 'runbook play NAME.yaml'
runs the built-in when no file of that name exists. Export them to edit them
for a site; an exported copy runs the same way.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(newPlaybooksListCmd(stdout), newPlaybooksExportCmd(stdout))
	return c
}

func newPlaybooksListCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in playbooks",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			for _, n := range playbooks.Names() {
				fmt.Fprintf(tw, "%s\t%s\n", n, playbooks.Summary(n))
			}
			return tw.Flush()
		},
	}
}

func newPlaybooksExportCmd(stdout io.Writer) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "export DIR",
		Short: "Copy the built-in playbooks, task files, examples and templates into DIR",
		Long: `Copy the built-in playbooks with everything they use (common/, tasks/, vars/,
examples/, templates/) into DIR, creating it. Files that exist with the same content are
left alone; a file that exists with other content (a site's edit) stops the
export before anything is written, unless --force is given.`,
		Example: `  runbook playbooks export ./site-playbooks
  runbook play ./site-playbooks/recover-master0.yaml -i Clusterfile -e host=10.0.0.12`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			written, err := playbooks.Export(args[0], force)
			if err != nil {
				return withCode(exitError1, err)
			}
			for _, p := range written {
				fmt.Fprintln(stdout, p)
			}
			if len(written) == 0 {
				fmt.Fprintf(stdout, "%s is up to date\n", args[0])
			}
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "overwrite files that differ from the built-in ones")
	return c
}
