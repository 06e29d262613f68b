// Command runbook runs Ansible-style playbooks over SSH, without agents.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/runbook-dev/runbook/internal/exitcode"
	_ "github.com/runbook-dev/runbook/modules" // the built-in modules
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// withCode gives err the exit code code (see internal/exitcode).
func withCode(code int, err error) error { return exitcode.With(code, err) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var coded exitcode.Coder
	if !errors.As(err, &coded) {
		// Cobra's own errors: unknown command or flag, wrong argument count.
		fmt.Fprintf(stderr, "ERROR: %v\nRun 'runbook --help' for usage.\n", err)
		return exitUsage
	}
	if exitcode.Cause(err) != errSilent {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
	}
	return exitcode.Of(err, exitUsage)
}

// errSilent marks an exit code whose explanation was already printed.
var errSilent = errors.New("")

// Short names for the exit codes the commands give their errors.
const (
	exitError1  = exitcode.Error
	exitInvalid = exitcode.Invalid
	exitUsage   = exitcode.Usage
)

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "runbook",
		Short: "Run Ansible-style playbooks over SSH, without agents",
		Long: `runbook runs Ansible-style playbooks against hosts from a sealer Clusterfile or an
Ansible inventory, with built-in Go modules over one SSH connection per host.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withCode(exitUsage, fmt.Errorf("%w%s\nRun '%s --help' for usage", err, closestFlag(c, err), c.CommandPath()))
	})
	root.AddCommand(newPlayCmd(stdout, stderr), newPlaybooksCmd(stdout), newInventoryCmd(stdout), newModulesCmd(stdout), newDocCmd(stdout), newSchemaCmd(stdout), newVersionCmd(stdout))
	registerCompletions(root)
	return root
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "runbook %s\n", version)
			return nil
		},
	}
}
