package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/playbooks"
)

// Dynamic shell completion. `runbook completion bash|zsh|fish|powershell`
// (cobra's default command) prints the script; the script calls the hidden
// `runbook __complete ARGS...`, which runs the functions registered here.
// -i/--inventory and schema -o keep the shell's own file completion.

// registerCompletions attaches the completion functions to the commands of
// root, found by name so that each command's file need not know about them.
func registerCompletions(root *cobra.Command) {
	// Cobra adds its completion command at Execute; add it now so that an
	// unknown shell is a usage error instead of help and exit code 0.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "play":
			c.ValidArgsFunction = completePlaybooks
			_ = c.RegisterFlagCompletionFunc("limit", completeHostPattern)
			_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formatNames(), cobra.ShellCompDirectiveNoFileComp))
		case "inventory":
			_ = c.RegisterFlagCompletionFunc("host", completeHostNames)
		case "doc":
			c.ValidArgsFunction = completeModules
		case "completion":
			c.Args = usageArgs(cobra.NoArgs)
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
}

// completePlaybooks offers *.yaml and *.yml files and directories below
// the word being completed, and the built-in playbooks with their
// summaries.
func completePlaybooks(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out, dirs := completeFiles(toComplete, ".yaml", ".yml")
	seen := map[string]bool{}
	for _, f := range out {
		seen[f] = true
	}
	for _, n := range playbooks.Names() {
		if strings.HasPrefix(n, toComplete) && !seen[n] {
			summary := strings.TrimPrefix(playbooks.Summary(n), strings.TrimSuffix(n, ".yaml")+" — ")
			out = append(out, n+"\tbuilt-in: "+strings.TrimSuffix(summary, ":"))
		}
	}
	d := cobra.ShellCompDirectiveNoFileComp
	if dirs {
		d |= cobra.ShellCompDirectiveNoSpace // let the completion go on below a directory
	}
	return out, d
}

// completeFiles lists the entries of toComplete's directory that start
// with its last element: directories (with a trailing /) and files with one
// of exts. Hidden entries are offered only when asked for with a leading dot.
func completeFiles(toComplete string, exts ...string) (out []string, dirs bool) {
	dir, prefix := filepath.Split(toComplete)
	read := dir
	if read == "" {
		read = "."
	} else if strings.HasPrefix(read, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			read = filepath.Join(home, read[2:])
		}
	}
	entries, err := os.ReadDir(read)
	if err != nil {
		return nil, false
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || strings.HasPrefix(name, ".") && !strings.HasPrefix(prefix, ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(read, name)); err == nil {
				isDir = st.IsDir()
			}
		}
		switch {
		case isDir:
			out = append(out, dir+name+"/")
			dirs = true
		case hasExt(name, exts):
			out = append(out, dir+name)
		}
	}
	return out, dirs
}

func hasExt(name string, exts []string) bool {
	for _, x := range exts {
		if strings.HasSuffix(name, x) {
			return true
		}
	}
	return false
}

// completionInventory loads the inventories given with -i so far (or the
// default Clusterfile), quietly: completion must never print warnings.
func completionInventory(c *cobra.Command) *inventory.Inventory {
	sources, _ := c.Flags().GetStringArray("inventory")
	inv, err := loadInventory(context.Background(), &invFlags{sources: sources, offline: true}, 0, io.Discard)
	if err != nil {
		return nil
	}
	return inv
}

// completeHostNames offers the inventory's hosts.
func completeHostNames(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	inv := completionInventory(c)
	if inv == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, h := range inv.Hosts() {
		if strings.HasPrefix(h.Name, toComplete) {
			out = append(out, h.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeHostPattern offers group and host names for the last term of a
// host pattern, so `web:!d<TAB>` completes to `web:!db1`.
func completeHostPattern(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	inv := completionInventory(c)
	if inv == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cut := strings.LastIndexAny(toComplete, ":,&!") + 1
	done, term := toComplete[:cut], toComplete[cut:]
	var out []string
	for _, g := range inv.GroupNames() {
		if strings.HasPrefix(g, term) {
			out = append(out, done+g+"\tgroup")
		}
	}
	for _, h := range inv.Hosts() {
		if strings.HasPrefix(h.Name, term) {
			out = append(out, done+h.Name+"\thost")
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeModules offers module names with their one-line descriptions.
func completeModules(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, name := range module.Names() {
		if m, ok := module.Lookup(name); ok && strings.HasPrefix(name, toComplete) {
			out = append(out, name+"\t"+m.Spec().Short)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
