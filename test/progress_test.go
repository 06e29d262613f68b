package test

import (
	"encoding/json"
	"strings"
	"testing"
)

// slowPlaybook has a task of a few seconds between two quick ones; its
// name holds the value of a password given with -e.
const slowPlaybook = `
- hosts: web
  gather_facts: false
  tasks:
    - name: quick
      command: "true"
    - name: wait for s3cret-pass-42
      command: sleep 4
    - name: also quick
      debug: {msg: done}
`

const slowSecret = "s3cret-pass-42"

func TestSlowTaskPrintsPlainProgressAndTiming(t *testing.T) {
	t.Setenv("RUNBOOK_PROGRESS_INTERVAL", "1s")
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": slowPlaybook})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-e", "db_password="+slowSecret, "--timing")
	if r.code != 0 {
		t.Fatal(r)
	}
	out := r.stdout
	if strings.Contains(out+r.stderr, slowSecret) || strings.Contains(out, "\x1b[") {
		t.Errorf("a secret or an escape sequence in piped output:\n%s", r)
	}
	banner := strings.Index(out, "TASK [wait for ********]")
	for _, h := range []string{"h1", "h2"} {
		line := strings.Index(out, "["+h+"] wait for ********: still running after ")
		result := strings.Index(out[max(banner, 0):], "changed: ["+h+"]")
		if banner < 0 || line < banner || result < 0 || line > banner+result {
			t.Errorf("no plain progress line for %s between the task's banner and its result:\n%s", h, out)
		}
	}
	if strings.Contains(out, "] quick: still running") {
		t.Errorf("progress of a quick task:\n%s", out)
	}
	recap := strings.Index(out, "PLAY RECAP")
	tasks := strings.Index(out, "SLOWEST TASKS ****")
	hosts := strings.Index(out, "SLOWEST HOSTS ****")
	if recap < 0 || tasks < recap || hosts < tasks {
		t.Fatalf("no timing summary after the recap:\n%s", out)
	}
	// The slow task first, with its file:line; then the others.
	lines := strings.Split(out[tasks:hosts], "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[1], "wait for ******** (site.yaml:7) ---") ||
		!strings.Contains(lines[1], "(max ") || !strings.Contains(out[tasks:hosts], "quick (site.yaml:5) ---") {
		t.Errorf("slowest tasks:\n%s", out[tasks:])
	}
	for _, h := range []string{"h1", "h2"} {
		if !strings.Contains(out[hosts:], "\n"+h+" ---") {
			t.Errorf("slowest hosts lacks %s:\n%s", h, out[hosts:])
		}
	}
}

func TestJSONProgressAndTimingEvents(t *testing.T) {
	t.Setenv("RUNBOOK_PROGRESS_INTERVAL", "1s")
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": slowPlaybook})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-e", "db_password="+slowSecret, "--timing", "--output", "json")
	if r.code != 0 || strings.Contains(r.stdout, slowSecret) {
		t.Fatal(r)
	}
	var progress, results int
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev struct {
			Event    string `json:"event"`
			Task     string `json:"task"`
			Progress *struct {
				Elapsed float64 `json:"elapsed"`
			} `json:"progress"`
			Duration float64 `json:"duration"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		switch ev.Event {
		case "progress":
			if ev.Task != "wait for ********" || ev.Progress == nil || ev.Progress.Elapsed < 1 {
				t.Errorf("progress event %s", line)
			}
			progress++
		case "host_result":
			if ev.Task == "wait for ********" && ev.Duration < 4 {
				t.Errorf("a sleep of 4s took %vs: %s", ev.Duration, line)
			}
			results++
		}
		last = map[string]any{}
		_ = json.Unmarshal([]byte(line), &last)
	}
	if progress == 0 || results != 6 {
		t.Errorf("%d progress events, %d results:\n%s", progress, results, r.stdout)
	}
	timing, _ := last["timing"].(map[string]any)
	tasks, _ := timing["tasks"].([]any)
	if last["event"] != "timing" || len(tasks) != 3 || tasks[0].(map[string]any)["task"] != "wait for ********" {
		t.Errorf("the last event is not the timing, slow task first: %v", last)
	}
}

func TestBadProgressInterval(t *testing.T) {
	t.Setenv("RUNBOOK_PROGRESS_INTERVAL", "soon")
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": slowPlaybook})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if r.code != 5 || !strings.Contains(r.stderr, "RUNBOOK_PROGRESS_INTERVAL") {
		t.Error(r)
	}
}
