// Package module is the contract between the engine and the modules: the
// Module interface, the Context a module runs with, the Result it returns,
// the Spec that declares its parameters, argument binding, and the registry
// built-in modules add themselves to (package modules holds those). It
// links no module implementation, so the playbook parser, the output
// formatter and the doc generator depend on it alone.
package module

import (
	"context"
	"sync"

	"github.com/runbook-dev/runbook/transport"
)

// Module is one built-in module.
type Module interface {
	// Spec declares the module's name, parameters and abilities.
	Spec() *Spec
	// Run executes the module against one host. Returning an error means the
	// module could not do its work; the engine turns it into a failed result
	// (or UNREACHABLE when the error is a transport.UnreachableError).
	// A module may instead return a Result with Failed set and a message.
	Run(ctx context.Context, mc *Context, args Args) (*Result, error)
}

// Context is what a module sees of the run and the host.
type Context struct {
	// Host is the inventory name of the host the task runs for.
	Host string
	// Conn reaches the host the task runs on (the delegate, if any).
	Conn transport.Transport
	// Check is true in check mode: the module must change nothing and report
	// what it would change.
	Check bool
	// Diff asks the module to fill Result.Diff when it changes something.
	Diff bool
	// Become, when non-nil, asks for privilege escalation on the host.
	Become *transport.Become
	// Env is the task's environment keyword, rendered.
	Env map[string]string
	// PlaybookDir is the directory of the playbook file that holds the task.
	PlaybookDir string
	// ProjectDir is the directory of the playbook that was run; relative
	// controller files not found next to the task's own file are looked
	// for there (and in its templates/ or files/).
	ProjectDir string
	// Vars are the variables visible to the task on this host (read only).
	Vars map[string]any
	// Eval evaluates a bare expression (as in when:) with the task's variables.
	Eval func(expr string) (any, error)
	// Render renders a Go text/template with the task's variables.
	Render func(name, text string) (string, error)
	// Log records a debug line shown at -vvv; it must never receive secrets.
	Log func(format string, args ...any)
	// Connect returns the run's connection to another inventory host (opened
	// on first use), for modules that must reach a host other than the one
	// the task runs for, such as a surviving master.
	Connect func(ctx context.Context, host string) (transport.Transport, error)
	// BecomeOn returns the privilege escalation another inventory host's
	// own variables ask for (ansible_become and its user and password), for
	// a module acting on a connection from Connect — a master whose
	// kubeconfig only root may read, reached by a non-root ssh.user. Nil
	// when that host asks for none. Nil-safe to call through BecomeFor.
	BecomeOn func(host string) *transport.Become
	// Reconnect drops the run's connections to the host the task runs on
	// (the delegate, if any) and dials it again: one attempt, bounded by
	// ctx. The new connection is the one later tasks use. Set for every
	// module that reaches a host; a module whose Spec says DialsItself gets
	// no Conn and must call it (wait_for_connection, whose host may not
	// answer yet).
	Reconnect func(ctx context.Context) (transport.Transport, error)
	// Predicted remembers, per host and run, the paths that earlier tasks
	// would have written in check mode, so a later task can predict instead
	// of failing (a unit file a copy would install). Nil-safe.
	Predicted *Predictions
	// Progress, when set, receives the advance of long work: total and done
	// bytes (total 0 when unknown) and a short label that must never hold a
	// secret. Modules call ReportProgress instead, which needs no nil check;
	// they space their calls (a few per second at most is plenty) and make
	// one last call when done.
	Progress func(total, done int64, label string)
}

// ReportProgress passes the advance of long work to mc.Progress, if any.
// It is safe on a nil Context or with no Progress set.
func (mc *Context) ReportProgress(total, done int64, label string) {
	if mc == nil || mc.Progress == nil {
		return
	}
	mc.Progress(total, done, label)
}

// Predictions is a concurrency-safe set of paths a check-mode run predicted
// it would write on one host.
type Predictions struct {
	mu    sync.Mutex
	paths map[string]bool
}

// Add records that path would be written.
func (p *Predictions) Add(path string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paths == nil {
		p.paths = map[string]bool{}
	}
	p.paths[path] = true
}

// Has reports whether path would have been written by an earlier task.
func (p *Predictions) Has(path string) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[path]
}

// Diff is one before/after pair shown by --diff.
type Diff struct {
	BeforeHeader string `json:"before_header,omitempty"`
	AfterHeader  string `json:"after_header,omitempty"`
	Before       string `json:"before"`
	After        string `json:"after"`
}

// Result is the one shape every module returns.
type Result struct {
	Changed bool
	Failed  bool
	Skipped bool
	Msg     string
	// RC, Stdout and Stderr are set by modules that run commands.
	RC     *int
	Stdout string
	Stderr string
	Diff   []Diff
	// Data holds module-specific return values (merged into the registered
	// variable next to the common keys).
	Data map[string]any
	// Facts are host variables to set (set_fact and fact-gathering modules).
	Facts map[string]any
	// Secrets are values the result carries that must never be shown (a
	// Secret's data read into a registered variable): the engine masks them
	// in all output from now on.
	Secrets []string
}

// IntPtr is a helper for Result.RC.
func IntPtr(i int) *int { return &i }

// Map returns the result as a registered variable: the common keys
// (changed, failed, skipped, msg, rc, stdout, stdout_lines, …) plus Data.
func (r *Result) Map() map[string]any {
	m := make(map[string]any, 8+len(r.Data))
	for k, v := range r.Data {
		m[k] = v
	}
	m["changed"] = r.Changed
	m["failed"] = r.Failed
	if r.Skipped {
		m["skipped"] = true
	}
	if r.Msg != "" {
		m["msg"] = r.Msg
	}
	if r.RC != nil {
		m["rc"] = *r.RC
		m["stdout"] = r.Stdout
		m["stderr"] = r.Stderr
		m["stdout_lines"] = splitLines(r.Stdout)
		m["stderr_lines"] = splitLines(r.Stderr)
	}
	if len(r.Diff) > 0 {
		d := make([]any, len(r.Diff))
		for i, x := range r.Diff {
			d[i] = map[string]any{"before": x.Before, "after": x.After, "before_header": x.BeforeHeader, "after_header": x.AfterHeader}
		}
		m["diff"] = d
	}
	if len(r.Facts) > 0 {
		m["ansible_facts"] = r.Facts
	}
	return m
}

func splitLines(s string) []any {
	out := []any{}
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, trimCR(s[start:i]))
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, trimCR(s[start:]))
	}
	return out
}

func trimCR(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}

// BecomeFor is the become to use on host reached through Connect: the
// host's own (BecomeOn), else the task's own when it asked for one.
func (mc *Context) BecomeFor(host string) *transport.Become {
	if mc.BecomeOn != nil {
		if b := mc.BecomeOn(host); b != nil {
			return b
		}
	}
	return mc.Become
}
