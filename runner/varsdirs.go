package runner

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner/playbook"
)

// varsDir is what one directory's group_vars/ and host_vars/ hold for the
// inventory's groups and hosts.
type varsDir struct {
	groups map[string]map[string]any
	hosts  map[string]map[string]any
}

// VarsDirs are the group_vars/ and host_vars/ directories of a run: those
// next to each inventory source, then the one next to the playbook that was
// run (Ansible's default playbook_vars_root "top": not those next to
// imported playbooks).
type VarsDirs struct {
	inv       *inventory.Inventory
	inventory []*varsDir
	playbook  []*varsDir
	// hostvars: a value in them refers to hostvars, which tasks then need.
	hostvars bool
	// secrets are the secret values the files hold (by their names).
	secrets []string
}

// varsExtensions are the file names group_vars/NAME may have, as Ansible's
// host_group_vars plugin looks for them.
var varsExtensions = []string{"", ".yml", ".yaml", ".json"}

// LoadVarsDirs reads the group_vars/ and host_vars/ directories next to
// the inventory's sources and, unless playbookDir is "", next to the
// playbook, once. A file that does not parse is an error naming it: its
// variables would otherwise be silently missing. The variables are for
// every group and host they name, so groups and hosts added while the
// playbook runs get theirs.
func LoadVarsDirs(inv *inventory.Inventory, playbookDir string) (*VarsDirs, error) {
	v := &VarsDirs{inv: inv}
	loaded := map[string]*varsDir{}
	load := func(dir string) (*varsDir, error) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		if vd, ok := loaded[abs]; ok {
			return vd, nil
		}
		vd, err := v.loadDir(dir)
		loaded[abs] = vd
		return vd, err
	}
	dirs := inventoryDirs(inv.Sources)
	if playbookDir != "" {
		dirs = append(dirs, playbookDir)
	}
	for i, d := range dirs {
		vd, err := load(d)
		switch {
		case err != nil:
			return nil, err
		case vd == nil:
		case playbookDir != "" && i == len(dirs)-1:
			v.playbook = append(v.playbook, vd)
		default:
			v.inventory = append(v.inventory, vd)
		}
	}
	return v, nil
}

// loadVarsDirs loads the run's group_vars/ and host_vars/.
func (e *engine) loadVarsDirs() error {
	v, err := LoadVarsDirs(e.inv, filepath.Dir(e.pb.Path))
	if err != nil {
		return err
	}
	e.dirs = v
	e.opt.Redactor.Add(v.secrets...)
	return nil
}

// inventoryDirs are the directories whose group_vars/ belong to the
// inventory sources: a directory source itself, a file's directory; host
// lists ("h1,h2") and content read from elsewhere have none.
func inventoryDirs(sources []string) []string {
	var dirs []string
	for _, src := range sources {
		if strings.HasPrefix(src, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				src = filepath.Join(home, src[2:])
			}
		}
		st, err := os.Stat(src)
		switch {
		case err != nil:
		case st.IsDir():
			dirs = append(dirs, src)
		default:
			dirs = append(dirs, filepath.Dir(src))
		}
	}
	return dirs
}

// loadVarsDir reads dir/group_vars and dir/host_vars for the inventory's
// groups and hosts (and the implicit localhost); nil when neither exists.
func (v *VarsDirs) loadDir(dir string) (*varsDir, error) {
	vd := &varsDir{groups: map[string]map[string]any{}, hosts: map[string]map[string]any{}}
	found := false
	read := func(sub, name string, into map[string]map[string]any) error {
		base := filepath.Join(dir, sub)
		if st, err := os.Stat(base); err != nil || !st.IsDir() {
			return nil
		}
		found = true
		files, err := varsFilesOf(filepath.Join(base, name))
		if err != nil {
			return err
		}
		for _, f := range files {
			vars, err := playbook.LoadVarsFile(f)
			if err != nil {
				var pe *playbook.Error
				if errors.As(err, &pe) { // already names the file and line
					return err
				}
				return &playbook.Error{Pos: playbook.Pos{File: f}, Msg: sub, Err: err}
			}
			if into[name] == nil {
				into[name] = map[string]any{}
			}
			for k, v := range vars {
				into[name][k] = v
			}
			v.hostvars = v.hostvars || mentions(vars, "hostvars")
			v.secrets = collectSecrets(vars, v.secrets)
		}
		return nil
	}
	// Every name the directories hold, not only the inventory's groups
	// and hosts: group_by and add_host may create more during the run.
	for _, sub := range []struct {
		name string
		into map[string]map[string]any
	}{{"group_vars", vd.groups}, {"host_vars", vd.hosts}} {
		for _, n := range entityNames(filepath.Join(dir, sub.name)) {
			if err := read(sub.name, n, sub.into); err != nil {
				return nil, err
			}
		}
	}
	if !found {
		return nil, nil
	}
	return vd, nil
}

// entityNames lists the group or host names a group_vars/ or host_vars/
// directory has files for: NAME, NAME.yml, NAME.yaml, NAME.json or a
// directory NAME; hidden entries are left out.
func entityNames(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, en := range entries {
		name := en.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if !en.IsDir() {
			ext := filepath.Ext(name)
			if !isVarsFileName(name) {
				continue
			}
			name = strings.TrimSuffix(name, ext)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// varsFilesOf returns the files that hold the variables of one group or
// host: the first of base, base.yml, base.yaml and base.json that exists
// (only that one, as Ansible's host_group_vars plugin), all the files below
// it when it is a directory.
func varsFilesOf(base string) ([]string, error) {
	for _, ext := range varsExtensions {
		p := base + ext
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		if !st.IsDir() {
			return []string{p}, nil
		}
		return varsDirFiles(p)
	}
	return nil, nil
}

// varsDirFiles lists a directory of variables files as Ansible does: in
// name order, descending into subdirectories (without an extension) where
// they sort, leaving out hidden files, backups (NAME~) and other
// extensions.
func varsDirFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var out []string
	for _, en := range entries {
		name := en.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		p := filepath.Join(dir, name)
		switch {
		case en.IsDir() && filepath.Ext(name) == "":
			sub, err := varsDirFiles(p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case !en.IsDir() && isVarsFileName(name):
			out = append(out, p)
		}
	}
	return out, nil
}

func isVarsFileName(name string) bool {
	ext := filepath.Ext(name)
	for _, e := range varsExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// HostVars merges a host's inventory variables with the group_vars/ and
// host_vars/ directories in Ansible's order, lowest first: the inventory
// sources' group variables, group_vars/all next to the inventory then next
// to the playbook, the host's other groups' group_vars (inventory, then
// playbook), the inventory's host variables, then host_vars (inventory,
// then playbook). nil for a host the inventory does not know.
func (v *VarsDirs) HostVars(name string) map[string]any {
	groupVars, own := v.inv.FileVars(name)
	if groupVars == nil {
		return nil
	}
	out := groupVars
	put := func(pick func(*varsDir) map[string]any) {
		for _, dirs := range [][]*varsDir{v.inventory, v.playbook} {
			for _, d := range dirs {
				for k, x := range pick(d) {
					out[k] = inventory.DeepCopy(x)
				}
			}
		}
	}
	put(func(d *varsDir) map[string]any { return d.groups["all"] })
	chain := v.inv.GroupChain(name)
	for _, dirs := range [][]*varsDir{v.inventory, v.playbook} {
		for _, d := range dirs { // per directory, as Ansible merges per source
			for _, g := range chain {
				if g == "all" {
					continue
				}
				for k, x := range d.groups[g] {
					out[k] = inventory.DeepCopy(x)
				}
			}
		}
	}
	for k, x := range own {
		out[k] = x
	}
	put(func(d *varsDir) map[string]any { return d.hosts[name] })
	return out
}

// GroupAllVars is what every host gets from group "all": the inventory's
// variables and the group_vars/all files'.
func (v *VarsDirs) GroupAllVars() map[string]any {
	out := map[string]any{}
	if g, ok := v.inv.Group("all"); ok {
		for k, x := range g.Vars {
			out[k] = x
		}
	}
	for _, dirs := range [][]*varsDir{v.inventory, v.playbook} {
		for _, d := range dirs {
			for k, x := range d.groups["all"] {
				out[k] = x
			}
		}
	}
	return out
}
