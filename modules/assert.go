package modules

import (
	"context"
	"errors"
	"fmt"
)

func init() { Register(assertModule{}) }

type assertModule struct{}

var assertSpec = &Spec{
	Name:  "assert",
	Short: "Check that expressions are true",
	Doc: "Evaluates each expression of that (bare expressions, as in when:) in order and fails " +
		"on the first that is false. Every expression must evaluate to a boolean.",
	Params: []Param{
		{Name: "that", Type: TypeList, Required: true, Doc: "The expressions that must all be true (a single string is one expression)."},
		{Name: "fail_msg", Type: TypeAny, Aliases: []string{"msg"}, Doc: "The message when an expression is false (default \"Assertion failed\")."},
		{Name: "success_msg", Type: TypeAny, Doc: "The message when all are true (default \"All assertions passed\")."},
		{Name: "quiet", Type: TypeBool, Default: false, Doc: "Keep a passing assert out of the output unless -v is given."},
	},
	Check:            CheckFull,
	RunsOnController: true,
	Returns: []Return{
		{Name: "assertion", Type: TypeString, Doc: "The first expression that was false (on failure)."},
		{Name: "evaluated_to", Type: TypeBool, Doc: "What it evaluated to (false, on failure)."},
	},
	Example: `- assert:
    that:
      - ansible_distribution == "Debian"
      - port > 1024
    fail_msg: "unsupported host"`,
	Validate: func(a Args) error {
		if len(a.List("that")) == 0 {
			return errors.New("that: at least one expression is required")
		}
		return nil
	},
}

func (assertModule) Spec() *Spec { return assertSpec }

func (assertModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	if mc.Eval == nil {
		return nil, errors.New("assert: no expression evaluator")
	}
	for _, expr := range args.StringList("that") {
		v, err := mc.Eval(expr)
		if err != nil {
			return nil, fmt.Errorf("assert: evaluating %q: %w", expr, err)
		}
		ok, isBool := v.(bool)
		if !isBool {
			return nil, fmt.Errorf("assert: expression %q must evaluate to a boolean, got %T (%v)", expr, v, v)
		}
		if !ok {
			r := &Result{Failed: true, Data: map[string]any{"assertion": expr, "evaluated_to": false}}
			setAnyMsg(r, args["fail_msg"], "Assertion failed")
			return r, nil
		}
	}
	r := &Result{}
	setAnyMsg(r, args["success_msg"], "All assertions passed")
	return r, nil
}
