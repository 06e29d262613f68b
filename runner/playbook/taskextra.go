package playbook

// Task keywords kept for Ansible content: local_action and action (the
// module named in the value), delegate_facts, throttle, and async/poll
// (runner/asyncjobs.go, modules/async_status.go).

import (
	"fmt"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
	"github.com/runbook-dev/runbook/module"
)

// extraTaskKeywords are accepted besides taskKeywords (listed separately so
// they can be told apart in the keyword reference).
var extraTaskKeywords = []string{"local_action", "action", "delegate_facts", "throttle", "async", "poll"}

// actionPair turns `local_action:`/`action:` into the module key it names:
// a string "MODULE ARGS…" (ARGS free-form, as on a module line) or a
// mapping with module: MODULE and the arguments beside it.
func (d *decoder) actionPair(kv pair) (pair, error) {
	v := yamlnode.Resolve(kv.value)
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag != "!!null":
		word, rest, _ := strings.Cut(strings.TrimSpace(v.Value), " ")
		if word == "" {
			break
		}
		args := *v
		args.Value, args.Tag, args.Style = strings.TrimSpace(rest), "!!str", 0
		if args.Value == "" {
			args.Tag = "!!null"
		}
		return d.actionModule(kv, word, v, &args)
	case v.Kind == yaml.MappingNode:
		args := *v
		args.Content = nil
		word := ""
		var wordN *yaml.Node
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == "module" {
				word, wordN = v.Content[i+1].Value, v.Content[i+1]
				continue
			}
			args.Content = append(args.Content, v.Content[i], v.Content[i+1])
		}
		if wordN == nil {
			return pair{}, errAt(d.pos(v), "%s: needs module: naming the module to run, as in %s: {module: copy, src: a, dest: /tmp/a}", kv.key, kv.key)
		}
		return d.actionModule(kv, word, wordN, &args)
	}
	return pair{}, errAt(d.pos(v), "%s: needs the module and its arguments, as in %s: command echo hi, or a mapping with module:", kv.key, kv.key)
}

// actionModule checks that the module named in an action value exists.
func (d *decoder) actionModule(kv pair, name string, at, args *yaml.Node) (pair, error) {
	name = canonicalAction(name)
	if _, ok := module.Lookup(name); !ok {
		e := unknownTaskKey(d.pos(at), name)
		e.Msg = kv.key + ": " + strings.Replace(e.Msg, "unknown task keyword or module", "unknown module", 1)
		return pair{}, e
	}
	return pair{key: name, keyN: at, value: args}, nil
}

// extraTaskKeyword parses delegate_facts, throttle, async and poll.
func (d *decoder) extraTaskKeyword(t *Task, kv pair) error {
	v := kv.value
	var err error
	switch kv.key {
	case "delegate_facts":
		t.DelegateFacts, err = d.boolean(v, kv.key)
	case "throttle":
		if t.Throttle, err = d.integer(v, kv.key); err == nil && t.Throttle < 0 {
			err = errAt(d.pos(v), "throttle must be 0 (no limit) or more, got %d", t.Throttle)
		}
	case "async":
		if t.Async, err = d.integer(v, kv.key); err == nil && t.Async < 0 {
			err = errAt(d.pos(v), "async must be a number of seconds, 0 or more, got %d", t.Async)
		}
	case "poll":
		var p int
		if p, err = d.integer(v, kv.key); err == nil {
			if p < 0 {
				return errAt(d.pos(v), "poll must be 0 or more seconds, got %d", p)
			}
			t.Poll = &p
		}
	}
	return err
}

// checkAsync refuses what runbook does not do with async: a looping task
// left running in the background (poll: 0). async with a poll interval
// waits for the task as Ansible does, async then being the time limit.
func checkAsync(t *Task) error {
	if t.Async > 0 && t.Poll != nil && *t.Poll == 0 && t.HasLoop {
		return errAt(t.Pos, "task %s: async with poll: 0 cannot loop in runbook: start one background task per "+
			"item with include_tasks and loop, or drop poll: 0 to run the items in turn (async: %d then limits each)",
			quoteName(t.DisplayName()), t.Async)
	}
	if t.Async > 0 && t.Module == "" {
		return errAt(t.Pos, "task %s: async applies to a module task, not to a block or include", quoteName(t.DisplayName()))
	}
	return nil
}

// localActionDelegate is the delegate_to local_action implies; giving both
// is refused.
func localActionDelegate(t *Task, localAction bool) error {
	if !localAction {
		return nil
	}
	if t.DelegateTo != "" && t.DelegateTo != "localhost" {
		return errAt(t.Pos, "task %s: local_action runs on localhost, and delegate_to: %s says otherwise: keep one of them",
			quoteName(t.DisplayName()), t.DelegateTo)
	}
	t.DelegateTo = "localhost"
	return nil
}

// asyncMessage is Ansible's message for a task that ran past async seconds.
func asyncMessage(seconds int) string {
	return fmt.Sprintf("async task did not complete within the requested time - %ds", seconds)
}

// AsyncTimeoutMessage is what a task running past its async limit fails with.
func (t *Task) AsyncTimeoutMessage() string { return asyncMessage(t.Async) }

// includeFileName reads include_tasks' value: the file name, Ansible's
// free-form "file=NAME", or a mapping with file:. apply: is refused, saying
// what to write instead.
func (d *decoder) includeFileName(v *yaml.Node) (string, *yaml.Node, error) {
	if yamlnode.Resolve(v).Kind != yaml.MappingNode {
		file, err := d.str(v, "include_tasks")
		if rest, ok := strings.CutPrefix(strings.TrimSpace(file), "file="); ok {
			file = strings.TrimSpace(rest)
		}
		return file, nil, err
	}
	ps, err := d.pairs(v, "include_tasks")
	if err != nil {
		return "", nil, err
	}
	var file string
	var apply *yaml.Node
	for _, p := range ps {
		switch p.key {
		case "file":
			if file, err = d.str(p.value, "file"); err != nil {
				return "", nil, err
			}
		case "apply":
			apply = p.value
		default:
			return "", nil, errAt(d.pos(p.keyN), "include_tasks: unknown parameter %q (it takes file:, apply:)", p.key)
		}
	}
	return file, apply, nil
}

// applyBlock parses an include's apply: mapping as the keywords of a block
// with no tasks yet; the included tasks become its block when they are
// loaded, so they inherit its tags, become, when, vars, … as a block's
// tasks do (Ansible's apply).
func (p *parser) applyBlock(d *decoder, v *yaml.Node, dir, what string) (*Task, error) {
	n := yamlnode.Resolve(v)
	if n.Kind != yaml.MappingNode {
		return nil, errAt(d.pos(v), "%s: apply must be a mapping of task keywords (tags:, become:, when:, …)", what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "block", "rescue", "always", "loop", "register", "notify":
			return nil, errAt(d.pos(n.Content[i]), "%s: apply: %q cannot be applied to included tasks", what, k)
		}
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	m.Content = append(append(m.Content, n.Content...),
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "block", Line: n.Line, Column: n.Column},
		&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Column: n.Column})
	t, err := p.task(d, m, dir, false)
	if err != nil {
		return nil, err
	}
	if t.Block == nil || t.Module != "" {
		return nil, errAt(d.pos(v), "%s: apply takes task keywords only", what)
	}
	return t, nil
}
