package playbook

import (
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/runner/eval"
)

// The loop keywords: loop: and Ansible's with_* forms, each turned into a
// list of items when the task runs (runner/withloops.go), after its value
// is rendered.

// loopShapes says what each loop keyword's value must be.
var loopShapes = map[string]string{
	"loop":               "a list or a {{ }} expression that gives one",
	"with_items":         "a list or a {{ }} expression that gives one",
	"with_list":          "a list or a {{ }} expression that gives one",
	"with_indexed_items": "a list or a {{ }} expression that gives one",
	"with_together":      "a list of lists or a {{ }} expression that gives one",
	"with_subelements":   "a list [items, 'subkey'] (and optionally {skip_missing: true})",
	"with_fileglob":      "a pattern or a list of patterns",
	"with_dict":          "a mapping or a {{ }} expression that gives one",
	"with_sequence":      "a string such as \"start=1 end=5\", \"count=3\" or \"1-10/2\"",
}

// loopShape says what a loop keyword's value must be.
func loopShape(key string) string {
	if s, ok := loopShapes[key]; ok {
		return s
	}
	return "a list, a string or a {{ }} expression (the terms of the lookup " + strings.TrimPrefix(key, "with_") + ")"
}

// loop reads one loop keyword.
func (d *decoder) loop(t *Task, kv pair) error {
	v := kv.value
	if t.HasLoop {
		return errAt(d.pos(kv.keyN), "a task may have only one loop keyword (loop:, with_items:, with_dict:, …); it has %s and %s", t.LoopKind, kv.key)
	}
	if err := d.checkTemplates(v); err != nil {
		return err
	}
	val, err := d.value(v)
	if err != nil {
		return err
	}
	ok := false
	switch val.(type) {
	case string:
		ok = true
	case []any:
		ok = kv.key != "with_dict" && kv.key != "with_sequence"
	case map[string]any:
		ok = kv.key == "with_dict" || kv.key == "with_sequence"
	}
	if !ok {
		return errAt(d.pos(v), "%q must be %s", kv.key, loopShape(kv.key))
	}
	if s, isStr := val.(string); isStr && kv.key == "with_sequence" && !eval.HasTemplate(s) {
		if _, err := eval.Sequence(s); err != nil {
			return &Error{Pos: d.pos(v), Msg: "with_sequence", Err: err}
		}
	}
	if l, isList := val.([]any); isList && kv.key == "with_subelements" && (len(l) < 2 || len(l) > 3) {
		return errAt(d.pos(v), "%q must be %s", kv.key, loopShape(kv.key))
	}
	t.Loop, t.HasLoop, t.LoopKind = val, true, kv.key
	t.FlattenLoop = kv.key == "with_items"
	return nil
}

// loopControl reads loop_control: loop_var, index_var, label, extended and
// extended_allitems.
func (d *decoder) loopControl(t *Task, n *yaml.Node) error {
	ps, err := d.pairs(n, "loop_control")
	if err != nil {
		return err
	}
	for _, kv := range ps {
		if handled, err := d.loopControlExtended(t, kv); err != nil {
			return err
		} else if handled {
			continue
		}
		var s string
		if s, err = d.str(kv.value, kv.key); err != nil {
			return err
		}
		switch kv.key {
		case "loop_var":
			if !isIdentifier(s) {
				return errAt(d.pos(kv.value), "loop_var: %q is not a valid variable name", s)
			}
			t.LoopControl.LoopVar = s
		case "index_var":
			if !isIdentifier(s) {
				return errAt(d.pos(kv.value), "index_var: %q is not a valid variable name", s)
			}
			t.LoopControl.IndexVar = s
		case "label":
			if err := d.checkTemplates(kv.value); err != nil {
				return err
			}
			t.LoopControl.Label = s
		default:
			return unknownKey(d.pos(kv.keyN), kv.key, "loop_control", loopControlKeywords)
		}
	}
	return nil
}
