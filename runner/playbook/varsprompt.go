package playbook

import (
	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/internal/yamlnode"
)

// VarsPrompt is one entry of a play's vars_prompt: a variable asked for on
// the terminal when the play starts, unless -e gives it.
type VarsPrompt struct {
	Pos     Pos
	Name    string
	Prompt  string // the question; the name when empty
	Default any    // nil: no default
	Private bool   // the answer is not echoed (Ansible's default) and is kept out of the output
}

// varsPromptKeys are the keys of a vars_prompt entry runbook accepts.
var varsPromptKeys = []string{"name", "prompt", "default", "private", "unsafe"}

// varsPrompt reads vars_prompt: a list of {name, prompt, default, private}.
// encrypt, confirm and salt_size are refused: they name what runbook does
// not do (hashing the answer, asking twice).
func (d *decoder) varsPrompt(n *yaml.Node) ([]VarsPrompt, error) {
	n = yamlnode.Resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(d.pos(n), "vars_prompt must be a list of {name: VAR, prompt: TEXT}, got %s", kindName(n))
	}
	out := make([]VarsPrompt, 0, len(n.Content))
	for _, c := range n.Content {
		ps, err := d.pairs(c, "a vars_prompt entry")
		if err != nil {
			return nil, err
		}
		vp := VarsPrompt{Pos: d.pos(c), Private: true}
		for _, kv := range ps {
			switch kv.key {
			case "name":
				vp.Name, err = d.str(kv.value, kv.key)
				if err == nil && !isIdentifier(vp.Name) {
					err = errAt(d.pos(kv.value), "vars_prompt: %q is not a valid variable name", vp.Name)
				}
			case "prompt":
				vp.Prompt, err = d.str(kv.value, kv.key)
			case "default":
				vp.Default, err = d.value(kv.value)
			case "private":
				vp.Private, err = d.boolean(kv.value, kv.key)
			case "unsafe":
				_, err = d.boolean(kv.value, kv.key)
			case "encrypt", "confirm", "salt_size", "salt":
				err = errAt(d.pos(kv.keyN), "vars_prompt: %s is not supported (runbook neither hashes an answer nor asks twice): "+
					"give the value already prepared with -e %s=...", kv.key, vp.Name)
			default:
				err = unknownKey(d.pos(kv.keyN), kv.key, "vars_prompt entry", varsPromptKeys)
			}
			if err != nil {
				return nil, err
			}
		}
		if vp.Name == "" {
			return nil, errAt(vp.Pos, "a vars_prompt entry needs name: (the variable to set)")
		}
		out = append(out, vp)
	}
	return out, nil
}
