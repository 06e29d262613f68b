package modules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

func init() { Register(debugModule{}) }

type debugModule struct{}

// debugDefaultMsg is printed when neither msg nor var is given.
const debugDefaultMsg = "Hello world!"

// debugUndefined is what var shows for a variable that is not defined.
const debugUndefined = "VARIABLE IS NOT DEFINED!"

var debugSpec = &Spec{
	Name:  "debug",
	Short: "Print a message or the value of a variable",
	Doc: "Prints msg, or the value of the variable or expression named by var, without touching the host. " +
		"verbosity hides the output unless ansible-playbook style -v flags reach that level.",
	Params: []Param{
		// No Default here: msg and var are mutually exclusive, and a default
		// would make msg always present. Run applies it.
		{Name: "msg", Type: TypeAny, Doc: "The message to print (any value; default \"Hello world!\"). Not with var."},
		{Name: "var", Type: TypeString, Doc: "A variable name or bare expression whose value is printed under its own name. Not with msg."},
		{Name: "verbosity", Type: TypeInt, Default: 0, Doc: "Print only when run with at least this many -v."},
	},
	Check:            CheckFull,
	RunsOnController: true,
	Prints:           true,
	Returns: []Return{
		{Name: "msg", Type: TypeAny, Doc: "The message (with msg)."},
		{Name: "<var>", Type: TypeAny, Doc: "The variable's value under the var expression as key, or \"VARIABLE IS NOT DEFINED!\"."},
		{Name: "verbosity", Type: TypeInt, Doc: "The verbosity parameter, for the output."},
	},
	Example: `- debug:
    msg: "{{ inventory_hostname }} runs {{ ansible_distribution }}"

- debug:
    var: result.stdout_lines
    verbosity: 1`,
	Validate: func(a Args) error {
		if a.Has("msg") && a.Has("var") {
			return errors.New("parameters are mutually exclusive: msg|var")
		}
		return nil
	},
}

func (debugModule) Spec() *Spec { return debugSpec }

// debugVarPath matches a plain variable reference such as a or a.b.c: the
// only way it can fail to evaluate is by not being defined.
var debugVarPath = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\s*$`)

func (debugModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	data := map[string]any{"verbosity": args.Int("verbosity")}
	if name := args.String("var"); name != "" {
		if mc.Eval == nil {
			return nil, errors.New("debug: no expression evaluator")
		}
		v, err := mc.Eval(name)
		if err != nil {
			if !debugVarPath.MatchString(name) {
				return nil, fmt.Errorf("debug: evaluating %q: %w", name, err)
			}
			v = debugUndefined
		}
		data[name] = v
		return &Result{Data: data}, nil
	}
	// msg: null (or an expression that is None) prints null, as in
	// Ansible; only a missing msg prints the default.
	msg, given := args["msg"]
	if !given {
		msg = debugDefaultMsg
	}
	data["msg"] = msg
	r := &Result{Data: data}
	if s, ok := msg.(string); ok {
		r.Msg = s
	}
	return r, nil
}
