package report

import (
	"fmt"
	"math"
	"time"
)

// Progress is the advance of one task on one host, carried by
// EventProgress. Sizes are bytes, times seconds.
type Progress struct {
	// Label names the work in a module's own short words
	// ("registry_sync"); empty when only the elapsed time is known.
	Label string `json:"label,omitempty"`
	// Done and Total count bytes; Total is 0 when unknown.
	Done  int64 `json:"done,omitempty"`
	Total int64 `json:"total,omitempty"`
	// Rate is bytes per second over the last few seconds, ETA the seconds
	// left at that rate; both 0 when unknown.
	Rate float64 `json:"rate,omitempty"`
	ETA  float64 `json:"eta,omitempty"`
	// Elapsed is how long the task has been running on the host.
	Elapsed float64 `json:"elapsed"`
}

// DefaultProgressInterval is how often, at most, plain-text and JSON
// output report the progress of one task on one host; a task shorter than
// this reports none.
const DefaultProgressInterval = 10 * time.Second

// HumanBytes renders a size the way progress lines show it: "512 B",
// "9.5 KiB", "412 MiB", "1.0 GiB".
func HumanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n), ""
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v, unit = v/1024, u
		if v < 1024 {
			break
		}
	}
	if v < 9.95 {
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// HumanSeconds renders a duration in seconds as "3s", "1m05s" or "2h03m".
func HumanSeconds(s float64) string {
	n := int64(math.Round(s))
	switch {
	case n < 60:
		return fmt.Sprintf("%ds", max(n, 0))
	case n < 3600:
		return fmt.Sprintf("%dm%02ds", n/60, n%60)
	}
	return fmt.Sprintf("%dh%02dm", n/3600, n%3600/60)
}

// progressName is what a progress line or bar calls the work: the
// module's label, or the task's name when there is none.
func progressName(e Event) string {
	if e.Progress != nil && e.Progress.Label != "" {
		return e.Progress.Label
	}
	return e.Task
}

// progressFigures renders the numbers of a progress: "412 MiB / 1.0 GiB
// (41%), 180 MiB/s, ETA 3s", or "still running after 12s" when no bytes
// are known.
func progressFigures(p *Progress) string {
	if p.Total <= 0 && p.Done <= 0 {
		return "still running after " + HumanSeconds(p.Elapsed)
	}
	s := HumanBytes(p.Done)
	if p.Total > 0 {
		s += fmt.Sprintf(" / %s (%d%%)", HumanBytes(p.Total), min(100, p.Done*100/p.Total))
	}
	if p.Rate > 0 {
		s += ", " + HumanBytes(int64(p.Rate)) + "/s"
		switch {
		case p.Total > p.Done && p.ETA < 0.5:
			s += ", ETA <1s"
		case p.Total > p.Done:
			s += ", ETA " + HumanSeconds(p.ETA)
		}
	}
	return s
}

// ProgressLine renders a progress event as one plain line (no newline):
// "[host] registry_sync: 412 MiB / 1.0 GiB (41%), 180 MiB/s, ETA 3s".
func ProgressLine(e Event) string {
	if e.Progress == nil {
		return ""
	}
	return "[" + hostLabel(e) + "] " + progressName(e) + ": " + progressFigures(e.Progress)
}

// progressGate rate-limits progress output: at most one report per host
// and task every interval, and none before the task has run that long.
// It is not safe for concurrent use; reporters call it under their lock.
type progressGate struct {
	every time.Duration
	last  map[string]time.Time
}

func progressKey(e Event) string { return e.Host + "\x00" + e.Task }

// allow reports whether the progress event e is to be shown.
func (g *progressGate) allow(e Event) bool {
	every := g.every
	if every <= 0 {
		every = DefaultProgressInterval
	}
	if e.Progress == nil || e.Progress.Elapsed < every.Seconds() {
		return false
	}
	now := e.Time
	if now.IsZero() {
		now = time.Now()
	}
	k := progressKey(e)
	if last, ok := g.last[k]; ok && now.Sub(last) < every {
		return false
	}
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	g.last[k] = now
	return true
}

// done forgets a host's task once its result is in.
func (g *progressGate) done(e Event) {
	if e.Type == EventHostResult && !e.IsItem {
		delete(g.last, progressKey(e))
	}
}
