package modules

import (
	"context"
	"errors"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(pingModule{}) }

type pingModule struct{}

var pingSpec = &Spec{
	Name:  "ping",
	Short: "Check that the host can be reached and run a command",
	Doc: "Connects to the host (becoming the become user when asked) and runs a no-op command there, " +
		"returning pong. Unlike Ansible's ping it needs no Python on the host. Never changes anything.",
	Params: []Param{
		{Name: "data", Type: TypeString, Default: "pong", Doc: `Returned as ping. "crash" makes the task fail, as in Ansible.`},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "ping", Type: TypeString, Doc: "The data parameter: pong by default."},
	},
	Example: `- ping:

- name: check sudo works too
  ping:
  become: true`,
}

func (pingModule) Spec() *Spec { return pingSpec }

func (pingModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	data := args.String("data")
	if data == "crash" {
		return nil, errors.New("ping: boom (data=crash asks the module to fail)")
	}
	if _, err := hostRun(ctx, mc, "ping", &transport.Cmd{Args: []string{"true"}}); err != nil {
		return nil, err
	}
	return &Result{Data: map[string]any{"ping": data}}, nil
}
