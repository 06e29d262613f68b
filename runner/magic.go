package runner

import (
	"os"
	"path/filepath"
)

// ansibleVersion is ansible_version: the ansible-core release whose
// semantics runbook follows, so that playbooks checking
// `ansible_version.full is version('2.9', '>=')` take their modern branch.
var ansibleVersion = map[string]any{"full": "2.14.0", "major": 2, "minor": 14, "revision": 0, "string": "2.14.0"}

// runTags is ansible_run_tags: the --tags given, or ["all"] as in Ansible.
func runTags(tags []string) []any {
	if len(tags) == 0 {
		return []any{"all"}
	}
	return stringsToAny(tags)
}

// inventorySource is inventory_file and inventory_dir: the first inventory
// source, absolute when it is a path on the controller; a host list
// ("a,b,") has no directory.
func (e *engine) inventorySource() (any, any) {
	if e.inv == nil || len(e.inv.Sources) == 0 {
		return nil, nil
	}
	src := e.inv.Sources[0]
	fi, err := os.Stat(src)
	if err != nil {
		return src, nil
	}
	if abs, err := filepath.Abs(src); err == nil {
		src = abs
	}
	if fi.IsDir() {
		return src, src
	}
	return src, filepath.Dir(src)
}

// connectionVars fills in, as Ansible's play context does for every task,
// the connection variables the inventory left unset: ansible_host (the
// inventory name), ansible_connection (-c, else local for the local
// host, else ssh) and ansible_user when it is spelt ansible_ssh_user or
// ansible_remote_user. Values the inventory or vars set are kept.
func connectionVars(host, def string, vars map[string]any) {
	if _, ok := vars["ansible_connection"]; !ok {
		switch {
		case def != "":
			vars["ansible_connection"] = def
		case isLocalhost(host, vars):
			vars["ansible_connection"] = "local"
		default:
			vars["ansible_connection"] = "ssh"
		}
	}
	if _, ok := vars["ansible_host"]; !ok {
		vars["ansible_host"] = host
	}
	if _, ok := vars["ansible_user"]; !ok {
		if u := loginUser(vars); u != "" {
			vars["ansible_user"] = u
		}
	}
}
