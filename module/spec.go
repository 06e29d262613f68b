package module

import (
	"fmt"
	"sort"
	"strings"
)

// ParamType is the type a parameter's value must have after rendering.
type ParamType string

// Parameter types.
const (
	TypeString ParamType = "str"
	TypeBool   ParamType = "bool"
	TypeInt    ParamType = "int"
	TypeList   ParamType = "list" // a list; a plain string is accepted as a one-item list
	TypeMap    ParamType = "dict"
	TypeAny    ParamType = "raw"
	TypePath   ParamType = "path"
	TypeMode   ParamType = "mode" // file mode: "0644", "644", or "u=rw,g=r,o=r"
)

// CheckSupport says how a module behaves under --check.
type CheckSupport int

const (
	// CheckNone: the module cannot predict; the engine skips it in check mode.
	CheckNone CheckSupport = iota
	// CheckFull: the module predicts exactly and changes nothing.
	CheckFull
	// CheckPartial: the module predicts in some cases and says when it cannot.
	CheckPartial
)

// Param declares one parameter.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	Default  any
	Choices  []string
	Aliases  []string
	// NoLog marks a secret: its value is masked in output and diffs.
	NoLog bool
	Doc   string
}

// Return declares one module-specific return value, for documentation.
type Return struct {
	Name string
	Type ParamType
	Doc  string
}

// Spec declares a module.
type Spec struct {
	Name string
	// Short is a one-line description.
	Short string
	// Doc is the longer description.
	Doc    string
	Params []Param
	// FreeForm names the parameter that receives a plain string value
	// (`command: echo hi`). Key=value words in the string that name other
	// parameters are taken out of it (`command: touch /x creates=/x`).
	FreeForm string
	// Check says how the module behaves under --check.
	Check CheckSupport
	// Returns documents the module-specific return values.
	Returns []Return
	// Example is a YAML task showing typical use.
	Example string
	// AnyParams accepts keys that are not declared (set_fact); they pass
	// through Bind unchanged.
	AnyParams bool
	// RunsOnController marks modules that never touch the host (debug, set_fact, assert, fail).
	RunsOnController bool
	// DialsItself marks a module that opens the host's connection itself
	// with Context.Reconnect: the engine dials nothing before Run, so a
	// host that does not answer yet is the module's to wait for
	// (wait_for_connection) instead of an UNREACHABLE task.
	DialsItself bool
	// Prints marks a module whose result is its output (debug): a task
	// whose "verbosity" argument is above the run's -v level is skipped.
	Prints bool
	// SetsFacts marks a module whose Result.Facts become host variables
	// above the play's vars (set_fact); a run_once task sets them on every
	// host of the batch.
	SetsFacts bool
	// GathersFacts marks a module whose Result.Facts are facts about the
	// host (setup): they are also kept under ansible_facts, without their
	// ansible_ prefix.
	GathersFacts bool
	// ChangesInventory marks a module whose result adds groups or hosts to
	// the run's inventory (add_group / add_host keys: group_by, add_host);
	// the engine applies them after the task.
	ChangesInventory bool
	// Validate, when set, checks combinations of parameters beyond their types.
	Validate func(a Args) error
}

// Param returns the declaration of name (or one of its aliases).
func (s *Spec) Param(name string) (*Param, bool) {
	for i := range s.Params {
		p := &s.Params[i]
		if p.Name == name {
			return p, true
		}
		for _, a := range p.Aliases {
			if a == name {
				return p, true
			}
		}
	}
	return nil, false
}

// ParamNames lists the parameter names (not aliases), sorted.
func (s *Spec) ParamNames() []string {
	n := make([]string, 0, len(s.Params))
	for _, p := range s.Params {
		n = append(n, p.Name)
	}
	sort.Strings(n)
	return n
}

// ArgError is a problem with one argument of a task, found before anything
// runs or after rendering.
type ArgError struct {
	Module string
	Param  string
	Msg    string
	Err    error // the cause; its text is the message when Msg is empty
}

func (e *ArgError) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Param == "" {
		return fmt.Sprintf("module %s: %s", e.Module, msg)
	}
	return fmt.Sprintf("module %s: parameter %q: %s", e.Module, e.Param, msg)
}

func (e *ArgError) Unwrap() error { return e.Err }

// IsTemplated reports whether a raw value still holds an unrendered {{ }}
// expression, so its type can only be checked after rendering.
func IsTemplated(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "{{")
}
