package modules

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
)

func init() { Register(addHostModule{}) }

type addHostModule struct{}

var addHostSpec = &Spec{
	Name:  "add_host",
	Short: "Add a host (and its groups and variables) to the inventory for later plays",
	Doc: "Adds the host, or updates one already known, for the rest of the run: it joins groups (created when " +
		"new) and every other key of the task becomes one of its variables. name may end in :PORT (ansible_port). " +
		"As in Ansible it runs once per task, not once per host (loop over items to add several); it reports " +
		"changed. Runs the same in check mode.",
	Params: []Param{
		{Name: "name", Type: TypeString, Required: true, Aliases: []string{"host", "hostname"}, Doc: "The host's inventory name, optionally with :PORT."},
		{Name: "groups", Type: TypeList, Aliases: []string{"group", "groupname"}, Doc: "Groups to put the host in."},
	},
	AnyParams:        true,
	Check:            CheckFull,
	RunsOnController: true,
	ChangesInventory: true,
	Returns: []Return{
		{Name: "add_host", Type: TypeMap, Doc: "host_name, groups and host_vars, as Ansible returns them."},
	},
	Example: `- add_host:
    name: "{{ new_ip }}"
    groups: [masters]
    ansible_user: root`,
	Validate: func(a Args) error {
		if strings.TrimSpace(a.String("name")) == "" {
			return errors.New("name must not be empty")
		}
		return nil
	},
}

func (addHostModule) Spec() *Spec { return addHostSpec }

// Run only reports the host: the engine applies add_host to its inventory
// once the task is done.
func (addHostModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	name := strings.TrimSpace(args.String("name"))
	vars := map[string]any{}
	for k, v := range args {
		switch k {
		case "name", "host", "hostname", "groups", "group", "groupname":
		default:
			vars[k] = v
		}
	}
	if h, p, err := net.SplitHostPort(name); err == nil {
		if port, err := strconv.Atoi(p); err == nil {
			name = h
			vars["ansible_port"] = port
		}
	}
	groups := make([]any, 0)
	for _, g := range args.StringList("groups") {
		for _, s := range strings.Split(g, ",") {
			if s = strings.TrimSpace(s); s != "" {
				groups = append(groups, s)
			}
		}
	}
	return &Result{Changed: true, Data: map[string]any{"add_host": map[string]any{
		"host_name": name, "groups": groups, "host_vars": vars,
	}}}, nil
}
