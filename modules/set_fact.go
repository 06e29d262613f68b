package modules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/module"
)

func init() { Register(setFactModule{}) }

type setFactModule struct{}

var setFactSpec = &Spec{
	Name:  "set_fact",
	Short: "Set host variables from the task's keys",
	Doc: "Every key of the task (other than cacheable) becomes a variable of the host for the rest " +
		"of the run, with the (rendered) value. The strings true/false/yes/no become booleans.",
	Params: []Param{
		{Name: "cacheable", Type: TypeBool, Default: false, Doc: "Accepted for compatibility and ignored (there is no fact cache)."},
	},
	AnyParams:        true,
	Check:            CheckFull,
	RunsOnController: true,
	SetsFacts:        true,
	Returns: []Return{
		{Name: "ansible_facts", Type: TypeMap, Doc: "The variables that were set."},
	},
	Example: `- set_fact:
    app_dir: /opt/app
    release: "{{ app_dir }}/releases/{{ version }}"
    debug_build: false`,
	Validate: func(a Args) error {
		n := 0
		for _, k := range setFactKeys(a) {
			if k == "cacheable" {
				continue
			}
			if !module.FreeFormKey(k) {
				return fmt.Errorf("the variable name %q is not valid: it must start with a letter or underscore "+
					"and contain only letters, numbers and underscores", k)
			}
			n++
		}
		if n == 0 {
			return errors.New("no key/value pairs provided, at least one is required")
		}
		return nil
	},
}

func (setFactModule) Spec() *Spec { return setFactSpec }

func (setFactModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	facts := make(map[string]any, len(args))
	for k, v := range args {
		if k == "cacheable" {
			continue
		}
		if s, ok := v.(string); ok {
			switch strings.ToLower(s) {
			case "true", "yes":
				v = true
			case "false", "no":
				v = false
			}
		}
		facts[k] = v
	}
	return &Result{Facts: facts}, nil
}

func setFactKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
