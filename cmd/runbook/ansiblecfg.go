package main

import (
	"fmt"
	"io"

	"github.com/runbook-dev/runbook/internal/ansiblecfg"
)

// ansibleConfig reads, once, the ansible.cfg Ansible would use and gives
// its settings to the flags not set on the command line (command-line flags
// win). It returns nil when there is no such file.
func (f *invFlags) ansibleConfig(verbosity int, stderr io.Writer) (*ansiblecfg.Config, error) {
	if f.cfgRead {
		return f.cfg, f.cfgErr
	}
	f.cfgRead = true
	f.cfg, f.cfgErr = f.readAnsibleConfig(verbosity, stderr)
	return f.cfg, f.cfgErr
}

func (f *invFlags) readAnsibleConfig(verbosity int, stderr io.Writer) (*ansiblecfg.Config, error) {
	path, warning := ansiblecfg.Find()
	if warning != "" {
		fmt.Fprintf(stderr, "[WARNING]: %s\n", warning)
	}
	if path == "" {
		return nil, nil
	}
	cfg, err := ansiblecfg.Load(path)
	if err != nil {
		return nil, err
	}
	if verbosity > 0 {
		fmt.Fprintf(stderr, "Using %s as config file\n", path)
	}
	set := func(name string) bool { return f.flags != nil && f.flags.Changed(name) }
	if len(cfg.Inventory) > 0 && len(f.sources) == 0 && !set("inventory") {
		f.sources = cfg.Inventory
	}
	c := &f.conn
	if cfg.RemoteUser != "" && !set("user") {
		c.user = cfg.RemoteUser
	}
	if cfg.PrivateKeyFile != "" && !set("private-key") {
		c.privateKey = cfg.PrivateKeyFile
	}
	if cfg.Timeout > 0 && !set("timeout") {
		c.timeout = cfg.Timeout
	}
	if cfg.HostKeyChecking != nil && !*cfg.HostKeyChecking && !set("insecure-skip-host-key-check") && !set("accept-new-host-keys") {
		c.insecureSkip = true
	}
	return cfg, nil
}
