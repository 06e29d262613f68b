package modules

import "context"

func init() { Register(failModule{}) }

type failModule struct{}

var failSpec = &Spec{
	Name:  "fail",
	Short: "Fail the task with a message",
	Doc:   "Always fails, with msg. Use it with when: to stop a host on a condition.",
	Params: []Param{
		{Name: "msg", Type: TypeAny, Default: "Failed as requested from task", Doc: "The failure message."},
	},
	Check:            CheckFull,
	RunsOnController: true,
	Example: `- fail:
    msg: "{{ inventory_hostname }} has only {{ ansible_memtotal_mb }} MB of memory"
  when: ansible_memtotal_mb < 2048`,
}

func (failModule) Spec() *Spec { return failSpec }

func (failModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	r := &Result{Failed: true}
	setAnyMsg(r, args["msg"], "Failed as requested from task")
	return r, nil
}

// setAnyMsg sets the result's message to v, which may be any value (a list
// of lines, say): strings go to Msg, anything else to Data["msg"].
func setAnyMsg(r *Result, v any, def string) {
	switch s := v.(type) {
	case nil:
		r.Msg = def
	case string:
		r.Msg = s
		if s == "" {
			r.Msg = def
		}
	default:
		if r.Data == nil {
			r.Data = map[string]any{}
		}
		r.Data["msg"] = v
	}
}
