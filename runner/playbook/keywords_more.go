package playbook

// Decoding helpers for the Ansible keywords added for issue 18's last
// slice: remote_user, vars given as a list of mappings, environment given
// as an expression, loop_control.extended and strategy.

import (
	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
	"github.com/runbook-dev/runbook/runner/eval"
)

// templatedStr reads a string keyword whose value may hold {{ }}: the
// template's syntax is checked now, so an error names the line.
func (d *decoder) templatedStr(n *yaml.Node, key string) (string, error) {
	s, err := d.str(n, key)
	if err != nil {
		return "", err
	}
	return s, d.checkTemplates(n)
}

// varsMapping reads vars: a mapping, or (as Ansible allows on plays, blocks,
// tasks and role entries) a list of mappings merged in order, a later one
// winning.
func (d *decoder) varsMapping(n *yaml.Node, key string) (map[string]any, error) {
	r := yamlnode.Resolve(n)
	if r.Kind != yaml.SequenceNode {
		return d.mapping(n, key)
	}
	out := map[string]any{}
	for _, c := range r.Content {
		if rc := yamlnode.Resolve(c); rc.Kind != yaml.MappingNode {
			return nil, errAt(d.pos(rc), "%q must be a mapping or a list of mappings, this entry is %s", key, kindName(rc))
		}
		m, err := d.mapping(c, key)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			out[k] = v
		}
	}
	return out, nil
}

// environment reads environment: a mapping, or a string holding {{ }} that
// renders to one for each host at run time (environment: "{{ proxy_env }}").
func (d *decoder) environment(n *yaml.Node) (map[string]any, string, error) {
	r := yamlnode.Resolve(n)
	if r.Kind == yaml.ScalarNode && r.Tag != "!!null" {
		if !eval.HasTemplate(r.Value) {
			return nil, "", errAt(d.pos(r), "environment must be a mapping of variable names to values, or a {{ expression }} giving one; got the string %q", r.Value)
		}
		if err := d.checkTemplates(r); err != nil {
			return nil, "", err
		}
		return nil, r.Value, nil
	}
	m, err := d.mapping(n, "environment")
	return m, "", err
}

// loopControlExtended reads loop_control's boolean keys extended and
// extended_allitems; handled is false for the other keys.
func (d *decoder) loopControlExtended(t *Task, kv pair) (handled bool, err error) {
	switch kv.key {
	case "extended":
		t.LoopControl.Extended, err = d.boolean(kv.value, kv.key)
	case "extended_allitems":
		t.LoopControl.ExtendedAllItems, err = d.boolPtr(kv.value, kv.key)
	default:
		return false, nil
	}
	return true, err
}

// importedWhen applies an import_playbook's when: to an imported play the
// way Ansible does: prepended to the conditions of each of its tasks
// (pre_tasks, roles, tasks, post_tasks; not handlers, which run only when
// notified) and to fact gathering.
func importedWhen(pl *Play, when []string) {
	if len(when) == 0 {
		return
	}
	pl.ImportWhen = append(append([]string{}, when...), pl.ImportWhen...)
	for _, list := range [][]*Task{pl.PreTasks, pl.Tasks, pl.PostTasks} {
		for _, t := range list {
			t.When = append(append([]string{}, when...), t.When...)
		}
	}
}

// strategy accepts strategy: linear, what runbook always does (each task on
// every host of the batch before the next task). The others would change
// the order hosts run in, so they are refused rather than run as linear.
func (d *decoder) strategy(n *yaml.Node) error {
	s, err := d.str(n, "strategy")
	if err != nil {
		return err
	}
	switch s {
	case "linear", "ansible.builtin.linear":
		return nil
	case "free", "host_pinned", "debug", "ansible.builtin.free", "ansible.builtin.host_pinned", "ansible.builtin.debug":
		return errAt(d.pos(n), "strategy %q is not supported: runbook runs plays with the linear strategy (each task on all hosts before the next); remove strategy: or write strategy: linear", s)
	}
	return errAt(d.pos(n), "unknown strategy %q: runbook runs plays with the linear strategy only; remove strategy: or write strategy: linear", s)
}
