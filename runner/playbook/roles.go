package playbook

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
	"github.com/runbook-dev/runbook/runner/eval"
)

// Role is one use of a role: what its directory holds and how the play,
// a dependency or an import_role/include_role called it.
type Role struct {
	Pos  Pos    // where it was called
	Name string // as written (its directory's base name for a path)
	Path string // the role's directory
	// Defaults are defaults/main (or defaults_from): the lowest precedence.
	Defaults map[string]any
	// Vars are vars/main (or vars_from), above play vars and vars_files.
	Vars map[string]any
	// EntryVars are the vars: of the roles: entry; the role's own Vars
	// win over them, as in Ansible.
	EntryVars map[string]any
	// Params are the other keys of a roles: entry (role: x, port: 80):
	// above set_fact and registered variables.
	Params map[string]any
	// Handlers are handlers/main (or handlers_from).
	Handlers []*Task
	// Deps are the meta/main.yml dependencies, run before the role.
	Deps []*Role
	// Tasks are tasks/main (or tasks_from).
	Tasks []*Task
	// AllowDuplicates is meta/main.yml allow_duplicates.
	AllowDuplicates bool

	entry        *Task // the roles: entry's keywords (when, tags...), no action
	handlersFrom string
}

// RoleInclude is a dynamic include_role: when:, loop: and tags: apply to
// the include itself; the role's tasks run after it, per host.
type RoleInclude struct {
	Pos  Pos
	Name string // may hold {{ }}: then the role is loaded at run time
	From RoleFrom
	Dir  string // the directory of the file that holds the task
	// PlayDir is the directory of the playbook holding the play.
	PlayDir string
	// Role is the role loaded at parse time when Name is fixed.
	Role *Role
}

// RoleFrom names the files of a role to use instead of main.
type RoleFrom struct {
	Tasks, Vars, Defaults, Handlers string
}

// roleEntryKeywords are the keys of a roles: entry that are not role
// parameters: they apply to every task of the role, as on a block.
var roleEntryKeywords = []string{
	"role", "name", "vars", "tags", "when", "become", "become_user", "environment", "no_log",
	"check_mode", "diff", "ignore_errors", "ignore_unreachable", "delegate_to",
}

// roleArgKeys are the arguments of import_role and include_role.
var roleArgKeys = []string{"name", "tasks_from", "vars_from", "defaults_from", "handlers_from", "public", "allow_duplicates", "rolespec_validate", "apply"}

// roles parses a play's roles: into blocks (each role after its
// dependencies), to run before the play's tasks. A role already used in
// this play with the same parameters runs once, unless its meta says
// allow_duplicates.
func (p *parser) roles(d *decoder, n *yaml.Node, dir string, play *Play) ([]*Task, error) {
	entries, err := p.roleEntries(d, n, dir)
	if err != nil {
		return nil, err
	}
	out := make([]*Task, 0, len(entries))
	for _, r := range entries {
		w := *r.entry
		w.Block, w.Import = p.roleBlocks(r, play, true), "role "+r.Name
		out = append(out, &w)
	}
	return out, nil
}

// roleEntries parses a list of roles: entries (or meta dependencies) and
// loads each role.
func (p *parser) roleEntries(d *decoder, n *yaml.Node, dir string) ([]*Role, error) {
	n = yamlnode.Resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(d.pos(n), "roles must be a list of roles, got %s", kindName(n))
	}
	var out []*Role
	for _, c := range n.Content {
		r, err := p.roleEntry(d, yamlnode.Resolve(c), dir)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// roleEntry parses one roles: entry: a name, or a mapping with role: and
// block keywords (when, tags, become...), vars: and role parameters.
func (p *parser) roleEntry(d *decoder, c *yaml.Node, dir string) (*Role, error) {
	t := &Task{Pos: d.pos(c)}
	var name string
	var entryVars, params map[string]any
	if c.Kind == yaml.ScalarNode {
		name = c.Value
	} else {
		ps, err := d.pairs(c, "a roles: entry")
		if err != nil {
			return nil, err
		}
		for _, kv := range ps {
			switch {
			case kv.key == "role" || kv.key == "name":
				name, err = d.str(kv.value, kv.key)
			case kv.key == "vars":
				entryVars, err = d.varsMapping(kv.value, kv.key)
			case contains(roleEntryKeywords, kv.key):
				err = p.taskKeyword(d, t, kv, dir, false)
			default:
				var v any
				if v, err = d.value(kv.value); err == nil {
					if params == nil {
						params = map[string]any{}
					}
					params[kv.key] = v
				}
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if name == "" {
		return nil, errAt(t.Pos, "a roles: entry needs the role's name (role: NAME)")
	}
	if eval.HasTemplate(name) {
		return nil, errAt(t.Pos, "roles: needs a fixed role name (roles are loaded before the run); use include_role for a templated one")
	}
	r, err := p.loadRole(t.Pos, name, dir, RoleFrom{})
	if err != nil {
		return nil, err
	}
	r.EntryVars, r.Params, r.entry = entryVars, params, t
	return r, nil
}

// roleBlocks returns the blocks that run a role: each dependency (wrapped
// in a block with its entry's when/tags/...), then the role's own tasks in
// a block that carries the role. dedupe skips a role that already ran in
// the play with the same parameters. The roles' handlers join the play's
// handlers, ahead of the play's own, as in Ansible.
func (p *parser) roleBlocks(r *Role, play *Play, dedupe bool) []*Task {
	var out []*Task
	for _, dep := range r.Deps {
		w := *dep.entry
		w.Block, w.Import = p.roleBlocks(dep, play, true), "role "+dep.Name
		out = append(out, &w)
	}
	if play != nil {
		play.Roles = append(play.Roles, r)
	}
	if dedupe && !r.AllowDuplicates {
		key := r.Path + "\x00" + canonical(r.Params) + "\x00" + canonical(r.EntryVars)
		if p.rolesRun[key] {
			if out == nil {
				out = []*Task{} // still a block, with nothing to run
			}
			return out
		}
		if p.rolesRun == nil {
			p.rolesRun = map[string]bool{}
		}
		p.rolesRun[key] = true
	}
	out = append(out, &Task{Pos: r.Pos, Block: r.Tasks, Import: "role " + r.Name, Role: r})
	p.addRoleHandlers(r)
	return out
}

// addRoleHandlers makes a role's handlers known to the play (once per
// role file), so its tasks may notify them.
func (p *parser) addRoleHandlers(r *Role) {
	key := r.Path + "\x00" + r.handlersFrom
	if p.handlersSeen[key] {
		return
	}
	if p.handlersSeen == nil {
		p.handlersSeen = map[string]bool{}
	}
	p.handlersSeen[key] = true
	p.roleHandlers = append(p.roleHandlers, r.Handlers...)
}

func canonical(m map[string]any) string {
	b, _ := json.Marshal(m) // map keys are sorted
	return string(b)
}

// roleTask parses import_role: (inlined now, like import_tasks) and
// include_role: (run per host; loaded now when its name is fixed).
func (p *parser) roleTask(d *decoder, t *Task, kv pair, dir string) error {
	args, err := d.roleArgs(kv)
	if err != nil {
		return err
	}
	pos := d.pos(kv.value)
	name, _ := args["name"].(string)
	if name == "" {
		return errAt(pos, "%s needs name: ROLE", kv.key)
	}
	str := func(k string) string { s, _ := args[k].(string); return s }
	from := RoleFrom{Tasks: str("tasks_from"), Vars: str("vars_from"), Defaults: str("defaults_from"), Handlers: str("handlers_from")}
	if _, ok := args["apply"]; ok && kv.key != "include_role" {
		return errAt(pos, "import_role has no apply: (put the keywords on the import_role task itself; they apply to every task of the role)")
	}
	if kv.key == "include_role" {
		if applyNode := mappingValue(kv.value, "apply"); applyNode != nil {
			if t.IncludeApply, err = p.applyBlock(d, applyNode, dir, "include_role"); err != nil {
				return err
			}
		}
		inc := &RoleInclude{Pos: pos, Name: name, From: from, Dir: dir, PlayDir: p.playDir}
		if !eval.HasTemplate(name) {
			if inc.Role, err = p.loadRole(pos, name, dir, from); err != nil {
				return err
			}
			p.includedRoleHandlers(inc.Role)
		}
		t.IncludeRole = inc
		return nil
	}
	if eval.HasTemplate(name) {
		return errAt(pos, "import_role needs a fixed role name (use include_role for a templated one)")
	}
	r, err := p.loadRole(pos, name, dir, from)
	if err != nil {
		return err
	}
	t.Block, t.Import = p.roleBlocks(r, p.curPlay, false), "role "+r.Name
	return nil
}

// mappingValue returns the value node under key in a mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	n = yamlnode.Resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// includedRoleHandlers makes the handlers of a role included by name known
// to the play, so tasks may notify them.
func (p *parser) includedRoleHandlers(r *Role) {
	for _, dep := range r.Deps {
		p.includedRoleHandlers(dep)
	}
	p.addRoleHandlers(r)
}

// roleArgs reads the arguments of import_role/include_role: a mapping, or
// key=value words.
func (d *decoder) roleArgs(kv pair) (map[string]any, error) {
	v := yamlnode.Resolve(kv.value)
	args := map[string]any{}
	if v.Kind == yaml.ScalarNode {
		for _, w := range strings.Fields(v.Value) {
			k, val, ok := strings.Cut(w, "=")
			if !ok {
				return nil, errAt(d.pos(v), "%s: %q is not key=value", kv.key, w)
			}
			args[k] = val
		}
	} else {
		m, err := d.mapping(v, kv.key)
		if err != nil {
			return nil, err
		}
		args = m
	}
	for k := range args {
		if !contains(roleArgKeys, k) {
			return nil, unknownKey(d.pos(v), k, kv.key, roleArgKeys)
		}
	}
	return args, nil
}

// ConfigRolesPath is ansible.cfg's roles_path, set by the CLI before
// loading a playbook; ANSIBLE_ROLES_PATH wins over it, as in Ansible.
var ConfigRolesPath []string

// RolePaths are the directories roles are looked for in after roles/ next
// to the playbook: ANSIBLE_ROLES_PATH (colon-separated), else ansible.cfg's
// roles_path, else Ansible's defaults.
func RolePaths() []string {
	if s := os.Getenv("ANSIBLE_ROLES_PATH"); s != "" {
		return filepath.SplitList(s)
	}
	if len(ConfigRolesPath) > 0 {
		return ConfigRolesPath
	}
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".ansible", "roles"))
	}
	return append(out, "/usr/share/ansible/roles", "/etc/ansible/roles")
}

// roleState is the parser's state for roles, per play.
type roleState struct {
	curPlay *Play
	playDir string // the directory of the playbook file holding the play
	// roleBase is the directory holding the role whose dependencies are
	// being read: a dependency may be its sibling.
	roleBase     string
	rolesRun     map[string]bool
	handlersSeen map[string]bool
	roleHandlers []*Task
}

// startPlay resets the role state for a new play.
func (p *parser) startPlay(play *Play, dir string) {
	p.roleState = roleState{curPlay: play, playDir: dir}
}

// findRole looks for a role as Ansible does: roles/NAME next to the
// playbook, the roles path, next to the role depending on it, then NAME
// relative to the playbook (and the same next to the file calling it); a
// name may also be a path.
func (p *parser) findRole(name, dir string) (string, []string) {
	var cands []string
	if filepath.IsAbs(name) {
		cands = []string{name}
	} else {
		base := p.playDir
		if base == "" {
			base = dir
		}
		cands = append(cands, filepath.Join(base, "roles", name))
		for _, rp := range RolePaths() {
			cands = append(cands, filepath.Join(rp, name))
		}
		if p.roleBase != "" {
			cands = append(cands, filepath.Join(p.roleBase, name))
		}
		cands = append(cands, filepath.Join(base, name))
		if filepath.Clean(dir) != filepath.Clean(base) {
			cands = append(cands, filepath.Join(dir, "roles", name), filepath.Join(dir, name))
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, cands
		}
	}
	return "", cands
}

// loadRole finds and reads a role and its dependencies. Errors name where
// the role was called.
func (p *parser) loadRole(pos Pos, name, dir string, from RoleFrom) (*Role, error) {
	path, tried := p.findRole(name, dir)
	if path == "" {
		return nil, errAt(pos, "role %q not found (looked in %s): put it in roles/ next to the playbook or set ANSIBLE_ROLES_PATH", name, strings.Join(tried, ", "))
	}
	if err := p.push(pos, path); err != nil {
		return nil, err
	}
	defer p.pop()
	r := &Role{Pos: pos, Name: filepath.Base(name), Path: path}
	var err error
	if r.Defaults, err = roleVarsFile(pos, path, "defaults", from.Defaults); err != nil {
		return nil, err
	}
	if r.Vars, err = roleVarsFile(pos, path, "vars", from.Vars); err != nil {
		return nil, err
	}
	if r.Tasks, err = p.roleTasks(pos, path, "tasks", from.Tasks, false); err != nil {
		return nil, err
	}
	if r.Handlers, err = p.roleTasks(pos, path, "handlers", from.Handlers, true); err != nil {
		return nil, err
	}
	for _, h := range r.Handlers {
		h.Role = r
	}
	setRoleName(r.Tasks, r.Name)
	setRoleName(r.Handlers, r.Name)
	r.entry, r.handlersFrom = &Task{Pos: pos}, from.Handlers
	if err := p.roleMeta(r); err != nil {
		return nil, err
	}
	return r, nil
}

// roleFile finds sub/NAME(.yml|.yaml|.json) in a role; "" when absent.
// A *_from name must exist.
func roleFile(pos Pos, path, sub, from string) (string, error) {
	base := "main"
	if from != "" {
		base = from
	}
	for _, ext := range []string{".yml", ".yaml", ".json", ""} {
		p := filepath.Join(path, sub, base+ext)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if from != "" {
		return "", errAt(pos, "%s_from: %s not found in %s", sub, from, filepath.Join(path, sub))
	}
	return "", nil
}

func roleVarsFile(pos Pos, path, sub, from string) (map[string]any, error) {
	f, err := roleFile(pos, path, sub, from)
	if err != nil || f == "" {
		return nil, err
	}
	return LoadVarsFile(f)
}

func (p *parser) roleTasks(pos Pos, path, sub, from string, handlers bool) ([]*Task, error) {
	f, err := roleFile(pos, path, sub, from)
	if err != nil || f == "" {
		return []*Task{}, err
	}
	data, err := readFile(f)
	if err != nil {
		return nil, err
	}
	root, err := parseDocument(display(f), data)
	if err != nil || root == nil {
		return []*Task{}, err
	}
	return p.taskList(&decoder{file: display(f)}, root, dirOf(f), sub, handlers)
}

// roleMeta reads meta/main.yml: dependencies (names or roles: entries)
// and allow_duplicates. Dependencies are looked for next to the role too.
func (p *parser) roleMeta(r *Role) error {
	f, err := roleFile(r.Pos, r.Path, "meta", "")
	if err != nil || f == "" {
		return err
	}
	data, err := readFile(f)
	if err != nil {
		return err
	}
	root, err := parseDocument(display(f), data)
	if err != nil || root == nil {
		return err
	}
	d := &decoder{file: display(f)}
	ps, err := d.pairs(root, "meta/main.yml")
	if err != nil {
		return err
	}
	for _, kv := range ps {
		switch kv.key {
		case "allow_duplicates":
			if r.AllowDuplicates, err = d.boolean(kv.value, kv.key); err != nil {
				return err
			}
		case "dependencies":
			saved := p.roleBase
			p.roleBase = filepath.Dir(r.Path)
			r.Deps, err = p.roleEntries(d, kv.value, filepath.Dir(r.Path))
			p.roleBase = saved
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadRole loads the role of an include_role whose name is templated, at
// run time, once the name is rendered.
func LoadRole(inc *RoleInclude, name string) (*Role, error) {
	p := &parser{}
	p.playDir = inc.PlayDir
	return p.loadRole(inc.Pos, name, inc.Dir, inc.From)
}

// RoleBlocks returns the blocks that run a role loaded by LoadRole: its
// dependencies, then its tasks.
func RoleBlocks(r *Role) []*Task {
	p := &parser{}
	return p.roleBlocks(r, nil, false)
}

func (r *Role) String() string { return fmt.Sprintf("role %s (%s)", r.Name, r.Path) }

// setRoleName marks a role's tasks, nested ones too, with the role's name.
func setRoleName(ts []*Task, name string) {
	for _, t := range ts {
		t.RoleName = name
		for _, sub := range [][]*Task{t.Block, t.Rescue, t.Always} {
			setRoleName(sub, name)
		}
	}
}
