// Package report turns the engine's events into what the operator sees:
// Ansible-shaped text on a terminal or in a pipe, or one JSON object per line.
package report

import (
	"time"

	"github.com/runbook-dev/runbook/module"
)

// Event types.
const (
	EventPlaybookStart = "playbook_start"
	EventPlayStart     = "play_start"
	EventTaskStart     = "task_start"
	EventHostResult    = "host_result"
	EventRetry         = "retry"
	EventInclude       = "include"
	EventWarning       = "warning"
	EventNoHosts       = "no_hosts"
	EventRecap         = "recap"
	// EventDebug is connection tracing, emitted at -vvv.
	EventDebug = "debug"
	// EventProgress is the advance of a task that runs long on a host:
	// bytes of a transfer, or only the time it has been running.
	EventProgress = "progress"
	// EventTiming is the summary of the slowest tasks and hosts (--timing),
	// emitted after the recap.
	EventTiming = "timing"
)

// Host result statuses.
const (
	StatusOK          = "ok"
	StatusChanged     = "changed"
	StatusSkipped     = "skipped"
	StatusFailed      = "failed"
	StatusUnreachable = "unreachable"
)

// Event is one thing that happened during a run. Fields not relevant to the
// type are left empty.
type Event struct {
	Type     string    `json:"event"`
	Time     time.Time `json:"time"`
	Playbook string    `json:"playbook,omitempty"`
	Play     string    `json:"play,omitempty"`
	Pattern  string    `json:"pattern,omitempty"`
	Task     string    `json:"task,omitempty"`
	TaskPath string    `json:"task_path,omitempty"`
	Handler  bool      `json:"handler,omitempty"`
	Check    bool      `json:"check_mode,omitempty"`
	Host     string    `json:"host,omitempty"`
	Delegate string    `json:"delegate_to,omitempty"`
	Status   string    `json:"status,omitempty"`
	Item     string    `json:"item,omitempty"`
	// IsItem marks the result of one loop item (the task's own line follows).
	IsItem bool `json:"is_item,omitempty"`
	// Loop marks a looped task's overall result; its items were already
	// reported one by one.
	Loop        bool           `json:"loop,omitempty"`
	Ignored     bool           `json:"ignored,omitempty"`
	Msg         string         `json:"msg,omitempty"`
	Result      map[string]any `json:"result,omitempty"`
	Diff        []module.Diff  `json:"diff,omitempty"`
	RetriesLeft int            `json:"retries_left,omitempty"`
	Hosts       []string       `json:"hosts,omitempty"`
	File        string         `json:"file,omitempty"`
	Stats       []HostStats    `json:"stats,omitempty"`
	Interrupted bool           `json:"interrupted,omitempty"`
	// Verbosity, for debug results, is the -v level needed to show it.
	Verbosity int    `json:"-"`
	Module    string `json:"module,omitempty"`
	// Duration, in a host result, is how long the task took on the host, in
	// seconds (monotonic clock, all loop items and retries together).
	Duration float64   `json:"duration,omitempty"`
	Progress *Progress `json:"progress,omitempty"`
	Timing   *Timing   `json:"timing,omitempty"`
}

// HostStats are one host's counters for the PLAY RECAP. OK includes changed
// tasks, as in Ansible.
type HostStats struct {
	Host        string `json:"host"`
	OK          int    `json:"ok"`
	Changed     int    `json:"changed"`
	Unreachable int    `json:"unreachable"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	Rescued     int    `json:"rescued"`
	Ignored     int    `json:"ignored"`
	// IgnoredUnreachable counts the unreachable results of tasks with
	// ignore_unreachable (included in Unreachable and Ignored); they do not
	// make the exit code 4.
	IgnoredUnreachable int `json:"ignored_unreachable,omitempty"`
}

// Reporter receives every event of a run. Emit is called from many
// goroutines; implementations serialise their output.
type Reporter interface {
	Emit(e Event)
}
