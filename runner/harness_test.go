package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
)

// recorder keeps every event, and the text output, of a run.
type recorder struct {
	mu     sync.Mutex
	events []report.Event
	text   *report.Text
	buf    *strings.Builder
}

func (r *recorder) Emit(e report.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.text.Emit(e)
}

// results returns the host results of the task named name.
func (r *recorder) results(task string) []report.Event {
	var out []report.Event
	for _, e := range r.events {
		if e.Type == report.EventHostResult && e.Task == task {
			out = append(out, e)
		}
	}
	return out
}

// result returns the single non-item result of task on host.
func (r *recorder) result(t *testing.T, task, host string) report.Event {
	t.Helper()
	for _, e := range r.results(task) {
		if e.Host == host && !e.IsItem {
			return e
		}
	}
	t.Fatalf("no result for task %q on %s; output:\n%s", task, host, r.buf.String())
	return report.Event{}
}

func (r *recorder) stats(host string) report.HostStats {
	for _, e := range r.events {
		if e.Type == report.EventRecap {
			for _, s := range e.Stats {
				if s.Host == host {
					return s
				}
			}
		}
	}
	return report.HostStats{Host: "(missing)"}
}

// run is one engine run on local-connection hosts.
type run struct {
	playbook  string
	files     map[string]string
	inventory string // INI; default: three local hosts h1..h3 in group web
	opts      runner.Options
}

const threeHosts = `[web]
h1 ansible_connection=local
h2 ansible_connection=local
h3 ansible_connection=local
`

func (c run) do(t *testing.T) (*runner.Outcome, *recorder) {
	t.Helper()
	out, rec, err := c.try(t)
	if err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, rec.buf.String())
	}
	return out, rec
}

func (c run) try(t *testing.T) (*runner.Outcome, *recorder, error) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"site.yaml": c.playbook}
	for k, v := range c.files {
		files[k] = strings.ReplaceAll(v, "$DIR", dir)
	}
	files["site.yaml"] = strings.ReplaceAll(files["site.yaml"], "$DIR", dir)
	inv := c.inventory
	if inv == "" {
		inv = threeHosts
	}
	files["hosts.ini"] = inv
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pb, err := playbook.Load(filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatalf("playbook: %v", err)
	}
	i, err := inventory.Load([]string{filepath.Join(dir, "hosts.ini")})
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	buf := &strings.Builder{}
	opts := c.opts
	if opts.Redactor == nil {
		opts.Redactor = &report.Redactor{}
	}
	rec := &recorder{buf: buf, text: report.NewText(report.TextOptions{Out: buf, Verbosity: opts.Verbosity, Redactor: opts.Redactor})}
	opts.Inventory, opts.Reporter = i, rec
	out, err := runner.Run(context.Background(), pb, opts)
	return out, rec, err
}

func msgOf(e report.Event) string { return fmt.Sprint(e.Result["msg"]) }

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}
