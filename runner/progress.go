package runner

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

const (
	// defaultProgressInterval: a task that runs long on a host reports its
	// elapsed time this often, the first time after twice this.
	defaultProgressInterval = time.Second
	// progressEmitEvery spaces the events of a module's progress reports.
	progressEmitEvery = 200 * time.Millisecond
	// rateWindow: the rate is measured over about the last few seconds.
	rateWindow     = 5 * time.Second
	rateSampleStep = 100 * time.Millisecond
)

// progressWatch follows one task on one host: it turns the module's
// progress reports (module.Context.Progress) into progress events, with
// the rate and ETA, and reports the elapsed time of a task that runs long.
// No event is emitted once stop has returned, so none follows the host's
// result.
type progressWatch struct {
	e                            *engine
	host, task, delegate, module string
	noLog                        bool
	start                        time.Time
	every                        time.Duration

	mu          sync.Mutex
	stopped     bool
	timer       *time.Timer
	label       string
	total, done int64
	samples     []progressSample // for the rate, oldest first
	lastEmit    time.Time
}

type progressSample struct {
	at   time.Time
	done int64
}

// watchTask starts following task t on host h; call stop before its result
// is emitted.
func (e *engine) watchTask(h *hostState, t *playbook.Task, delegate string, noLog bool, start time.Time) *progressWatch {
	every := e.opt.ProgressInterval
	if every <= 0 {
		every = defaultProgressInterval
	}
	w := &progressWatch{e: e, host: h.name, task: t.DisplayName(), delegate: delegate, module: t.Module,
		noLog: noLog, start: start, every: every}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(2*every, w.tick)
	return w
}

// stop ends the watch: no event is emitted after it returns.
func (w *progressWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
}

// tick reports the elapsed time, unless the module reported just now.
func (w *progressWatch) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if now := time.Now(); now.Sub(w.lastEmit) >= w.every/2 {
		w.emitLocked(now)
	}
	w.timer.Reset(w.every)
}

// report is the task's module.Context.Progress.
func (w *progressWatch) report(total, done int64, label string) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if w.noLog {
		label = w.module // no_log: nothing the module chose to say
	}
	if total != w.total || done < w.done || label != w.label {
		w.samples = w.samples[:0] // another transfer (a loop's next item)
	}
	w.label, w.total, w.done = label, total, done
	if n := len(w.samples); n == 0 || now.Sub(w.samples[n-1].at) >= rateSampleStep {
		w.samples = append(w.samples, progressSample{at: now, done: done})
	}
	for len(w.samples) > 2 && now.Sub(w.samples[1].at) >= rateWindow {
		w.samples = w.samples[1:]
	}
	if now.Sub(w.lastEmit) < progressEmitEvery && (total <= 0 || done < total) {
		return
	}
	w.emitLocked(now)
}

// emitLocked emits a progress event (w.mu held).
func (w *progressWatch) emitLocked(now time.Time) {
	p := &report.Progress{Label: w.label, Done: w.done, Total: w.total, Elapsed: millis(now.Sub(w.start).Seconds())}
	if len(w.samples) > 0 {
		first := w.samples[0]
		if dt := now.Sub(first.at).Seconds(); dt >= rateSampleStep.Seconds() && w.done > first.done {
			p.Rate = math.Round(float64(w.done-first.done) / dt)
		}
	}
	if p.Rate > 0 && w.total > w.done {
		p.ETA = millis(float64(w.total-w.done) / p.Rate)
	}
	w.lastEmit = now
	w.e.emit(report.Event{Type: report.EventProgress, Time: now, Host: w.host, Task: w.task, Delegate: w.delegate,
		Module: w.module, Progress: p})
}

// millis rounds seconds to milliseconds, for readable JSON.
func millis(s float64) float64 { return math.Round(s*1000) / 1000 }

type watchKey struct{}

// withWatch gives the modules run under ctx w's progress hook.
func withWatch(ctx context.Context, w *progressWatch) context.Context {
	return context.WithValue(ctx, watchKey{}, w)
}

// progressHook is the module.Context.Progress of a task run under ctx.
func progressHook(ctx context.Context) func(total, done int64, label string) {
	if w, ok := ctx.Value(watchKey{}).(*progressWatch); ok {
		return w.report
	}
	return nil
}
