package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// TextOptions configures the text reporter.
type TextOptions struct {
	Out       io.Writer // results
	Err       io.Writer // warnings
	Verbosity int
	Color     bool
	// Width is the terminal width; banners are max(79, Width-1) wide, as in
	// Ansible, so the default (no terminal) gives 80-character lines.
	Width    int
	Redactor *Redactor
	// Terminal draws the progress of long tasks as bars (Out must be a
	// terminal, or something that interprets its cursor movements). Else
	// progress is printed as plain lines, at most one per host and task
	// every ProgressInterval (DefaultProgressInterval when 0).
	Terminal         bool
	ProgressInterval time.Duration
}

// Text writes Ansible-shaped output: banners, per-host lines and the recap
// whose format tools grep (changed=[1-9]).
type Text struct {
	mu  sync.Mutex
	opt TextOptions
	// lastTask remembers the banner printed, so results of a task that
	// arrive late still read in context.
	sawPlay bool
	bars    *barSet // Terminal: Out writes through it
	gate    progressGate
}

// NewText returns a text reporter. Call Close when the run is over, so
// progress bars still shown (a run that ended in an error) are cleared.
func NewText(opt TextOptions) *Text {
	if opt.Err == nil {
		opt.Err = opt.Out
	}
	t := &Text{opt: opt, gate: progressGate{every: opt.ProgressInterval}}
	if opt.Terminal && opt.Out != nil {
		t.bars = newBarSet(opt.Out, opt.Width, opt.Redactor.Redact)
		t.opt.Out = t.bars
	}
	return t
}

// Close clears the progress bars still shown. The reporter may still be
// used after it.
func (t *Text) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bars != nil {
		t.bars.end()
	}
	return nil
}

// progress shows a progress event: bars on a terminal, else a plain line
// when one is due.
func (t *Text) progress(e Event) {
	switch {
	case t.bars != nil:
		t.bars.update(e)
	case t.gate.allow(e):
		t.write(t.opt.Out, ProgressLine(e)+"\n")
	}
}

// endBars removes bars left over when the next task starts or the run
// ends (results normally remove them one by one).
func (t *Text) endBars() {
	if t.bars != nil {
		t.bars.end()
	}
}

const (
	colorRed    = "\x1b[0;31m"
	colorGreen  = "\x1b[0;32m"
	colorYellow = "\x1b[0;33m"
	colorCyan   = "\x1b[0;36m"
	colorPurple = "\x1b[0;35m"
	colorReset  = "\x1b[0m"
)

func (t *Text) paint(color, s string) string {
	if !t.opt.Color || color == "" {
		return s
	}
	return color + s + colorReset
}

func (t *Text) banner(msg string) string {
	cols := max(79, t.opt.Width-1)
	return "\n" + msg + " " + strings.Repeat("*", max(0, cols-len(msg))) + "\n"
}

func (t *Text) write(w io.Writer, s string) {
	_, _ = io.WriteString(w, t.opt.Redactor.Redact(s)) // output errors (closed pipe) cannot be reported anywhere better
}

// Emit prints one event.
func (t *Text) Emit(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Type {
	case EventPlaybookStart:
		if t.opt.Verbosity > 0 {
			t.write(t.opt.Out, "playbook: "+e.Playbook+"\n")
		}
	case EventPlayStart:
		t.endBars()
		t.sawPlay = true
		name := e.Play
		if name == "" { // as Ansible: an unnamed play is called by its hosts pattern
			name = e.Pattern
		}
		if name == "" {
			t.write(t.opt.Out, t.banner("PLAY"))
		} else {
			t.write(t.opt.Out, t.banner("PLAY ["+name+"]"))
		}
	case EventTaskStart:
		t.endBars()
		kind := "TASK"
		if e.Handler {
			kind = "RUNNING HANDLER"
		}
		msg := kind + " [" + e.Task + "]"
		if e.Check {
			msg += " [CHECK MODE]"
		}
		s := t.banner(msg)
		if t.opt.Verbosity >= 2 && e.TaskPath != "" {
			s += "task path: " + e.TaskPath + "\n"
		}
		t.write(t.opt.Out, s)
	case EventHostResult:
		if t.bars != nil {
			t.bars.done(e)
		}
		t.gate.done(e)
		t.write(t.opt.Out, t.hostLine(e))
	case EventRetry:
		t.write(t.opt.Out, t.paint(colorRed, fmt.Sprintf("FAILED - RETRYING: [%s]: %s (%d retries left).", e.Host, e.Task, e.RetriesLeft))+"\n")
	case EventInclude:
		t.write(t.opt.Out, fmt.Sprintf("included: %s for %s\n", e.File, strings.Join(e.Hosts, ", ")))
	case EventWarning:
		t.write(t.opt.Err, t.paint(colorPurple, "[WARNING]: "+e.Msg)+"\n")
	case EventNoHosts:
		t.write(t.opt.Out, t.paint(colorCyan, "skipping: no hosts matched")+"\n")
	case EventRecap:
		t.endBars()
		t.write(t.opt.Out, t.recap(e))
	case EventProgress:
		t.progress(e)
	case EventTiming:
		t.write(t.opt.Out, t.timing(e))
	case EventDebug:
		t.write(t.opt.Out, "<"+e.Host+"> "+e.Msg+"\n")
	}
}

func hostLabel(e Event) string {
	if e.Delegate != "" && e.Delegate != e.Host {
		return e.Host + " -> " + e.Delegate
	}
	return e.Host
}

func (t *Text) hostLine(e Event) string {
	var b strings.Builder
	if e.Loop && !loopFailedBeforeItems(e) {
		// Ansible prints only the items of a loop, then ...ignoring if so.
		if e.Ignored {
			b.WriteString(t.paint(colorCyan, "...ignoring") + "\n")
		}
		return b.String()
	}
	if len(e.Diff) > 0 {
		for _, d := range e.Diff {
			b.WriteString(UnifiedDiff(d.BeforeHeader, d.AfterHeader, d.Before, d.After))
		}
	}
	label := hostLabel(e)
	item := ""
	if e.IsItem {
		item = " => (item=" + e.Item + ")"
	}
	verbose := t.opt.Verbosity > 0
	var line, color string
	switch e.Status {
	case StatusOK:
		line, color = "ok: ["+label+"]"+item, colorGreen
	case StatusChanged:
		line, color = "changed: ["+label+"]"+item, colorYellow
	case StatusSkipped:
		line, color = "skipping: ["+label+"]"+item, colorCyan
	case StatusFailed:
		color, verbose = colorRed, true
		if e.IsItem {
			line = "failed: [" + label + "] (item=" + e.Item + ")"
		} else {
			line = "fatal: [" + label + "]: FAILED!"
		}
	case StatusUnreachable:
		color, verbose = colorRed, true
		line = "fatal: [" + label + "]: UNREACHABLE!"
	}
	// debug output is the point of a debug task: show it at any verbosity,
	// for each loop item too (as Ansible does).
	if e.Module == "debug" && e.Status == StatusOK {
		line += " => " + PrettyJSON(debugPayload(e.Result))
	} else if verbose && e.Result != nil {
		line += " => " + CompactJSON(e.Result)
	}
	b.WriteString(t.paint(color, line) + "\n")
	if e.Ignored {
		b.WriteString(t.paint(colorCyan, "...ignoring") + "\n")
	}
	return b.String()
}

// loopFailedBeforeItems reports a loop that failed before any item ran (its
// loop: is not a list, or an expression in it failed): no item line says
// why, so the result is printed as a task's.
func loopFailedBeforeItems(e Event) bool {
	if e.Status != StatusFailed && e.Status != StatusUnreachable {
		return false
	}
	items, _ := e.Result["results"].([]any)
	return len(items) == 0
}

// debugPayload keeps what debug printed, without the common keys.
func debugPayload(r map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range r {
		switch k {
		case "changed", "failed", "skipped", "verbosity", "ansible_loop": // loop_control.extended's: Ansible does not print it either
			continue
		}
		out[k] = v
	}
	return out
}

func (t *Text) recap(e Event) string {
	var b strings.Builder
	b.WriteString(t.banner("PLAY RECAP"))
	stats := append([]HostStats{}, e.Stats...)
	sort.SliceStable(stats, func(i, j int) bool { return stats[i].Host < stats[j].Host })
	for _, s := range stats {
		host := fmt.Sprintf("%-26s", s.Host)
		switch {
		case s.Failed > 0 || s.Unreachable > 0:
			host = t.paint(colorRed, host)
		case s.Changed > 0:
			host = t.paint(colorYellow, host)
		default:
			host = t.paint(colorGreen, host)
		}
		counter := func(name string, n int, color string) string {
			s := fmt.Sprintf("%s=%-4d", name, n)
			if n == 0 {
				return s
			}
			return t.paint(color, s)
		}
		fmt.Fprintf(&b, "%s : %s %s %s %s %s %s %s\n", host,
			counter("ok", s.OK, colorGreen), counter("changed", s.Changed, colorYellow),
			counter("unreachable", s.Unreachable, colorRed), counter("failed", s.Failed, colorRed),
			counter("skipped", s.Skipped, colorCyan), counter("rescued", s.Rescued, colorGreen),
			counter("ignored", s.Ignored, colorCyan))
	}
	if e.Interrupted {
		b.WriteString(t.paint(colorRed, "\nInterrupted: no new tasks were started after the interrupt.") + "\n")
	}
	b.WriteString("\n")
	return b.String()
}
