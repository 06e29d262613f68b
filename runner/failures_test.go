package runner_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/report"
)

// Failures, unreachable hosts and missing variables: when a host, a play or
// the whole playbook stops.

func TestAnyErrorsFatalEndsPlayForAll(t *testing.T) {
	out, rec := run{playbook: `
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: fail on h2
      command: "false"
      when: inventory_hostname == "h2"
    - name: next
      command: "true"
- hosts: web
  gather_facts: false
  tasks:
    - name: later play
      command: "true"
`}.do(t)
	if n := len(rec.results("next")); n != 0 {
		t.Errorf("'next' ran on %d hosts after a fatal error", n)
	}
	// As in Ansible, the run is over for every host of the play: a later
	// play must not change hosts after a check that failed.
	if n := len(rec.results("later play")); n != 0 {
		t.Errorf("a later play ran on %d hosts after a fatal error", n)
	}
	if out.ExitCode() != runner.ExitHostFailed {
		t.Errorf("exit %d", out.ExitCode())
	}
}

func TestMaxFailPercentage(t *testing.T) {
	play := `
- hosts: web
  gather_facts: false
  max_fail_percentage: %s
  tasks:
    - name: fail on h2
      command: "false"
      when: inventory_hostname == "h2"
    - name: next
      command: "true"
`
	_, rec := run{playbook: strings.Replace(play, "%s", "34", 1)}.do(t)
	if n := len(rec.results("next")); n != 2 {
		t.Errorf("33%% failed <= 34%%: next should run on 2 hosts, ran on %d", n)
	}
	_, rec = run{playbook: strings.Replace(play, "%s", "30", 1)}.do(t)
	if n := len(rec.results("next")); n != 0 {
		t.Errorf("33%% failed > 30%%: next should not run, ran on %d", n)
	}
}

func TestUnreachableHostExitCode(t *testing.T) {
	out, rec := run{
		inventory: "h1 ansible_connection=local\nh2 ansible_connection=carrier-pigeon\n",
		playbook:  "- hosts: all\n  gather_facts: false\n  tasks:\n    - {name: a, command: 'true'}\n    - {name: b, command: 'true'}\n",
	}.do(t)
	if out.ExitCode() != runner.ExitUnreachable {
		t.Errorf("exit = %d, want 4", out.ExitCode())
	}
	if s := rec.stats("h2"); s.Unreachable != 1 {
		t.Errorf("h2 %+v", s)
	}
	if len(rec.results("b")) != 1 {
		t.Errorf("the reachable host should carry on")
	}
	if !strings.Contains(rec.buf.String(), "fatal: [h2]: UNREACHABLE!") {
		t.Errorf("output:\n%s", rec.buf)
	}
}

// A host unreachable in a task with ignore_unreachable (a dead master0 the
// playbook expects) is counted unreachable and ignored in the recap, stays
// in its play as in Ansible, is left out of later plays, and does not make
// the exit code 4.
func TestIgnoredUnreachableHost(t *testing.T) {
	out, rec := run{
		inventory: "h1 ansible_connection=local\nh2 ansible_connection=carrier-pigeon\n",
		playbook: `
- hosts: all
  gather_facts: false
  ignore_unreachable: true
  tasks:
    - {name: probe, command: "true", register: probe}
    - {name: seen, assert: {that: "(hostvars.h2.probe.unreachable ?? false) == true"}, run_once: true}
- hosts: all
  gather_facts: false
  tasks:
    - {name: later, command: "true"}
`,
	}.do(t)
	if out.ExitCode() != runner.ExitOK {
		t.Errorf("exit = %d, want 0", out.ExitCode())
	}
	if s := rec.stats("h2"); s.Unreachable != 1 || s.Ignored != 1 || s.Failed != 0 {
		t.Errorf("h2 %+v", s)
	}
	if rs := rec.results("later"); len(rs) != 1 || rs[0].Host != "h1" {
		t.Errorf("a later play ran on %v", rs)
	}
	if rs := rec.results("seen"); len(rs) != 1 || rs[0].Status != report.StatusOK {
		t.Errorf("the unreachable result is not registered: %v", rs)
	}
	if !strings.Contains(rec.buf.String(), "...ignoring") {
		t.Errorf("output:\n%s", rec.buf)
	}
}

// When every host of a play fails, the playbook ends there, as in Ansible:
// a later play on other hosts does not run.
func TestWholePlayFailedEndsPlaybook(t *testing.T) {
	out, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: check, fail: {msg: refused}}
- hosts: web
  gather_facts: false
  tasks:
    - {name: change, command: "true"}
`}.do(t)
	if n := len(rec.results("change")); n != 0 || out.ExitCode() != runner.ExitHostFailed {
		t.Errorf("a later play ran on %d hosts after its predecessor failed everywhere (exit %d)", n, out.ExitCode())
	}
}

func TestRequiredVars(t *testing.T) {
	play := `
- hosts: web
  gather_facts: false
  required_vars:
    host: the master to recover onto
  tasks:
    - {name: a, command: "true"}
`
	_, rec, err := run{playbook: play}.try(t)
	var mv *runner.MissingVarError
	if !errors.As(err, &mv) || mv.Var.Name != "host" || !strings.Contains(err.Error(), "site.yaml:5:") ||
		!strings.Contains(err.Error(), "the master to recover onto") || !strings.Contains(err.Error(), "-e host=") {
		t.Fatalf("missing host: %v", err)
	}
	if len(rec.results("a")) != 0 {
		t.Fatal("a task ran before the check")
	}
	if _, _, err := (run{playbook: play, opts: runner.Options{ExtraVars: map[string]any{"host": " "}}}).try(t); !errors.As(err, &mv) {
		t.Fatalf("blank host accepted: %v", err)
	}
	if _, rec, err := (run{playbook: play, opts: runner.Options{ExtraVars: map[string]any{"host": "h1"}}}).try(t); err != nil || len(rec.results("a")) != 3 {
		t.Fatalf("host given: %v", err)
	}
}

// TestForceHandlersRunOnFailedHosts: a handler notified on a host that then
// failed runs there only with --force-handlers (or the play's
// force_handlers), and the host stays failed.
func TestForceHandlersRunOnFailedHosts(t *testing.T) {
	const pb = `
- hosts: web
  gather_facts: false
  force_handlers: %s
  tasks:
    - name: change
      command: "true"
      notify: h
    - name: fail on h2
      fail: {msg: boom}
      when: inventory_hostname == "h2"
  handlers:
    - name: h
      debug: {msg: handled}
`
	hostsOf := func(rec *recorder) string {
		var hs []string
		for _, e := range rec.results("h") {
			hs = append(hs, e.Host)
		}
		sort.Strings(hs)
		return strings.Join(hs, ",")
	}
	for _, c := range []struct {
		name      string
		keyword   string
		flag      bool
		wantHosts string
	}{
		{"not forced", "false", false, "h1,h3"},
		{"--force-handlers", "false", true, "h1,h2,h3"},
		{"force_handlers: true", "true", false, "h1,h2,h3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, rec := run{playbook: fmt.Sprintf(pb, c.keyword), opts: runner.Options{ForceHandlers: c.flag}}.do(t)
			if got := hostsOf(rec); got != c.wantHosts {
				t.Errorf("handler ran on %q, want %q\n%s", got, c.wantHosts, rec.buf)
			}
			if s := rec.stats("h2"); s.Failed != 1 {
				t.Errorf("h2 recap %+v, want failed=1 (a forced handler does not clear the failure)", s)
			}
			if out.ExitCode() != runner.ExitHostFailed {
				t.Errorf("exit code %d, want %d", out.ExitCode(), runner.ExitHostFailed)
			}
		})
	}
}

func TestInterruptedRunStopsAndReports(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	out, rec := run{playbook: "- hosts: h1\n  tasks: [{name: a, debug: {}}]\n", opts: runner.Options{Stop: stop}}.do(t)
	if out.ExitCode() != runner.ExitInterrupted || len(rec.results("a")) != 0 {
		t.Errorf("exit %d", out.ExitCode())
	}
}

func TestFailedHostLeavesLaterPlays(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - {name: fail h1, command: "false", when: inventory_hostname == "h1"}
- hosts: web
  gather_facts: false
  tasks:
    - {name: second, debug: {}}
`}.do(t)
	for _, e := range rec.results("second") {
		if e.Host == "h1" {
			t.Error("a host that failed must not run later plays")
		}
	}
}
