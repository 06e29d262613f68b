// Package runner executes parsed playbooks against an inventory with
// Ansible's linear strategy: every host finishes a task before any host
// starts the next one, with at most Forks hosts working at once.
package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/internal/exitcode"
	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules" // the built-in modules the engine runs
	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
	"github.com/runbook-dev/runbook/transport"
)

// Exit codes, as documented in the README (defined in internal/exitcode).
const (
	ExitOK          = exitcode.OK
	ExitError       = exitcode.Error
	ExitHostFailed  = exitcode.HostFailed
	ExitInvalid     = exitcode.Invalid
	ExitUnreachable = exitcode.Unreachable
	ExitUsage       = exitcode.Usage
	ExitInterrupted = exitcode.Interrupted
)

// Options controls a run.
type Options struct {
	Inventory *inventory.Inventory
	// ExtraVars are -e variables: the highest precedence.
	ExtraVars   map[string]any
	Check       bool
	Diff        bool
	Limit       string
	Tags        []string
	SkipTags    []string
	Forks       int
	StartAtTask string
	Verbosity   int
	// ForceHandlers runs notified handlers even on hosts that failed.
	ForceHandlers bool
	Reporter      report.Reporter
	// Redactor receives every secret value the run learns of.
	Redactor *report.Redactor
	// Connector opens connections; nil uses DefaultConnector.
	Connector Connector
	// Stop, when closed, asks the run to start no new task (Ctrl-C). Tasks
	// already running finish; ctx cancellation aborts them.
	Stop <-chan struct{}
	// ProgressInterval is how often a task that runs long on a host
	// reports its elapsed time (progress events), the first time after
	// twice this; 0 means 1s. Modules' byte progress is reported as it
	// comes, a few times a second at most.
	ProgressInterval time.Duration
	// Become and BecomeUser are ansible.cfg's [privilege_escalation]
	// become and become_user (or -b, --become-user): the defaults below
	// every play, block, task and ansible_become/ansible_become_user
	// variable.
	Become     *bool
	BecomeUser string
	// Connection is -c: the connection of hosts whose variables set no
	// ansible_connection ("local" or "ssh"; "" is ssh, and local for the
	// local host). The Connector is expected to apply the same default.
	Connection string
}

// Outcome summarises a run.
type Outcome struct {
	Stats       []report.HostStats
	Interrupted bool
	// forgiven: hosts whose failures meta: clear_host_errors cleared (and
	// that did not fail again); they do not set the exit code.
	forgiven map[string]bool
}

// ExitCode maps the outcome to the process exit code: unreachable hosts win
// over failed ones, as in Ansible. A host found unreachable by a task with
// ignore_unreachable is counted in the recap but does not make the exit
// code 4: the playbook said it expected that (a dead master0).
func (o *Outcome) ExitCode() int {
	unreachable, failed := false, false
	for _, s := range o.Stats {
		if o.forgiven[s.Host] {
			continue
		}
		unreachable = unreachable || s.Unreachable > s.IgnoredUnreachable
		failed = failed || s.Failed > 0
	}
	switch {
	case o.Interrupted:
		return ExitInterrupted
	case unreachable:
		return ExitUnreachable
	case failed:
		return ExitHostFailed
	}
	return ExitOK
}

// engine is the state of one run.
type engine struct {
	opt Options
	// varsFileCache holds the vars_files read so far.
	varsFileCache varsFileCache
	pb            *playbook.Playbook
	inv           *inventory.Inventory
	report        report.Reporter
	conns         *connPool
	groups        map[string][]any
	invMu         sync.RWMutex
	invVars       map[string]map[string]any // per host, computed once
	dirs          *VarsDirs                 // group_vars/ and host_vars/
	// invChanges: group_by/add_host results of the running task (dyninv.go).
	invChanges []inventoryChange
	jobs       jobTable // background tasks (asyncjobs.go)

	mu    sync.Mutex
	hosts map[string]*hostState
	// playbookOver: every host of a play's batch failed; no later play runs.
	playbookOver bool
	order        []string // hosts in first-seen order, for the recap

	started     bool // --start-at-task matched
	interrupted bool
}

// hostState is what a host carries across tasks and plays.
type hostState struct {
	name       string
	facts      map[string]any
	registered map[string]any // registered results and set_fact
	// included holds include_vars' variables: above task vars, below
	// set_fact and registered results whichever ran last (Ansible's
	// precedence 18 and 19).
	included map[string]any
	stats    report.HostStats
	// played: the host was in a play's hosts. Only those are in the recap,
	// not hosts known only as a delegate or through hostvars.
	played bool

	// Per play:
	failed      bool // a task failed and was not rescued: the host leaves the play
	unreachable bool
	// lost: unreachable in a task with ignore_unreachable. The host stays
	// in the play, as in Ansible, but later plays leave it out instead of
	// waiting for it again at every task.
	lost     bool
	ended    bool            // meta: end_host
	notified map[string]bool // handler names and listen topics
	// predicted are the paths check-mode tasks would have written.
	predicted module.Predictions
	// cleared: meta: clear_host_errors forgave the host's failure (see
	// clearHostErrors); a later failure takes it back.
	cleared bool
	// varsFilesErr is why the host's templated vars_files could not be
	// read for the task being prepared; the task fails with it.
	varsFilesErr error
}

func (h *hostState) active() bool { return !h.failed && !h.unreachable && !h.ended }

// Run executes every play of pb.
func Run(ctx context.Context, pb *playbook.Playbook, opt Options) (*Outcome, error) {
	if opt.Forks <= 0 {
		opt.Forks = 5
	}
	if opt.Inventory == nil {
		inv, err := inventory.Load(nil)
		if err != nil {
			return nil, fmt.Errorf("empty inventory: %w", err)
		}
		opt.Inventory = inv
	}
	if opt.Reporter == nil {
		opt.Reporter = nopReporter{}
	}
	if opt.Redactor == nil {
		opt.Redactor = &report.Redactor{}
	}
	if opt.Connector == nil {
		opt.Connector = DefaultConnector{}
	}
	e := &engine{
		opt:     opt,
		pb:      pb,
		inv:     opt.Inventory,
		report:  opt.Reporter,
		conns:   newConnPool(opt.Connector, nil),
		hosts:   map[string]*hostState{},
		invVars: map[string]map[string]any{},
		started: opt.StartAtTask == "",
	}
	if opt.Verbosity >= 3 {
		e.conns.trace = func(host, format string, args ...any) {
			e.emit(report.Event{Type: report.EventDebug, Host: host, Msg: fmt.Sprintf(format, args...)})
		}
	}
	defer e.conns.closeAll()
	defer e.jobs.stop() // before the connections close
	// The passwords lookups generate are secrets of this run.
	defer eval.OnSecret(opt.Redactor.Add)()
	e.refreshGroups()
	opt.Redactor.Add(collectSecrets(opt.ExtraVars, nil)...)
	if err := e.loadVarsDirs(); err != nil {
		return nil, err
	}
	if err := checkRequiredVars(pb, e.dirs.GroupAllVars(), opt.ExtraVars); err != nil {
		return nil, err
	}
	if err := checkVarsPrompt(pb, opt.ExtraVars, stdinIsTerminal()); err != nil {
		return nil, err
	}
	e.emit(report.Event{Type: report.EventPlaybookStart, Playbook: pb.Path})
	for _, play := range pb.Plays {
		if e.stopRequested() || e.playbookOver {
			break
		}
		if err := e.runPlay(ctx, play); err != nil {
			return e.outcome(), err
		}
	}
	out := e.outcome()
	e.emit(report.Event{Type: report.EventRecap, Stats: out.Stats, Interrupted: out.Interrupted})
	if !e.started {
		e.emit(report.Event{Type: report.EventWarning, Msg: fmt.Sprintf("--start-at-task %q matched no task: nothing ran", opt.StartAtTask)})
	}
	return out, nil
}

func (e *engine) outcome() *Outcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := &Outcome{Interrupted: e.interrupted, forgiven: map[string]bool{}}
	for _, name := range e.order {
		if h := e.hosts[name]; h.played {
			o.Stats = append(o.Stats, h.stats)
			if h.cleared {
				o.forgiven[name] = true
			}
		}
	}
	return o
}

func (e *engine) emit(ev report.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	e.report.Emit(ev)
}

func (e *engine) warn(format string, args ...any) {
	e.emit(report.Event{Type: report.EventWarning, Msg: fmt.Sprintf(format, args...)})
}

// stopRequested reports (and remembers) an interrupt.
func (e *engine) stopRequested() bool {
	if e.opt.Stop == nil {
		return false
	}
	select {
	case <-e.opt.Stop:
		e.mu.Lock()
		e.interrupted = true
		e.mu.Unlock()
		return true
	default:
		return false
	}
}

// host returns the state of a host, creating it on first use.
func (e *engine) host(name string) *hostState {
	e.mu.Lock()
	defer e.mu.Unlock()
	h, ok := e.hosts[name]
	if !ok {
		// ansible_facts is an empty mapping until facts are gathered, as in Ansible.
		h = &hostState{name: name, facts: map[string]any{"ansible_facts": map[string]any{}}, registered: map[string]any{}, included: map[string]any{}, stats: report.HostStats{Host: name}}
		e.hosts[name] = h
		e.order = append(e.order, name)
	}
	return h
}

// inventoryVars returns a host's inventory variables (computed once), and
// registers its secrets with the redactor.
func (e *engine) inventoryVars(name string) map[string]any {
	e.invMu.RLock()
	v, ok := e.invVars[name]
	e.invMu.RUnlock()
	if ok {
		return v
	}
	e.invMu.Lock()
	defer e.invMu.Unlock()
	if v, ok := e.invVars[name]; ok {
		return v
	}
	v = e.dirs.HostVars(name)
	if v == nil {
		v = map[string]any{}
	}
	e.invVars[name] = v
	e.opt.Redactor.Add(collectSecrets(v, nil)...)
	return v
}

func (e *engine) playbookDir() string {
	abs, err := filepath.Abs(e.pb.Path)
	if err != nil {
		return filepath.Dir(e.pb.Path)
	}
	return filepath.Dir(abs)
}

type nopReporter struct{}

func (nopReporter) Emit(report.Event) {}

// unreachable reports whether err means the host could not be reached.
func unreachable(err error) bool { return transport.IsUnreachable(err) }
