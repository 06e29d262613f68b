package report

import (
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// barAfter: a task shows a bar once it has run this long on a host, so
// quick transfers do not flash one.
const barAfter = time.Second

// barSet draws the progress of running tasks on a terminal, one bar per
// host (github.com/vbauerster/mpb): bytes done and total, rate and ETA for
// a transfer, the elapsed time for anything else. While a bar is shown,
// the reporter's lines go through the container, which prints them above
// the bars; a bar is removed when its host's result arrives, and the
// container ends when no bar is left, so the lines read exactly as
// without bars. It is not safe for concurrent use: the Text reporter
// calls it under its lock.
type barSet struct {
	out    io.Writer // the terminal
	width  int
	redact func(string) string
	p      *mpb.Progress // nil while no bar is shown
	shown  map[string]*hostBar
}

// hostBar is the bar of one task on one host.
type hostBar struct {
	bar   *mpb.Bar
	bytes bool   // a transfer (else elapsed time only)
	name  string // redacted
	mu    sync.Mutex
	rate  float64 // read by the bar's decorator, in mpb's goroutine
	eta   float64
}

func newBarSet(out io.Writer, width int, redact func(string) string) *barSet {
	if width <= 0 {
		width = 80
	}
	return &barSet{out: out, width: width, redact: redact, shown: map[string]*hostBar{}}
}

// Write prints p above the bars, or straight out when none is shown.
func (b *barSet) Write(p []byte) (int, error) {
	if b.p != nil {
		if n, err := b.p.Write(p); err == nil {
			return n, nil
		}
	}
	return b.out.Write(p)
}

// update shows the progress event e.
func (b *barSet) update(e Event) {
	p := e.Progress
	if p == nil {
		return
	}
	k := progressKey(e)
	hb := b.shown[k]
	if hb == nil && p.Elapsed < barAfter.Seconds() {
		return
	}
	isBytes := p.Total > 0
	name := b.redact("[" + hostLabel(e) + "] " + progressName(e))
	if hb != nil && (hb.bytes != isBytes || hb.name != name) {
		b.drop(k)
		hb = nil
	}
	if hb == nil {
		hb = b.add(name, isBytes, e)
		if hb == nil {
			return
		}
		b.shown[k] = hb
	}
	if isBytes {
		hb.mu.Lock()
		hb.rate, hb.eta = p.Rate, p.ETA
		hb.mu.Unlock()
		hb.bar.SetTotal(p.Total, false)
		hb.bar.SetCurrent(min(p.Done, p.Total))
	}
}

// add creates a bar (and the container when it is the first).
func (b *barSet) add(name string, isBytes bool, e Event) *hostBar {
	if b.p == nil {
		b.p = mpb.New(mpb.WithOutput(b.out), mpb.WithWidth(b.width), mpb.WithAutoRefresh())
	}
	hb := &hostBar{bytes: isBytes, name: name}
	var err error
	if isBytes {
		// Created with total 0, so reaching the total never completes the
		// bar: it stays until the host's result removes it.
		hb.bar, err = b.p.Add(0, mpb.BarStyle().Build(), mpb.BarWidth(40),
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncWidthR)),
			mpb.AppendDecorators(decor.Any(func(s decor.Statistics) string {
				hb.mu.Lock()
				defer hb.mu.Unlock()
				return progressFigures(&Progress{Done: s.Current, Total: s.Total, Rate: hb.rate, ETA: hb.eta})
			})))
	} else {
		start := e.Time.Add(-time.Duration(e.Progress.Elapsed * float64(time.Second)))
		hb.bar, err = b.p.Add(0, mpb.SpinnerStyle().Build(), mpb.BarWidth(1),
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncWidthR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				return "running for " + HumanSeconds(time.Since(start).Seconds())
			})))
	}
	if err != nil {
		return nil // the container has ended (its output failed): no bars
	}
	return hb
}

// drop removes the bar of key, if any, and ends the container when it was
// the last.
func (b *barSet) drop(k string) {
	hb := b.shown[k]
	if hb == nil {
		return
	}
	delete(b.shown, k)
	hb.bar.Abort(true)
	if len(b.shown) == 0 {
		b.end()
	}
}

// done removes the bar of a host's task once its result is in.
func (b *barSet) done(e Event) {
	if e.Type == EventHostResult && !e.IsItem {
		b.drop(progressKey(e))
	}
}

// end removes every bar and ends the container: what was printed above
// the bars stays, the bars are cleared.
func (b *barSet) end() {
	for k, hb := range b.shown {
		hb.bar.Abort(true)
		delete(b.shown, k)
	}
	if b.p != nil {
		b.p.Wait()
		b.p = nil
	}
}
