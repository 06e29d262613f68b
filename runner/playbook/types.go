// Package playbook parses and validates playbooks. Every error names the
// file, line and column of the offending key; a playbook that does not
// validate is rejected as a whole, before anything runs.
package playbook

import (
	"fmt"
	"path/filepath"

	"github.com/runbook-dev/runbook/internal/exitcode"
)

// Pos is a position in a source file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return fmt.Sprintf("line %d", p.Line)
	case p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Dir is the directory of the file, used to resolve relative paths.
func (p Pos) Dir() string { return filepath.Dir(p.File) }

// Error is a parse or validation error at a position.
type Error struct {
	Pos Pos
	Msg string
	Err error // cause, if any
	// unavailable: the error is a module runbook does not have (an
	// ansible.builtin one it lacks, or a collection's), not a mistake.
	unavailable bool
}

// ExitCode is exitcode.Invalid: the playbook (or a file it names) is wrong.
func (e *Error) ExitCode() int { return exitcode.Invalid }

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Pos, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Playbook is a parsed playbook with its imports inlined.
type Playbook struct {
	Path  string
	Plays []*Play
}

// VarsFile is a vars_files entry: a path, or a list of alternatives where
// the first that exists is used.
type VarsFile struct {
	Pos   Pos
	Paths []string
}

// Play is one play.
type Play struct {
	Pos               Pos
	Name              string
	Hosts             string // host pattern; a YAML list is joined with ","
	Vars              map[string]any
	VarsFiles         []VarsFile
	PreTasks          []*Task
	Tasks             []*Task
	PostTasks         []*Task
	Handlers          []*Task
	Serial            []any // ints and "N%" strings; empty means the whole play at once
	AnyErrorsFatal    bool
	MaxFailPercentage *float64
	Become            *bool
	BecomeUser        string
	// RemoteUser is the SSH login user when the host's variables set no
	// ansible_user (Ansible: connection variables beat keywords).
	RemoteUser        string
	GatherFacts       *bool
	CheckMode         *bool
	Diff              *bool
	Tags              []string
	Environment       map[string]any
	EnvironmentExpr   string // environment: "{{ expr }}", rendered per host to a mapping
	IgnoreUnreachable bool
	ForceHandlers     bool
	NoLog             bool
	// RequiredVars are variables the play cannot run without (a runbook
	// extension): each must be set, non-empty, before anything runs.
	RequiredVars []RequiredVar
	// Roles are the roles the play uses statically (roles:, their
	// dependencies, import_role), in order: their defaults and vars are
	// visible to the whole play.
	Roles []*Role
	// ImportWhen are the when: conditions of the import_playbook entries
	// that brought the play in: every task has them already; fact
	// gathering is skipped on hosts where they do not hold, as in Ansible.
	ImportWhen []string
	// VarsPrompt are variables asked for when the play starts (varsprompt.go).
	VarsPrompt []VarsPrompt
}

// RequiredVar is one entry of a play's required_vars.
type RequiredVar struct {
	Pos  Pos
	Name string
	Help string // what to give, for the error message
}

// LoopControl is a task's loop_control.
type LoopControl struct {
	LoopVar  string
	IndexVar string
	Label    string
	// Extended sets ansible_loop's full set of fields (revindex, previtem,
	// nextitem, allitems, …); ExtendedAllItems false leaves allitems out.
	Extended         bool
	ExtendedAllItems *bool
}

// Task is a task, a handler, or a block (Block non-nil). Imported task files
// are inlined as blocks (Import set), so their tags and conditions are
// inherited by each task the way Ansible's static imports are.
type Task struct {
	Pos  Pos
	Name string

	// Module call (one of Module, Block, IncludeTasks, Meta is set).
	Module  string
	Args    map[string]any
	ArgsPos Pos
	Meta    string

	Block  []*Task
	Rescue []*Task
	Always []*Task
	// Import is the file a static import_tasks inlined into Block.
	Import string
	// IncludeTasks is the (possibly templated) file of a dynamic include.
	IncludeTasks string
	// IncludeApply is an include_tasks/include_role apply: a block with
	// no tasks whose keywords (tags, become, when, …) the included tasks
	// run under.
	IncludeApply *Task

	When              []string
	Loop              any // list, or a string that renders to one
	HasLoop           bool
	FlattenLoop       bool   // with_items flattens one level
	LoopKind          string // the keyword: loop, with_items, with_dict, with_sequence, …
	LoopControl       LoopControl
	Register          string
	Notify            []string
	Listen            []string
	Tags              []string
	IgnoreErrors      *bool
	IgnoreUnreachable *bool
	FailedWhen        []string
	ChangedWhen       []string
	Until             []string
	Retries           *int
	Delay             *float64
	RunOnce           bool
	DelegateTo        string
	CheckMode         *bool
	Diff              *bool
	NoLog             *bool
	Environment       map[string]any
	EnvironmentExpr   string // environment: "{{ expr }}", rendered per host to a mapping
	Become            *bool
	BecomeUser        string
	RemoteUser        string // the login user, as on a play
	AnyErrorsFatal    *bool  // unset: the enclosing block's, else the play's
	Vars              map[string]any

	// Role is set on the block holding a role's tasks, and on a role's
	// handlers: they see the role's variables and files.
	Role *Role
	// IncludeRole is a dynamic include_role.
	IncludeRole *RoleInclude
	// RoleName is the role a task belongs to: shown "role : task", as
	// Ansible does.
	RoleName string
	// Ansible keywords kept for compatibility (taskextra.go).
	DelegateFacts bool // facts the task sets go to the delegate
	Throttle      int  // at most this many hosts at once; 0: forks
	Async         int  // seconds the task may run; 0: no limit
	Poll          *int
}

// IsBlock reports whether the task is a block (or an inlined import).
func (t *Task) IsBlock() bool { return t.Block != nil }

// DisplayName is the name shown in TASK banners: the name, or the module,
// after "ROLE : " for a role's task.
func (t *Task) DisplayName() string {
	if t.RoleName != "" {
		return t.RoleName + " : " + t.ownName()
	}
	return t.ownName()
}

func (t *Task) ownName() string {
	switch {
	case t.Name != "":
		return t.Name
	case t.Module != "":
		return t.Module
	case t.Meta != "":
		return "meta"
	case t.IncludeTasks != "":
		return "include_tasks"
	case t.IncludeRole != nil:
		return "include_role"
	}
	return "block"
}

// Block0File is the file the block's tasks were read from (an import's file).
func (t *Task) Block0File() string {
	if len(t.Block) > 0 {
		return t.Block[0].Pos.File
	}
	return t.Pos.File
}

// HandlerNames are the names a handler answers to: its name, and for a
// role's handler also "ROLE : NAME", as Ansible lets a notify spell it.
func (t *Task) HandlerNames() []string {
	if t.Name == "" {
		return nil
	}
	if t.RoleName != "" {
		return []string{t.Name, t.RoleName + " : " + t.Name}
	}
	return []string{t.Name}
}
