package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/internal/closest"
)

// usageArgs makes argument-count errors exit with the usage code, and says
// what the command takes.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return withCode(exitUsage, fmt.Errorf("%w\n%s", err, usageHint(c, args)))
		}
		return nil
	}
}

// usageHint is the line after an argument error: the command's usage, or,
// for a command with subcommands, their names (and the closest one).
func usageHint(c *cobra.Command, args []string) string {
	if !c.HasAvailableSubCommands() || len(args) == 0 {
		return fmt.Sprintf("Usage: %s (run '%s --help' for more)", c.UseLine(), c.CommandPath())
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	hint := ""
	// Only a name that starts alike: "tcsh" is not a typo of "bash".
	if s := closest.Name(args[0], names); s != "" && s[0] == args[0][0] {
		hint = fmt.Sprintf("did you mean %q? ", s)
	}
	return fmt.Sprintf("%s'%s' takes a command: %s (run '%s --help' for more)", hint, c.CommandPath(), strings.Join(names, ", "), c.CommandPath())
}

// closestFlag suggests the flag nearest to an unknown one (pflag's error
// is "unknown flag: --name" or "unknown shorthand flag: ...").
func closestFlag(c *cobra.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	var known []string
	add := func(f *pflag.Flag) { known = append(known, f.Name) }
	c.Flags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	if s := closest.Name(name, known); s != "" {
		return fmt.Sprintf(" (did you mean --%s?)", s)
	}
	return ""
}
