package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// TimingTop is how many tasks and hosts the timing summary lists.
const TimingTop = 10

// Timing is the summary of a run's slowest tasks and hosts, carried by
// EventTiming (runbook play --timing). Times are seconds.
type Timing struct {
	Tasks []TaskTiming `json:"tasks"`
	Hosts []HostTiming `json:"hosts"`
}

// TaskTiming is one task's time: Total is the wall-clock time from its
// start to its last host's result (added up over every time it ran:
// serial batches, plays, handlers), Max the longest it took on one host.
type TaskTiming struct {
	Task     string  `json:"task"`
	TaskPath string  `json:"task_path,omitempty"`
	Total    float64 `json:"total"`
	Max      float64 `json:"max"`
	MaxHost  string  `json:"max_host,omitempty"`
}

// HostTiming is the time a host spent running tasks.
type HostTiming struct {
	Host  string  `json:"host"`
	Total float64 `json:"total"`
}

// Timer is a Reporter that passes every event on and measures the run from
// them: the tasks' start events and the hosts' results, whose durations the
// engine measures with the monotonic clock. After the recap it emits an
// EventTiming with the slowest tasks and hosts, like Ansible's
// profile_tasks.
type Timer struct {
	next  Reporter
	mu    sync.Mutex
	cur   *timedRun
	tasks map[string]*TaskTiming // by task path
	hosts map[string]float64
}

// timedRun is one run of a task (from its start event).
type timedRun struct {
	key         string
	start, last time.Time
}

// NewTimer returns a Timer that reports to next.
func NewTimer(next Reporter) *Timer {
	return &Timer{next: next, tasks: map[string]*TaskTiming{}, hosts: map[string]float64{}}
}

// Emit records e and passes it on; after a recap it emits the timing.
func (t *Timer) Emit(e Event) {
	var summary *Timing
	t.mu.Lock()
	switch e.Type {
	case EventTaskStart:
		t.finishRun()
		key := timingKey(e)
		if t.tasks[key] == nil {
			t.tasks[key] = &TaskTiming{Task: e.Task, TaskPath: e.TaskPath}
		}
		t.cur = &timedRun{key: key, start: e.Time}
	case EventHostResult:
		if !e.IsItem {
			t.result(e)
		}
	case EventRecap:
		t.finishRun()
		summary = t.summary()
	}
	t.mu.Unlock()
	t.next.Emit(e)
	if summary != nil {
		t.next.Emit(Event{Type: EventTiming, Time: time.Now(), Timing: summary})
	}
}

func timingKey(e Event) string {
	if e.TaskPath != "" {
		return e.TaskPath
	}
	return "\x00" + e.Task
}

// result accounts for one host's result of a task (t.mu held).
func (t *Timer) result(e Event) {
	t.hosts[e.Host] += e.Duration
	key := timingKey(e)
	tt := t.tasks[key]
	if tt == nil {
		tt = &TaskTiming{Task: e.Task, TaskPath: e.TaskPath}
		t.tasks[key] = tt
	}
	if e.Duration > tt.Max || tt.MaxHost == "" {
		tt.Max, tt.MaxHost = max(tt.Max, e.Duration), e.Host
	}
	if t.cur != nil && t.cur.key == key && !e.Time.IsZero() {
		if e.Time.After(t.cur.last) {
			t.cur.last = e.Time
		}
		return
	}
	tt.Total += e.Duration // a result outside the task's run: no wall clock
}

// finishRun adds the running task's wall-clock time to its total.
func (t *Timer) finishRun() {
	if r := t.cur; r != nil && !r.last.IsZero() && !r.start.IsZero() {
		t.tasks[r.key].Total += max(0, r.last.Sub(r.start).Seconds())
	}
	t.cur = nil
}

// summary lists the TimingTop slowest tasks and hosts (t.mu held).
func (t *Timer) summary() *Timing {
	s := &Timing{Tasks: []TaskTiming{}, Hosts: []HostTiming{}}
	for _, tt := range t.tasks {
		s.Tasks = append(s.Tasks, *tt)
	}
	sort.Slice(s.Tasks, func(i, j int) bool {
		a, b := s.Tasks[i], s.Tasks[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		if a.Max != b.Max {
			return a.Max > b.Max
		}
		return a.TaskPath+a.Task < b.TaskPath+b.Task
	})
	for h, total := range t.hosts {
		s.Hosts = append(s.Hosts, HostTiming{Host: h, Total: total})
	}
	sort.Slice(s.Hosts, func(i, j int) bool {
		if s.Hosts[i].Total != s.Hosts[j].Total {
			return s.Hosts[i].Total > s.Hosts[j].Total
		}
		return s.Hosts[i].Host < s.Hosts[j].Host
	})
	s.Tasks = s.Tasks[:min(len(s.Tasks), TimingTop)]
	s.Hosts = s.Hosts[:min(len(s.Hosts), TimingTop)]
	for i := range s.Tasks {
		s.Tasks[i].Total, s.Tasks[i].Max = roundMicro(s.Tasks[i].Total), roundMicro(s.Tasks[i].Max)
	}
	for i := range s.Hosts {
		s.Hosts[i].Total = roundMicro(s.Hosts[i].Total)
	}
	return s
}

// timing renders the summary after the recap:
//
//	SLOWEST TASKS ****…
//	copy the registry (site.yaml:12) ------------ 41.20s (max 20.60s on m2)
//	SLOWEST HOSTS ****…
//	m2 ------------------------------------------------------------ 44.31s
func (t *Text) timing(e Event) string {
	if e.Timing == nil {
		return ""
	}
	cols := max(79, t.opt.Width-1) + 1
	line := func(left, right string) string {
		dashes := max(3, cols-len(left)-len(right)-2)
		return left + " " + strings.Repeat("-", dashes) + " " + right + "\n"
	}
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(t.banner("SLOWEST TASKS"), "\n")) // the recap ends with a blank line
	for _, tt := range e.Timing.Tasks {
		left := tt.Task
		if p := fileLine(tt.TaskPath); p != "" {
			left += " (" + p + ")"
		}
		right := fmtSeconds(tt.Total)
		if tt.MaxHost != "" {
			right += fmt.Sprintf(" (max %s on %s)", fmtSeconds(tt.Max), tt.MaxHost)
		}
		b.WriteString(line(left, right))
	}
	b.WriteString(t.banner("SLOWEST HOSTS"))
	for _, h := range e.Timing.Hosts {
		b.WriteString(line(h.Host, fmtSeconds(h.Total)))
	}
	b.WriteString("\n")
	return b.String()
}

// roundMicro rounds seconds to microseconds (sums gather float noise).
func roundMicro(s float64) float64 { return math.Round(s*1e6) / 1e6 }

// fileLine drops the column from a "file:line:column" position.
func fileLine(pos string) string {
	i := strings.LastIndexByte(pos, ':')
	j := strings.LastIndexByte(pos[:max(i, 0)], ':')
	if i < 0 || j < 0 || !allDigits(pos[i+1:]) || !allDigits(pos[j+1:i]) {
		return pos
	}
	return pos[:i]
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// fmtSeconds renders a time as profile_tasks does: "3.01s", "1m05.20s".
func fmtSeconds(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.2fs", s)
	}
	m := int(s / 60)
	return fmt.Sprintf("%dm%05.2fs", m, s-float64(m*60))
}
