package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/report"
)

// progressProbe reports a transfer of total bytes in two steps, with label.
type progressProbe struct{}

func (progressProbe) Spec() *module.Spec {
	return &module.Spec{Name: "progress_probe", Short: "Report progress (tests only)", RunsOnController: true,
		Params: []module.Param{{Name: "label", Type: module.TypeString}, {Name: "total", Type: module.TypeInt}}}
}

func (progressProbe) Run(_ context.Context, mc *module.Context, args module.Args) (*module.Result, error) {
	total := int64(args.Int("total"))
	mc.ReportProgress(total, total/2, args.String("label"))
	mc.ReportProgress(total, total, args.String("label"))
	return &module.Result{}, nil
}

func init() { module.Register(progressProbe{}) }

// progressOf returns the progress events of host, checking that none comes
// after the host's result of the task.
func progressOf(t *testing.T, rec *recorder, task, host string) []report.Event {
	t.Helper()
	var out []report.Event
	done := false
	for _, e := range rec.events {
		switch {
		case e.Type == report.EventHostResult && e.Task == task && e.Host == host && !e.IsItem:
			done = true
		case e.Type == report.EventProgress && e.Task == task && e.Host == host:
			if done {
				t.Errorf("progress event after the result: %+v", *e.Progress)
			}
			out = append(out, e)
		}
	}
	return out
}

func TestModuleProgressBecomesEvents(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  vars: {token: tok-abcdef123}
  tasks:
    - name: send
      progress_probe: {label: "to {{ token }}", total: 1000}
    - name: send quietly
      progress_probe: {label: "to {{ token }}", total: 1000}
      no_log: true
`}.do(t)
	for _, h := range []string{"h1", "h2", "h3"} {
		evs := progressOf(t, rec, "send", h)
		if len(evs) == 0 {
			t.Fatalf("no progress events for %s", h)
		}
		last := evs[len(evs)-1].Progress
		if last.Done != 1000 || last.Total != 1000 || last.Label != "to tok-abcdef123" || evs[0].Module != "progress_probe" {
			t.Errorf("%s: last progress %+v", h, *last)
		}
		res := rec.result(t, "send", h)
		if res.Duration <= 0 || !strings.HasSuffix(res.TaskPath, "site.yaml:6:7") {
			t.Errorf("%s: result duration %v, task path %q", h, res.Duration, res.TaskPath)
		}
		quiet := progressOf(t, rec, "send quietly", h)
		if len(quiet) == 0 {
			t.Fatalf("no progress events for %s under no_log", h)
		}
		for _, e := range quiet {
			if e.Progress.Label != "progress_probe" {
				t.Errorf("no_log: the module's label is shown: %q", e.Progress.Label)
			}
		}
	}
}

func TestLongTaskReportsElapsedTime(t *testing.T) {
	_, rec := run{inventory: "h1 ansible_connection=local\n", opts: runner.Options{ProgressInterval: 50 * time.Millisecond},
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: slow, command: sleep 1}
    - {name: quick, command: "true"}
`}.do(t)
	evs := progressOf(t, rec, "slow", "h1")
	if len(evs) == 0 {
		t.Fatal("a task of a second reported no elapsed time")
	}
	for _, e := range evs {
		if p := e.Progress; p.Elapsed < 0.1 || p.Total != 0 || p.Done != 0 || p.Label != "" {
			t.Errorf("elapsed-time progress %+v", *p)
		}
	}
	if res := rec.result(t, "slow", "h1"); res.Duration < 1 {
		t.Errorf("a sleep of 1s took %vs", res.Duration)
	}
	// No progress of the quick task follows its result either.
	progressOf(t, rec, "quick", "h1")
}
