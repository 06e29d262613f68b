package runner

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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

// varsDirs are the group_vars/ and host_vars/ directories of a run: those
// next to each inventory source, then the one next to the playbook that was
// run (Ansible's default playbook_vars_root "top": not those next to
// imported playbooks).
type varsDirs struct {
	inventory []*varsDir
	playbook  []*varsDir
	// hostvars: a value in them refers to hostvars, which tasks then need.
	hostvars bool
}

// varsExtensions are the file names group_vars/NAME may have, as Ansible's
// host_group_vars plugin looks for them.
var varsExtensions = []string{"", ".yml", ".yaml", ".json"}

// loadVarsDirs reads every group_vars/ and host_vars/ directory of the run
// once, before the first play. A file that does not parse is an error
// naming it: the variables would otherwise be silently missing.
func (e *engine) loadVarsDirs() error {
	loaded := map[string]*varsDir{}
	load := func(dir string) (*varsDir, error) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		if vd, ok := loaded[abs]; ok {
			return vd, nil
		}
		vd, err := e.loadVarsDir(dir)
		loaded[abs] = vd
		return vd, err
	}
	for _, d := range inventoryDirs(e.inv.Sources) {
		vd, err := load(d)
		if err != nil {
			return err
		}
		if vd != nil {
			e.dirs.inventory = append(e.dirs.inventory, vd)
		}
	}
	vd, err := load(filepath.Dir(e.pb.Path))
	if err != nil {
		return err
	}
	if vd != nil {
		e.dirs.playbook = append(e.dirs.playbook, vd)
	}
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
func (e *engine) loadVarsDir(dir string) (*varsDir, error) {
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
			e.dirs.hostvars = e.dirs.hostvars || mentions(vars, "hostvars")
			e.opt.Redactor.Add(collectSecrets(vars, nil)...)
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
// host: base itself, base.yml, base.yaml and base.json; a directory among
// them gives every file below it with one of those extensions, sorted,
// hidden ones left out.
func varsFilesOf(base string) ([]string, error) {
	var out []string
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
			out = append(out, p)
			continue
		}
		var inDir []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && isVarsFileName(d.Name()) {
				inDir = append(inDir, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(inDir)
		out = append(out, inDir...)
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

// hostInventoryVars merges a host's inventory variables with the
// group_vars/ and host_vars/ directories in Ansible's order, lowest first:
// the inventory sources' group variables, group_vars/all next to the
// inventory then next to the playbook, the host's other groups' group_vars
// (inventory, then playbook), the inventory's host variables, then
// host_vars (inventory, then playbook).
func (e *engine) hostInventoryVars(name string) map[string]any {
	groupVars, own := e.inv.FileVars(name)
	if groupVars == nil {
		return nil
	}
	if len(e.dirs.inventory)+len(e.dirs.playbook) == 0 {
		for k, v := range own {
			groupVars[k] = v
		}
		return groupVars
	}
	out := groupVars
	put := func(dirs []*varsDir, pick func(*varsDir) map[string]any) {
		for _, d := range dirs {
			for k, v := range pick(d) {
				out[k] = inventory.DeepCopy(v)
			}
		}
	}
	chain := e.inv.GroupChain(name)
	for _, dirs := range [][]*varsDir{e.dirs.inventory, e.dirs.playbook} {
		put(dirs, func(d *varsDir) map[string]any { return d.groups["all"] })
	}
	for _, dirs := range [][]*varsDir{e.dirs.inventory, e.dirs.playbook} {
		for _, g := range chain {
			if g == "all" {
				continue
			}
			put(dirs, func(d *varsDir) map[string]any { return d.groups[g] })
		}
	}
	for k, v := range own {
		out[k] = v
	}
	for _, dirs := range [][]*varsDir{e.dirs.inventory, e.dirs.playbook} {
		put(dirs, func(d *varsDir) map[string]any { return d.hosts[name] })
	}
	return out
}

// groupAllVars is what every host gets from group "all": the inventory's
// and the group_vars/all files'.
func (e *engine) groupAllVars() map[string]any {
	out := map[string]any{}
	if g, ok := e.inv.Group("all"); ok {
		for k, v := range g.Vars {
			out[k] = v
		}
	}
	for _, dirs := range [][]*varsDir{e.dirs.inventory, e.dirs.playbook} {
		for _, d := range dirs {
			for k, v := range d.groups["all"] {
				out[k] = v
			}
		}
	}
	return out
}
