package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/internal/ansiblecfg"
	"github.com/runbook-dev/runbook/internal/clustersource"
	"github.com/runbook-dev/runbook/internal/kubeapi"
	"github.com/runbook-dev/runbook/inventory"
)

// invFlags are the inventory flags of play and inventory.
type invFlags struct {
	sources    []string
	kubeconfig string
	conn       connFlags
	// offline skips cluster sources (shell completion must not reach out).
	offline bool

	// flags tells which flags the command line set (nil: none).
	flags *pflag.FlagSet
	// The ansible.cfg read (see ansibleConfig).
	cfgRead bool
	cfg     *ansiblecfg.Config
	cfgErr  error
}

const inventoryFlagHelp = "inventory source (repeatable): Clusterfile, Ansible YAML/INI file or directory, host list 'a,b,', " +
	"or the cluster's own Clusterfile: cluster:// (through --kubeconfig) or cluster://MASTER[,MASTER...] (through SSH to a master). " +
	"Default: ansible.cfg's inventory, else ./Clusterfile, ~/.sealer/Clusterfile, ~/.sealer/<cluster>/Clusterfile, then the cluster when --kubeconfig is given or /etc/kubernetes/admin.conf exists"

func (f *invFlags) register(c *cobra.Command) {
	f.flags = c.Flags()
	c.Flags().StringArrayVarP(&f.sources, "inventory", "i", nil, inventoryFlagHelp)
	c.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig a cluster:// inventory source reads through (default /etc/kubernetes/admin.conf)")
	f.conn.register(c)
}

// loadInventory loads the -i sources, reading cluster:// ones from the
// cluster, or else the default locations (see inventoryFlagHelp).
func loadInventory(ctx context.Context, f *invFlags, verbosity int, stderr io.Writer) (*inventory.Inventory, error) {
	if _, err := f.ansibleConfig(verbosity, stderr); err != nil {
		return nil, err
	}
	srcs, err := f.resolve(ctx, verbosity, stderr)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.LoadSources(srcs)
	if err != nil {
		return nil, err
	}
	for _, w := range inv.Warnings {
		fmt.Fprintf(stderr, "[WARNING]: %s\n", w)
	}
	return inv, nil
}

// resolve turns the flags into inventory sources.
func (f *invFlags) resolve(ctx context.Context, verbosity int, stderr io.Writer) ([]inventory.Source, error) {
	var srcs []inventory.Source
	usedCluster := false
	for _, s := range f.sources {
		if !clustersource.Is(s) {
			srcs = append(srcs, inventory.Source{Path: s})
			continue
		}
		if f.offline {
			continue
		}
		src, err := f.readCluster(ctx, s)
		if err != nil {
			return nil, err
		}
		usedCluster = true
		if verbosity > 0 {
			fmt.Fprintf(stderr, "using inventory %s\n", src.Name)
		}
		srcs = append(srcs, src)
	}
	if len(f.sources) == 0 {
		paths, err := inventory.DefaultSources()
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			srcs = append(srcs, inventory.Source{Path: p})
		}
		switch {
		case len(paths) > 0:
			if verbosity > 0 {
				fmt.Fprintf(stderr, "using inventory %s\n", strings.Join(paths, ", "))
			}
		case f.offline:
		case f.kubeconfig == "" && !exists(kubeapi.AdminConf):
			fmt.Fprintln(stderr, "[WARNING]: no inventory given (-i), no Clusterfile (./Clusterfile, ~/.sealer/Clusterfile, ~/.sealer/<cluster>/Clusterfile) and no "+kubeapi.AdminConf+": only localhost is available")
		default:
			return f.fallBackToCluster(ctx, verbosity, stderr)
		}
	}
	if f.kubeconfig != "" && !usedCluster && !f.offline {
		fmt.Fprintln(stderr, "[WARNING]: --kubeconfig is only used by a cluster:// inventory source, and none was read")
	}
	return srcs, nil
}

// fallBackToCluster reads the Clusterfile from the cluster when no source
// was given and no Clusterfile file exists: on a surviving master after
// master0 died, this is the copy that is left. A cluster without the
// ConfigMap (not made by sealer v0.9+) leaves only localhost, as before.
func (f *invFlags) fallBackToCluster(ctx context.Context, verbosity int, stderr io.Writer) ([]inventory.Source, error) {
	kc := clustersource.Options{Kubeconfig: f.kubeconfig}.KubeconfigPath()
	fmt.Fprintf(stderr, "[runbook] no inventory given (-i) and no Clusterfile file: reading the Clusterfile from the cluster (ConfigMap %s/%s, kubeconfig %s)\n",
		clustersource.Namespace, clustersource.ConfigMap, kc)
	src, err := f.readCluster(ctx, clustersource.Scheme)
	if errors.Is(err, clustersource.ErrNotFound) && f.kubeconfig == "" {
		fmt.Fprintf(stderr, "[WARNING]: %v: only localhost is available\n", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w (give the inventory with -i)", err)
	}
	if verbosity > 0 {
		fmt.Fprintf(stderr, "using inventory %s\n", src.Name)
	}
	return []inventory.Source{src}, nil
}

// readCluster reads one cluster:// source with the connection flags.
func (f *invFlags) readCluster(ctx context.Context, src string) (inventory.Source, error) {
	opt := clustersource.Options{Kubeconfig: f.kubeconfig, Timeout: f.conn.timeout}
	if strings.TrimSuffix(strings.TrimPrefix(src, clustersource.Scheme), "/") != "" {
		def, err := f.conn.sshDefaults()
		if err != nil {
			return inventory.Source{}, err
		}
		opt.SSH = def
	}
	return clustersource.Read(ctx, src, opt)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
