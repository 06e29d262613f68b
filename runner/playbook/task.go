package playbook

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/closest"
	"github.com/runbook-dev/runbook/internal/yamlnode"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner/eval"
)

// taskKeywords are the keys a task may hold besides its module.
var taskKeywords = []string{
	"name", "when", "loop", "with_items", "with_list", "with_dict", "with_indexed_items", "with_together",
	"with_subelements", "with_sequence", "with_fileglob", "loop_control", "register", "notify", "listen", "tags",
	"ignore_errors", "ignore_unreachable", "failed_when", "changed_when", "until", "retries", "delay",
	"run_once", "delegate_to", "block", "rescue", "always", "include_tasks", "import_tasks",
	"check_mode", "diff", "no_log", "environment", "become", "become_user", "vars", "args", "meta",
	"import_role", "include_role", "remote_user", "any_errors_fatal",
}

// MetaActions are the values meta: accepts.
var MetaActions = []string{"flush_handlers", "end_play", "end_host", "noop", "clear_host_errors", "reset_connection"}

func isTaskKey(k string) bool {
	k = canonicalAction(k)
	for _, t := range taskKeywords {
		if t == k {
			return true
		}
	}
	_, ok := module.Lookup(k)
	return ok
}

// LoadTasks parses a task file (for include_tasks at run time).
func LoadTasks(path string) ([]*Task, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	p := &parser{}
	return p.taskFile(display(path), path, data)
}

func (p *parser) taskFile(name, abs string, data []byte) ([]*Task, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name}
	if root == nil {
		return nil, nil
	}
	return p.taskList(d, root, dirOf(abs), "tasks", false)
}

func dirOf(abs string) string { return Pos{File: abs}.Dir() }

func (p *parser) taskList(d *decoder, n *yaml.Node, dir, key string, handlers bool) ([]*Task, error) {
	n = yamlnode.Resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(d.pos(n), "%q must be a list of tasks, got %s", key, kindName(n))
	}
	out := make([]*Task, 0, len(n.Content))
	for _, c := range n.Content {
		if err := d.enter(c); err != nil {
			return nil, err
		}
		t, err := p.task(d, c, dir, handlers)
		d.leave(c)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// task parses one task mapping.
func (p *parser) task(d *decoder, n *yaml.Node, dir string, handler bool) (*Task, error) {
	ps, err := d.pairs(n, "a task")
	if err != nil {
		return nil, err
	}
	t := &Task{Pos: d.pos(n)}
	var moduleKeys []pair
	var argsNode *yaml.Node
	localAction := false
	for _, kv := range ps {
		kv.key = canonicalAction(kv.key)
		if kv.key == "local_action" || kv.key == "action" {
			mk, err := d.actionPair(kv)
			if err != nil {
				return nil, err
			}
			localAction = localAction || kv.key == "local_action"
			moduleKeys = append(moduleKeys, mk)
			continue
		}
		if contains(extraTaskKeywords, kv.key) {
			if err := d.extraTaskKeyword(t, kv); err != nil {
				return nil, err
			}
			continue
		}
		if !isTaskKeyword(kv.key) {
			if _, ok := module.Lookup(kv.key); ok {
				moduleKeys = append(moduleKeys, kv)
				continue
			}
			e := unknownTaskKey(d.pos(kv.keyN), kv.key)
			if !hasAction(ps) {
				// The task's only candidate action: a module runbook does
				// not have (a collection's short name such as pkgng), not
				// a misspelt keyword next to a known action.
				e.unavailable = true
			}
			return nil, e
		}
		if err := p.taskKeyword(d, t, kv, dir, handler); err != nil {
			return nil, err
		}
		if kv.key == "args" {
			argsNode = kv.value
		}
	}
	kinds := 0
	for _, set := range []bool{len(moduleKeys) > 0, t.Block != nil && t.Import == "", t.IncludeTasks != "", t.Meta != "", t.Import != "", t.IncludeRole != nil} {
		if set {
			kinds++
		}
	}
	if len(moduleKeys) > 1 || kinds > 1 {
		var names []string
		for _, m := range moduleKeys {
			names = append(names, m.key)
		}
		for key, set := range map[string]bool{"block": t.Block != nil && t.Import == "", "include_tasks": t.IncludeTasks != "", "meta": t.Meta != "", "import_tasks": t.Import != "", "include_role": t.IncludeRole != nil} {
			if set {
				names = append(names, key)
			}
		}
		sort.Strings(names)
		return nil, errAt(t.Pos, "a task may run only one action, this one has %s: split it into separate tasks", strings.Join(names, " and "))
	}
	if kinds == 0 {
		return nil, errAt(t.Pos, "task %s has no action: add a module (e.g. command:, debug:), block:, include_tasks:, import_tasks:, import_role:, include_role: or meta:", quoteName(t.Name))
	}
	if len(moduleKeys) == 1 {
		if err := d.moduleArgs(t, moduleKeys[0], argsNode); err != nil {
			return nil, err
		}
	} else if argsNode != nil {
		return nil, errAt(d.pos(argsNode), "args: is only valid on a module task")
	}
	if err := localActionDelegate(t, localAction); err != nil {
		return nil, err
	}
	if err := checkAsync(t); err != nil {
		return nil, err
	}
	if t.Block == nil && (t.Rescue != nil || t.Always != nil) {
		return nil, errAt(t.Pos, "rescue: and always: need a block: in the same task")
	}
	if handler && t.Name == "" && len(t.Listen) == 0 {
		return nil, errAt(t.Pos, "a handler needs a name: (or listen:) so tasks can notify it")
	}
	if !handler && len(t.Listen) > 0 {
		return nil, errAt(t.Pos, "listen: is only valid on handlers")
	}
	if t.Block != nil && t.HasLoop {
		return nil, errAt(t.Pos, "a block cannot loop: put the loop on the tasks inside it, or use include_tasks with loop")
	}
	return t, nil
}

func isTaskKeyword(k string) bool {
	for _, t := range taskKeywords {
		if t == k {
			return true
		}
	}
	return false
}

func unknownTaskKey(pos Pos, key string) *Error {
	if instead := missingBuiltin(key); instead != "" {
		e := errAt(pos, "module %q (ansible.builtin) is not built into runbook: %s", key, instead)
		e.unavailable = true
		return e
	}
	known := append(append(append([]string{}, taskKeywords...), extraTaskKeywords...), module.Names()...)
	msg := fmt.Sprintf("unknown task keyword or module %q", key)
	short, s := key, closest.Name(key, known)
	if i := strings.LastIndexByte(key, '.'); i >= 0 && strings.Count(key, ".") >= 2 {
		// A collection's name: suggest a built-in only for a typo after
		// ansible.builtin. or ansible.legacy., or for the same name.
		short, s = key[i+1:], ""
		if strings.HasPrefix(key, "ansible.builtin.") || strings.HasPrefix(key, "ansible.legacy.") {
			s = closest.Name(short, known)
		} else if isTaskKey(short) {
			s = short
		}
	}
	switch {
	case short != key && s != "":
		msg += fmt.Sprintf(" (only ansible.builtin and ansible.legacy names are built in: did you mean %q?)", s)
	case short != key:
		msg += " (only ansible.builtin and ansible.legacy modules are built in; collections are not supported)"
		e := errAt(pos, "%s", msg)
		e.unavailable = true
		return e
	case s != "":
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return errAt(pos, "%s", msg)
}

// FQCNPrefixes are the collection prefixes whose names are runbook's own:
// ansible.builtin.copy is copy.
var FQCNPrefixes = []string{"ansible.builtin.", "ansible.legacy."}

// FQCNActions are the action keywords that, like modules, may be written
// with an FQCN prefix (ansible.builtin.include_role).
var FQCNActions = []string{"include_tasks", "import_tasks", "meta", "import_role", "include_role"}

// canonicalAction turns ansible.builtin.NAME and ansible.legacy.NAME into
// NAME when NAME is a module or one of FQCNActions; other keys are returned
// as they are.
func canonicalAction(key string) string {
	for _, prefix := range FQCNPrefixes {
		name, found := strings.CutPrefix(key, prefix)
		if !found {
			continue
		}
		if _, isModule := module.Lookup(name); isModule || slices.Contains(FQCNActions, name) {
			return name
		}
	}
	return key
}

func (p *parser) taskKeyword(d *decoder, t *Task, kv pair, dir string, handler bool) error {
	if isWithLookup(kv.key) {
		return d.loop(t, kv)
	}
	v := kv.value
	var err error
	switch kv.key {
	case "name":
		t.Name, err = d.str(v, kv.key)
		if err == nil {
			err = d.checkTemplates(v)
		}
	case "when":
		t.When, err = d.conditions(v, kv.key)
	case "failed_when":
		t.FailedWhen, err = d.conditions(v, kv.key)
	case "changed_when":
		t.ChangedWhen, err = d.conditions(v, kv.key)
	case "until":
		t.Until, err = d.conditions(v, kv.key)
	case "loop":
		err = d.loop(t, kv)
	case "loop_control":
		err = d.loopControl(t, v)
	case "register":
		t.Register, err = d.str(v, kv.key)
		if err == nil && !isIdentifier(t.Register) {
			err = errAt(d.pos(v), "register: %q is not a valid variable name", t.Register)
		} else if err == nil && contains(magicVars, t.Register) {
			err = errAt(d.pos(v), "register: %q is a variable runbook sets itself (it would hide the result): choose another name", t.Register)
		}
	case "notify":
		t.Notify, err = d.strList(v, kv.key, false)
	case "listen":
		t.Listen, err = d.strList(v, kv.key, false)
	case "tags":
		t.Tags, err = d.strList(v, kv.key, true)
	case "ignore_errors":
		t.IgnoreErrors, err = d.boolPtr(v, kv.key)
	case "ignore_unreachable":
		t.IgnoreUnreachable, err = d.boolPtr(v, kv.key)
	case "retries":
		var i int
		if i, err = d.integer(v, kv.key); err == nil {
			if i < 0 || i > 10000 {
				return errAt(d.pos(v), "retries must be between 0 and 10000, got %d", i)
			}
			t.Retries = &i
		}
	case "delay":
		var f float64
		if f, err = d.number(v, kv.key); err == nil {
			if f < 0 || f > 3600 {
				return errAt(d.pos(v), "delay must be between 0 and 3600 seconds, got %v", f)
			}
			t.Delay = &f
		}
	case "run_once":
		t.RunOnce, err = d.boolean(v, kv.key)
	case "delegate_to":
		t.DelegateTo, err = d.str(v, kv.key)
	case "check_mode":
		t.CheckMode, err = d.boolPtr(v, kv.key)
	case "diff":
		t.Diff, err = d.boolPtr(v, kv.key)
	case "no_log":
		t.NoLog, err = d.boolPtr(v, kv.key)
	case "environment":
		t.Environment, t.EnvironmentExpr, err = d.environment(v)
	case "become":
		t.Become, err = d.boolPtr(v, kv.key)
	case "become_user":
		t.BecomeUser, err = d.str(v, kv.key)
	case "remote_user":
		t.RemoteUser, err = d.templatedStr(v, kv.key)
	case "any_errors_fatal":
		t.AnyErrorsFatal, err = d.boolPtr(v, kv.key)
	case "vars":
		t.Vars, err = d.varsMapping(v, kv.key)
	case "args":
		// merged with the module's arguments in moduleArgs
	case "meta":
		t.Meta, err = d.str(v, kv.key)
		if err == nil && !contains(MetaActions, t.Meta) {
			msg := fmt.Sprintf("meta: unknown action %q; supported: %s", t.Meta, strings.Join(MetaActions, ", "))
			if s := closest.Name(t.Meta, MetaActions); s != "" {
				msg = fmt.Sprintf("meta: unknown action %q (did you mean %q?)", t.Meta, s)
			}
			return errAt(d.pos(v), "%s", msg)
		}
	case "block":
		t.Block, err = p.taskList(d, v, dir, kv.key, handler)
		if err == nil && t.Block == nil {
			t.Block = []*Task{}
		}
	case "rescue":
		t.Rescue, err = p.taskList(d, v, dir, kv.key, handler)
	case "always":
		t.Always, err = p.taskList(d, v, dir, kv.key, handler)
	case "import_tasks":
		err = p.importTasks(d, t, v, dir, handler)
	case "include_tasks":
		err = p.includeTasks(d, t, v, dir)
	case "import_role", "include_role":
		err = p.roleTask(d, t, kv, dir)
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// importTasks inlines a task file as a block, so the import's when:, tags:
// and vars: apply to each imported task, as with Ansible's static imports.
func (p *parser) importTasks(d *decoder, t *Task, v *yaml.Node, dir string, handler bool) error {
	file, err := d.str(v, "import_tasks")
	if err != nil {
		return err
	}
	pos := d.pos(v)
	if file == "" || eval.HasTemplate(file) {
		return errAt(pos, "import_tasks needs a fixed file name (use include_tasks for a templated one)")
	}
	abs := resolvePath(dir, file)
	if err := p.push(pos, abs); err != nil {
		return err
	}
	defer p.pop()
	data, err := readFile(abs)
	if err != nil {
		return &Error{Pos: pos, Msg: "import_tasks", Err: err}
	}
	root, err := parseDocument(display(abs), data)
	if err != nil {
		return err
	}
	sub := &decoder{file: display(abs)}
	tasks := []*Task{}
	if root != nil {
		if tasks, err = p.taskList(sub, root, dirOf(abs), "tasks", handler); err != nil {
			return err
		}
	}
	t.Block, t.Import = tasks, display(abs)
	return nil
}

// includeTasks records a dynamic include. A fixed path is parsed now too, so
// a broken file fails validation before the run.
func (p *parser) includeTasks(d *decoder, t *Task, v *yaml.Node, dir string) error {
	file, apply, err := d.includeFileName(v)
	if err != nil {
		return err
	}
	if apply != nil {
		if t.IncludeApply, err = p.applyBlock(d, apply, dir, "include_tasks"); err != nil {
			return err
		}
	}
	pos := d.pos(v)
	if file == "" {
		return errAt(pos, "include_tasks needs a file name")
	}
	if eval.HasTemplate(file) {
		if err := validateTemplate(file); err != nil {
			return &Error{Pos: pos, Msg: "include_tasks", Err: err}
		}
		t.IncludeTasks = file
		return nil
	}
	abs := resolvePath(dir, file)
	t.IncludeTasks = abs
	if err := p.push(pos, abs); err != nil {
		return err
	}
	defer p.pop()
	data, err := readFile(abs)
	if err != nil {
		return &Error{Pos: pos, Msg: "include_tasks", Err: err}
	}
	_, err = p.taskFile(display(abs), abs, data)
	if unavailableModule(err) {
		// Ansible reads an included file only when the include runs: a
		// file that uses a module runbook lacks, included only on other
		// systems (setup-{{ os }}.yml, when: …), must not stop the run.
		// The include fails the host if it does run.
		return nil
	}
	return err
}

// hasAction reports whether a task's keys include a module runbook has or
// an action keyword.
func hasAction(ps []pair) bool {
	for _, kv := range ps {
		key := canonicalAction(kv.key)
		if _, ok := module.Lookup(key); ok && !isTaskKeyword(key) {
			return true
		}
		switch key {
		case "block", "include_tasks", "import_tasks", "include_role", "import_role", "meta", "local_action", "action":
			return true
		}
	}
	return false
}

// unavailableModule reports whether err is (or wraps) a module runbook
// does not have.
func unavailableModule(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if pe, ok := err.(*Error); ok && pe.unavailable {
			return true
		}
	}
	return false
}

// moduleArgs reads the module's arguments (a mapping, a free-form string,
// or nothing), merges args:, and binds them against the module's Spec.
func (d *decoder) moduleArgs(t *Task, kv pair, argsNode *yaml.Node) error {
	m, _ := module.Lookup(kv.key)
	spec := m.Spec()
	t.Module, t.ArgsPos = kv.key, d.pos(kv.value)
	v := yamlnode.Resolve(kv.value)
	if err := d.checkTemplates(v); err != nil {
		return err
	}
	args := map[string]any{}
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
	case v.Kind == yaml.MappingNode:
		raw, err := d.value(v)
		if err != nil {
			return err
		}
		args = raw.(map[string]any)
	case v.Kind == yaml.ScalarNode:
		split, err := module.SplitFreeForm(spec, v.Value)
		if err != nil {
			return &Error{Pos: t.ArgsPos, Msg: fmt.Sprintf("module %s", kv.key), Err: err}
		}
		args = split
	default:
		return errAt(t.ArgsPos, "arguments of module %s must be a mapping or a string, got %s", kv.key, kindName(v))
	}
	if argsNode != nil {
		extra, err := d.mapping(argsNode, "args")
		if err != nil {
			return err
		}
		for k, x := range extra {
			if _, dup := args[k]; dup {
				return errAt(d.pos(argsNode), "args: %q is already set on the module line", k)
			}
			args[k] = x
		}
	}
	if _, err := spec.Bind(args, false); err != nil {
		return &Error{Pos: t.ArgsPos, Msg: "invalid arguments", Err: err}
	}
	t.Args = args
	return nil
}
