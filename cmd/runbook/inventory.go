package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/runbook-dev/runbook/internal/closest"
	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner"
)

func newInventoryCmd(stdout io.Writer) *cobra.Command {
	var f invFlags
	var list, graph bool
	var verbosity int
	var host string
	c := &cobra.Command{
		Use:   "inventory",
		Short: "Show hosts, groups and variables of an inventory",
		Long: `Show an inventory the way runbook sees it. --list prints JSON like
ansible-inventory --list; --graph the group tree; --host one host's merged
variables. Secret values (passwords, passphrases, tokens) are masked.

-i cluster:// reads the Clusterfile sealer keeps in the cluster (ConfigMap
kube-system/sealer-clusterfile) through --kubeconfig (default
/etc/kubernetes/admin.conf); -i cluster://MASTER[,MASTER...] reads it
through SSH to a surviving master (the -u, --private-key, --known-hosts
flags apply). With no -i: ./Clusterfile, ~/.sealer/Clusterfile,
~/.sealer/<cluster>/Clusterfile, then the cluster.`,
		Example: `  runbook inventory -i Clusterfile --graph
  runbook inventory -i hosts.ini --host web1
  runbook inventory -i cluster://10.0.0.12 --list`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n := 0
			for _, b := range []bool{list, graph, host != ""} {
				if b {
					n++
				}
			}
			if n != 1 {
				return withCode(exitUsage, fmt.Errorf("give exactly one of --list, --graph or --host NAME"))
			}
			inv, err := loadInventory(cmd.Context(), &f, verbosity, cmd.ErrOrStderr())
			if err != nil {
				return withCode(exitInvalid, err)
			}
			// group_vars/ and host_vars/ next to the inventory and in the
			// current directory, as ansible-inventory shows them.
			dirs, err := runner.LoadVarsDirs(inv, ".")
			if err != nil {
				return withCode(exitInvalid, err)
			}
			inv.SetHostVars(dirs.HostVars)
			switch {
			case list:
				data, err := inv.ListJSON()
				if err != nil {
					return withCode(exitError1, err)
				}
				fmt.Fprintln(stdout, string(data))
			case graph:
				fmt.Fprint(stdout, inv.Graph())
			default:
				data, err := inv.HostJSON(host)
				if err != nil {
					return withCode(exitInvalid, fmt.Errorf("%w%s; 'runbook inventory --graph' lists the hosts", err, closestHost(inv, host)))
				}
				fmt.Fprintln(stdout, string(data))
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().CountVarP(&verbosity, "verbose", "v", "-v names the sources read")
	c.Flags().BoolVar(&list, "list", false, "print every host and group as JSON")
	c.Flags().BoolVar(&graph, "graph", false, "print the group tree")
	c.Flags().StringVar(&host, "host", "", "print one host's merged variables as JSON")
	return c
}

// closestHost suggests the inventory host nearest to a mistyped name.
func closestHost(inv *inventory.Inventory, name string) string {
	var names []string
	for _, h := range inv.Hosts() {
		names = append(names, h.Name)
	}
	if c := closest.Name(name, names); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}
