// Command runbook runs Ansible-style playbooks over SSH, without agents.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	_ "github.com/runbook-dev/runbook/modules" // the built-in modules
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// exitError carries an exit code with the error that caused it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

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
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err != errSilent {
			fmt.Fprintf(stderr, "ERROR: %v\n", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintf(stderr, "ERROR: %v\nRun 'runbook --help' for usage.\n", err)
	return exitUsage
}

// errSilent marks an exit code whose explanation was already printed.
var errSilent = errors.New("")

const (
	exitError1  = 1
	exitInvalid = 3
	exitUsage   = 5
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
