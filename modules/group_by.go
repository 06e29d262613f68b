package modules

import (
	"context"
	"errors"
	"strings"
)

func init() { Register(groupByModule{}) }

type groupByModule struct{}

var groupBySpec = &Spec{
	Name:  "group_by",
	Short: "Put the host into a group named from its variables, for later plays",
	Doc: "Creates the group key (under each of parents) when it does not exist and makes the host a member, " +
		"for the rest of the run: later plays may target it and group_vars/KEY applies. Never touches the host; " +
		"reports changed, as Ansible 2.14 does. Runs the same in check mode.",
	Params: []Param{
		{Name: "key", Type: TypeString, Required: true, Doc: "The group's name, usually templated: os_{{ ansible_distribution }}."},
		{Name: "parents", Type: TypeList, Default: []any{"all"}, Doc: "The groups the new group is a child of."},
	},
	Check:            CheckFull,
	RunsOnController: true,
	ChangesInventory: true,
	Returns: []Return{
		{Name: "add_group", Type: TypeString, Doc: "The group the host was put in."},
		{Name: "parent_groups", Type: TypeList, Doc: "Its parent groups."},
	},
	Example: `- group_by:
    key: "os_{{ ansible_distribution | lower() }}"   # a later play may target hosts: os_ubuntu`,
	Validate: func(a Args) error {
		if strings.TrimSpace(a.String("key")) == "" {
			return errors.New("key must not be empty")
		}
		return nil
	},
}

func (groupByModule) Spec() *Spec { return groupBySpec }

// Run only reports the group: the engine applies add_group to its
// inventory once every host has run the task.
func (groupByModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	parents := make([]any, 0, 1)
	for _, p := range args.StringList("parents") {
		parents = append(parents, strings.TrimSpace(p))
	}
	return &Result{Changed: true, Data: map[string]any{"add_group": strings.TrimSpace(args.String("key")), "parent_groups": parents}}, nil
}
