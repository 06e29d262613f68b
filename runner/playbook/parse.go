package playbook

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/closest"
	"github.com/runbook-dev/runbook/internal/yamlnode"
	"github.com/runbook-dev/runbook/runner/eval"
)

func validateExpr(s string) error     { return eval.Validate(s) }
func validateTemplate(s string) error { return eval.ValidateString(s) }

// maxImportDepth bounds import_playbook / import_tasks / include nesting so
// a file that imports itself is an error, not a stack overflow.
const maxImportDepth = 32

// Load parses and validates a playbook file and everything it imports
// statically (import_playbook, import_tasks, vars_files with fixed paths,
// include_tasks with fixed paths).
func Load(path string) (*Playbook, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("playbook %s: %w", path, err)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, abs)
}

// Parse parses playbook bytes; name is used in error messages and abs is the
// file's absolute path (relative paths inside resolve against its directory).
func Parse(name string, data []byte, abs string) (*Playbook, error) {
	p := &parser{stack: []string{abs}, shown: map[string]string{abs: name}}
	plays, err := p.playbook(name, abs, data)
	if err != nil {
		return nil, err
	}
	return &Playbook{Path: name, Plays: plays}, nil
}

// parser carries the import stack for cycle detection.
type parser struct {
	stack []string
	// shown maps absolute paths to the names used in messages.
	shown map[string]string
	roleState
}

// display names a file the way the user will recognise it: relative to the
// current directory when it is below it.
func display(abs string) string {
	if rel, err := filepath.Rel(".", abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

func (p *parser) push(pos Pos, abs string) error {
	for _, s := range p.stack {
		if s == abs {
			return errAt(pos, "import cycle: %s imports itself (through %s)", display(abs), strings.Join(mapDisplay(p.stack), " -> "))
		}
	}
	if len(p.stack) >= maxImportDepth {
		return errAt(pos, "imports nested deeper than %d levels", maxImportDepth)
	}
	p.stack = append(p.stack, abs)
	return nil
}

func (p *parser) pop() { p.stack = p.stack[:len(p.stack)-1] }

func mapDisplay(paths []string) []string {
	out := make([]string, len(paths))
	for i, s := range paths {
		out[i] = display(s)
	}
	return out
}

func (p *parser) playbook(name, abs string, data []byte) ([]*Play, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name}
	if root == nil {
		return nil, errAt(Pos{File: name, Line: 1}, "the playbook is empty: expected a list of plays")
	}
	if root.Kind != yaml.SequenceNode {
		return nil, errAt(d.pos(root), "a playbook must be a list of plays, got %s", kindName(root))
	}
	var plays []*Play
	for _, item := range root.Content {
		item = yamlnode.Resolve(item)
		if item.Kind == yaml.MappingNode && hasKey(item, "import_playbook") {
			imported, err := p.importPlaybook(d, item, filepath.Dir(abs))
			if err != nil {
				return nil, err
			}
			plays = append(plays, imported...)
			continue
		}
		play, err := p.play(d, item, filepath.Dir(abs))
		if err != nil {
			return nil, err
		}
		plays = append(plays, play)
	}
	return plays, nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (p *parser) importPlaybook(d *decoder, n *yaml.Node, dir string) ([]*Play, error) {
	ps, err := d.pairs(n, "import_playbook")
	if err != nil {
		return nil, err
	}
	var file string
	var filePos Pos
	var vars map[string]any
	var tags, when []string
	for _, kv := range ps {
		switch kv.key {
		case "import_playbook":
			if file, err = d.str(kv.value, kv.key); err != nil {
				return nil, err
			}
			filePos = d.pos(kv.value)
		case "name":
		case "vars":
			// Ansible takes only a mapping here (not a list of them).
			if vars, err = d.mapping(kv.value, kv.key); err != nil {
				return nil, err
			}
		case "tags":
			if tags, err = d.strList(kv.value, kv.key, true); err != nil {
				return nil, err
			}
		case "when":
			if when, err = d.conditions(kv.value, kv.key); err != nil {
				return nil, err
			}
		default:
			return nil, unknownKey(d.pos(kv.keyN), kv.key, "import_playbook", importPlaybookKeywords)
		}
	}
	if file == "" || eval.HasTemplate(file) {
		return nil, errAt(filePos, "import_playbook needs a fixed file name (imports are resolved before the run)")
	}
	abs := resolvePath(dir, file)
	if err := p.push(filePos, abs); err != nil {
		return nil, err
	}
	defer p.pop()
	data, err := readFile(abs)
	if err != nil {
		return nil, &Error{Pos: filePos, Msg: "import_playbook", Err: err}
	}
	plays, err := p.playbook(display(abs), abs, data)
	if err != nil {
		return nil, err
	}
	for _, pl := range plays {
		pl.Tags = append(append([]string{}, tags...), pl.Tags...)
		importedWhen(pl, when)
		if len(vars) > 0 {
			merged := make(map[string]any, len(vars)+len(pl.Vars))
			for k, v := range vars {
				merged[k] = v
			}
			for k, v := range pl.Vars {
				merged[k] = v
			}
			pl.Vars = merged
		}
	}
	return plays, nil
}

func resolvePath(dir, file string) string {
	if filepath.IsAbs(file) {
		return filepath.Clean(file)
	}
	return filepath.Join(dir, file)
}

var playKeywords = []string{
	"name", "hosts", "vars", "vars_files", "tasks", "pre_tasks", "post_tasks", "handlers",
	"serial", "any_errors_fatal", "max_fail_percentage", "become", "become_user", "gather_facts",
	"check_mode", "diff", "tags", "environment", "ignore_unreachable", "force_handlers", "no_log",
	"required_vars", "roles", "vars_prompt", "remote_user", "strategy",
}

func (p *parser) play(d *decoder, n *yaml.Node, dir string) (*Play, error) {
	ps, err := d.pairs(n, "a play")
	if err != nil {
		return nil, err
	}
	play := &Play{Pos: d.pos(n), Vars: map[string]any{}}
	p.startPlay(play, dir)
	var roleTasks []*Task
	hostsSet := false
	for _, kv := range ps {
		v := kv.value
		switch kv.key {
		case "name":
			play.Name, err = d.str(v, kv.key)
		case "hosts":
			var hs []string
			hs, err = d.strList(v, kv.key, false)
			play.Hosts = strings.Join(hs, ",")
			hostsSet = true
		case "vars":
			play.Vars, err = d.varsMapping(v, kv.key)
		case "vars_files":
			play.VarsFiles, err = p.varsFiles(d, v, dir)
		case "required_vars":
			play.RequiredVars, err = d.requiredVars(v)
		case "roles":
			roleTasks, err = p.roles(d, v, dir, play)
		case "vars_prompt":
			play.VarsPrompt, err = d.varsPrompt(v)
		case "tasks":
			play.Tasks, err = p.taskList(d, v, dir, kv.key, false)
		case "pre_tasks":
			play.PreTasks, err = p.taskList(d, v, dir, kv.key, false)
		case "post_tasks":
			play.PostTasks, err = p.taskList(d, v, dir, kv.key, false)
		case "handlers":
			play.Handlers, err = p.taskList(d, v, dir, kv.key, true)
		case "serial":
			play.Serial, err = d.serial(v)
		case "any_errors_fatal":
			play.AnyErrorsFatal, err = d.boolean(v, kv.key)
		case "max_fail_percentage":
			var f float64
			if f, err = d.number(v, kv.key); err == nil {
				if f < 0 || f > 100 {
					err = errAt(d.pos(v), "max_fail_percentage must be between 0 and 100, got %v", f)
				}
				play.MaxFailPercentage = &f
			}
		case "become":
			play.Become, err = d.boolPtr(v, kv.key)
		case "become_user":
			play.BecomeUser, err = d.str(v, kv.key)
		case "remote_user":
			play.RemoteUser, err = d.templatedStr(v, kv.key)
		case "strategy":
			err = d.strategy(v)
		case "gather_facts":
			play.GatherFacts, err = d.boolPtr(v, kv.key)
		case "check_mode":
			play.CheckMode, err = d.boolPtr(v, kv.key)
		case "diff":
			play.Diff, err = d.boolPtr(v, kv.key)
		case "tags":
			play.Tags, err = d.strList(v, kv.key, true)
		case "environment":
			play.Environment, play.EnvironmentExpr, err = d.environment(v)
		case "ignore_unreachable":
			play.IgnoreUnreachable, err = d.boolean(v, kv.key)
		case "force_handlers":
			play.ForceHandlers, err = d.boolean(v, kv.key)
		case "no_log":
			play.NoLog, err = d.boolean(v, kv.key)
		default:
			hint := ""
			if isTaskKey(kv.key) {
				hint = " (it looks like a task: put it under tasks:)"
			}
			e := unknownKey(d.pos(kv.keyN), kv.key, "play", playKeywords)
			e.Msg += hint
			return nil, e
		}
		if err != nil {
			return nil, err
		}
	}
	play.Tasks = append(roleTasks, play.Tasks...)
	play.Handlers = append(p.roleHandlers, play.Handlers...)
	if !hostsSet || play.Hosts == "" {
		return nil, errAt(play.Pos, "the play %s has no hosts: add hosts: PATTERN", quoteName(play.Name))
	}
	if err := checkHandlerNames(play); err != nil {
		return nil, err
	}
	return play, nil
}

func quoteName(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", name)
}

// serial accepts an int, "N%", or a list of them.
func (d *decoder) serial(n *yaml.Node) ([]any, error) {
	n = yamlnode.Resolve(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := make([]any, 0, len(items))
	for _, c := range items {
		c = yamlnode.Resolve(c)
		if c.Kind != yaml.ScalarNode {
			return nil, errAt(d.pos(c), "serial must be a number, a percentage or a list of them, got %s", kindName(c))
		}
		s := strings.TrimSpace(c.Value)
		if strings.HasSuffix(s, "%") {
			f, err := d.number(c, "serial")
			if err != nil || f <= 0 || f > 100 {
				return nil, errAt(d.pos(c), "serial percentage must be between 0%% and 100%%, got %q", s)
			}
			out = append(out, s)
			continue
		}
		i, err := d.integer(c, "serial")
		if err != nil {
			return nil, err
		}
		if i < 0 {
			return nil, errAt(d.pos(c), "serial must not be negative, got %d", i)
		}
		out = append(out, i)
	}
	return out, nil
}

func (p *parser) varsFiles(d *decoder, n *yaml.Node, dir string) ([]VarsFile, error) {
	n = yamlnode.Resolve(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []VarsFile
	for _, c := range items {
		paths, err := d.strList(c, "vars_files", false)
		if err != nil {
			return nil, err
		}
		vf := VarsFile{Pos: d.pos(c)}
		for _, s := range paths {
			if !eval.HasTemplate(s) {
				s = resolvePath(dir, s)
			}
			vf.Paths = append(vf.Paths, s)
		}
		// A single fixed path must exist and parse now; alternatives and
		// templated paths are resolved at run time.
		if len(vf.Paths) == 1 && !eval.HasTemplate(vf.Paths[0]) {
			if _, err := LoadVarsFile(vf.Paths[0]); err != nil {
				return nil, &Error{Pos: vf.Pos, Msg: "vars_files", Err: err}
			}
		}
		out = append(out, vf)
	}
	return out, nil
}

// LoadVarsFile reads a YAML (or JSON) file of variables: a mapping at the top.
// Errors name the file and line.
func LoadVarsFile(path string) (map[string]any, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseVars(display(path), data)
}

// ParseVars parses a mapping of variables; name is used in errors.
func ParseVars(name string, data []byte) (map[string]any, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return map[string]any{}, nil
	}
	d := &decoder{file: name}
	return d.mapping(root, "variables file")
}

func unknownKey(pos Pos, key, where string, known []string) *Error {
	msg := fmt.Sprintf("unknown %s keyword %q", where, key)
	if s := closest.Name(key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return errAt(pos, "%s", msg)
}

func checkHandlerNames(play *Play) error {
	names := map[string]bool{}
	for _, h := range play.Handlers {
		for _, n := range h.HandlerNames() {
			names[n] = true
		}
		for _, l := range h.Listen {
			names[l] = true
		}
	}
	var check func(ts []*Task) error
	check = func(ts []*Task) error {
		for _, t := range ts {
			for _, n := range t.Notify {
				if !names[n] && !eval.HasTemplate(n) {
					known := make([]string, 0, len(names))
					for k := range names {
						known = append(known, k)
					}
					sort.Strings(known)
					msg := fmt.Sprintf("notify: no handler or listen topic named %q in this play", n)
					if s := closest.Name(n, known); s != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", s)
					}
					return errAt(t.Pos, "%s", msg)
				}
			}
			for _, sub := range [][]*Task{t.Block, t.Rescue, t.Always} {
				if err := check(sub); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, ts := range [][]*Task{play.PreTasks, play.Tasks, play.PostTasks, play.Handlers} {
		if err := check(ts); err != nil {
			return err
		}
	}
	return nil
}

// requiredVars reads required_vars: a mapping of variable name to a short
// description of what to give, e.g. host: "the master to recover onto".
func (d *decoder) requiredVars(n *yaml.Node) ([]RequiredVar, error) {
	ps, err := d.pairs(n, "required_vars")
	if err != nil {
		return nil, err
	}
	out := make([]RequiredVar, 0, len(ps))
	for _, kv := range ps {
		help, err := d.str(kv.value, kv.key)
		if err != nil {
			return nil, err
		}
		out = append(out, RequiredVar{Pos: d.pos(kv.value), Name: kv.key, Help: help})
	}
	return out, nil
}
