package runner_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/report"
)

func TestLinearStrategyFinishesEachTaskOnAllHostsFirst(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: one
      shell: sleep 0.05
    - name: two
      command: "true"
`, opts: runner.Options{Forks: 2}}.do(t)
	var seq []string
	for _, e := range rec.events {
		switch e.Type {
		case report.EventTaskStart:
			seq = append(seq, "start:"+e.Task)
		case report.EventHostResult:
			seq = append(seq, e.Task)
		}
	}
	want := "start:one one one one start:two two two two"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("order = %q, want %q", got, want)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if s := rec.stats(h); s.OK != 2 || s.Changed != 2 {
			t.Errorf("%s stats = %+v", h, s)
		}
	}
}

func TestHandlersRunOnceInDefinitionOrderAtSectionEnd(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: change a
      command: "true"
      notify: [second, first]
    - name: change b
      command: "true"
      notify: first
    - name: unchanged
      command: "true"
      changed_when: false
      notify: never notified
    - name: topic
      command: "true"
      notify: web restart
  handlers:
    - name: first
      debug: {msg: first}
    - name: second
      debug: {msg: second}
    - name: never notified
      debug: {msg: nope}
    - name: listener
      listen: web restart
      debug: {msg: listened}
    - name: second listener
      listen: web restart
      debug: {msg: listened too}
`}.do(t)
	var order []string
	for _, e := range rec.events {
		if e.Type == report.EventTaskStart && e.Handler {
			order = append(order, e.Task)
		}
	}
	if got := strings.Join(order, ","); got != "first,second,listener,second listener" {
		t.Errorf("handlers ran %q, want first,second,listener,second listener (definition order, once each, every listener of a topic)", got)
	}
	if !strings.Contains(rec.buf.String(), "RUNNING HANDLER [first]") {
		t.Errorf("no RUNNING HANDLER banner:\n%s", rec.buf)
	}
}

func TestFlushHandlersRunsMidPlay(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - command: "true"
      notify: h
    - meta: flush_handlers
    - name: after
      debug: {msg: after}
  handlers:
    - name: h
      debug: {msg: handled}
`}.do(t)
	var order []string
	for _, e := range rec.events {
		if e.Type == report.EventTaskStart {
			order = append(order, e.Task)
		}
	}
	if got := strings.Join(order, ","); got != "command,h,after" {
		t.Errorf("order %q, want the handler before 'after'", got)
	}
}

func TestRegisterLoopGivesResults(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: loop
      shell: "echo {{ item }}; exit {{ item == 'b' ? 1 : 0 }}"
      loop: [a, b, c]
      register: out
      ignore_errors: true
    - name: show
      debug:
        msg: "{{ out.results | map(#.stdout) }} {{ out.failed }} {{ out.changed }} {{ len(out.results) }}"
    - name: flat
      debug: {msg: "{{ item }}"}
      with_items: [[1, 2], 3]
      register: flat
    - name: show flat
      debug: {msg: "{{ to_json(flat.results | map(#.item)) }}"}
`}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != `['a', 'b', 'c'] True True 3` {
		t.Errorf("registered loop = %q", got)
	}
	if s := rec.stats("h1"); s.Ignored != 1 {
		t.Errorf("ignored = %d, want 1 (one loop task with a failed item)", s.Ignored)
	}
	if got := msgOf(rec.result(t, "show flat", "h1")); got != "[1,2,3]" {
		t.Errorf("with_items should flatten one level, got %q", got)
	}
	items := 0
	for _, e := range rec.results("loop") {
		if e.IsItem {
			items++
		}
	}
	if items != 3 || !strings.Contains(rec.buf.String(), "failed: [h1] (item=b)") {
		t.Errorf("want three item lines incl. a failed one:\n%s", rec.buf)
	}
	if !strings.Contains(rec.buf.String(), "...ignoring") {
		t.Errorf("no ...ignoring:\n%s", rec.buf)
	}
}

func TestUntilRetries(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: count
      shell: "echo x >> $DIR/n; wc -l < $DIR/n"
      register: r
      until: int(trim(r.stdout)) >= 3
      retries: 5
      delay: 0
    - name: show
      debug: {msg: "{{ r.attempts }}"}
`}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "3" {
		t.Errorf("attempts = %s, want 3", got)
	}
	retries := 0
	for _, e := range rec.events {
		if e.Type == report.EventRetry {
			retries++
		}
	}
	if retries != 2 || !strings.Contains(rec.buf.String(), "FAILED - RETRYING: [h1]: count (4 retries left).") {
		t.Errorf("retry events = %d, output:\n%s", retries, rec.buf)
	}
}

func TestUntilExhaustedFails(t *testing.T) {
	out, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: never
      shell: "echo x >> $DIR/n; false"
      register: r
      until: r.rc == 0
      retries: 2
      delay: 0
      ignore_errors: true
    - name: runs
      shell: "wc -l < $DIR/n"
    - name: zero
      command: "true"
      register: z
      until: z.rc == 1
      retries: 0
      delay: 0
    - name: never again
      command: "false"
      register: r
      until: r.rc == 0
      retries: 1
      delay: 0
`}.do(t)
	if out.ExitCode() != runner.ExitHostFailed {
		t.Errorf("exit = %d, want 2", out.ExitCode())
	}
	// ansible-core 2.14 runs retries + 1 times, then reports attempts =
	// retries (test/ansible_quiet_test.go checks this against Ansible).
	if e := rec.result(t, "never", "h1"); e.Status != report.StatusFailed || e.Result["attempts"] != 2 {
		t.Errorf("never: %s attempts = %v, want failed after attempts 2", e.Status, e.Result["attempts"])
	}
	if n := rec.result(t, "runs", "h1").Result["stdout"]; n != "3" {
		t.Errorf("runs = %v, want 3", n)
	}
	// retries: 0 runs once and does not consult until.
	if e := rec.result(t, "zero", "h1"); e.Status != report.StatusChanged {
		t.Errorf("zero: %s %v, want changed", e.Status, e.Result)
	}
}

func TestRunOnceSharesRegisteredResult(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: once
      command: echo {{ inventory_hostname }}
      run_once: true
      register: r
    - name: show
      debug: {msg: "{{ r.stdout }}"}
`}.do(t)
	if n := len(rec.results("once")); n != 1 {
		t.Errorf("run_once ran on %d hosts", n)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if got := msgOf(rec.result(t, "show", h)); got != "h1" {
			t.Errorf("%s sees %q, want h1's result", h, got)
		}
	}
}

func TestSerialBatches(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  serial: [1, "100%"]
  tasks:
    - name: a
      debug: {msg: "{{ join(ansible_play_batch, \",\") }}"}
    - name: b
      command: "true"
`}.do(t)
	var seq []string
	for _, e := range rec.events {
		if e.Type == report.EventHostResult {
			seq = append(seq, e.Task+":"+e.Host)
		}
	}
	if strings.Join(seq[:2], " ") != "a:h1 b:h1" {
		t.Errorf("first batch should be h1 alone, got %v", seq)
	}
	if got := msgOf(rec.result(t, "a", "h2")); got != "h2,h3" {
		t.Errorf("second batch = %s", got)
	}
}

func TestBlockRescueAlways(t *testing.T) {
	out, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - name: maybe fail
          command: "{{ inventory_hostname == 'h1' ? 'false' : 'true' }}"
        - name: rest of block
          command: "true"
      rescue:
        - name: rescue
          debug: {msg: rescued}
      always:
        - name: always
          command: "true"
    - block:
        - name: fail h3
          command: "false"
          when: inventory_hostname == "h3"
      always:
        - name: always 2
          command: "true"
    - name: after
      command: "true"
`}.do(t)
	hosts := func(task string) string {
		var hs []string
		for _, e := range rec.results(task) {
			hs = append(hs, e.Host)
		}
		return strings.Join(hs, ",")
	}
	if got := hosts("rest of block"); strings.Contains(got, "h1") {
		t.Errorf("h1 failed in the block but ran the rest: %s", got)
	}
	if got := hosts("rescue"); got != "h1" {
		t.Errorf("rescue ran on %q, want h1\n%s", got, rec.buf)
	}
	if n := len(rec.results("always")); n != 3 {
		t.Errorf("always ran on %d hosts, want 3", n)
	}
	if n := len(rec.results("always 2")); n != 3 {
		t.Errorf("always (no rescue) should run on failed h3 too: %d", n)
	}
	if strings.Contains(hosts("after"), "h3") {
		t.Errorf("h3 failed without rescue but continued")
	}
	s1, s3 := rec.stats("h1"), rec.stats("h3")
	if s1.Rescued != 1 || s1.Failed != 0 || s3.Failed != 1 {
		t.Errorf("h1 %+v, h3 %+v", s1, s3)
	}
	if out.ExitCode() != runner.ExitHostFailed {
		t.Errorf("exit %d, want 2 (h3 failed)", out.ExitCode())
	}
}

func TestTagsSelection(t *testing.T) {
	play := `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: web, debug: {}, tags: web}
    - {name: db, debug: {}, tags: [db]}
    - {name: always, debug: {}, tags: always}
    - {name: never, debug: {}, tags: [never, debug]}
    - {name: untagged, debug: {}}
    - name: block
      tags: blk
      block:
        - {name: inner, debug: {}}
`
	cases := []struct {
		tags, skip []string
		want       string
	}{
		{nil, nil, "web,db,always,untagged,inner"},
		{[]string{"web"}, nil, "web,always"},
		{[]string{"debug"}, nil, "always,never"},
		{[]string{"blk"}, nil, "always,inner"},
		{nil, []string{"always", "db"}, "web,untagged,inner"},
		{[]string{"untagged"}, nil, "always,untagged"},
		{[]string{"tagged"}, nil, "web,db,always,inner"},
	}
	for _, tc := range cases {
		_, rec := run{playbook: play, opts: runner.Options{Tags: tc.tags, SkipTags: tc.skip}}.do(t)
		var ran []string
		for _, e := range rec.events {
			if e.Type == report.EventTaskStart {
				ran = append(ran, e.Task)
			}
		}
		if got := strings.Join(ran, ","); got != tc.want {
			t.Errorf("tags=%v skip=%v ran %q, want %q", tc.tags, tc.skip, got, tc.want)
		}
	}
}

func TestStartAtTask(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  tasks:
    - {name: first, debug: {}}
    - {name: second step, debug: {}}
    - {name: third, debug: {}}
`, opts: runner.Options{StartAtTask: "second*"}}.do(t)
	var ran []string
	for _, e := range rec.events {
		if e.Type == report.EventTaskStart {
			ran = append(ran, e.Task)
		}
	}
	if got := strings.Join(ran, ","); got != "Gathering Facts,second step,third" {
		t.Errorf("ran %q", got)
	}
}

func TestUndefinedVariableNamesTaskHostAndExpression(t *testing.T) {
	out, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: use it
      debug: {msg: "{{ nope }}"}
    - name: defaulted
      debug: {msg: "{{ nope ?? 'fallback' }}"}
`}.do(t)
	msg := msgOf(rec.result(t, "use it", "h1"))
	for _, w := range []string{`task "use it"`, "site.yaml:5:7", "h1", "nope"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
	if out.ExitCode() != runner.ExitHostFailed {
		t.Errorf("exit %d", out.ExitCode())
	}
}

func TestFailedWhenChangedWhen(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: grep
      shell: echo 'ERROR found'
      register: r
      failed_when: "'ERROR' in r.stdout"
      changed_when: false
      ignore_errors: true
    - name: rc ok
      command: "false"
      failed_when: [result.rc != 1]
      changed_when: result.rc == 1
`}.do(t)
	if e := rec.result(t, "grep", "h1"); e.Status != report.StatusFailed || e.Result["changed"] != false {
		t.Errorf("grep: %s %v", e.Status, e.Result)
	}
	if e := rec.result(t, "rc ok", "h1"); e.Status != report.StatusChanged {
		t.Errorf("rc ok: %s", e.Status)
	}
}

func TestDelegateTo(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: delegated
      command: echo {{ inventory_hostname }}
      delegate_to: h2
      register: r
    - name: show
      debug: {msg: "{{ r.stdout }}"}
`}.do(t)
	if e := rec.result(t, "delegated", "h1"); e.Delegate != "h2" {
		t.Errorf("delegate = %q", e.Delegate)
	}
	if !strings.Contains(rec.buf.String(), "changed: [h1 -> h2]") {
		t.Errorf("no [h1 -> h2] label:\n%s", rec.buf)
	}
	if got := msgOf(rec.result(t, "show", "h1")); got != "h1" {
		t.Errorf("delegated task keeps the host's vars: got %q", got)
	}
}

func TestIncludeAndImportTasks(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - import_tasks: imported.yaml
      tags: imp
      vars: {who: importer}
    - include_tasks: "{{ 'included.yaml' }}"
      loop: [x, y]
`, files: map[string]string{
		"imported.yaml": "- name: imported\n  debug: {msg: '{{ who }}'}\n",
		"included.yaml": "- name: included\n  debug: {msg: '{{ item }}'}\n",
	}, opts: runner.Options{}}.do(t)
	if got := msgOf(rec.result(t, "imported", "h1")); got != "importer" {
		t.Errorf("imported = %q", got)
	}
	var got []string
	for _, e := range rec.results("included") {
		got = append(got, msgOf(e))
	}
	if strings.Join(got, ",") != "x,y" {
		t.Errorf("included once per loop item: %v", got)
	}
	if strings.Count(rec.buf.String(), "included: ") != 2 {
		t.Errorf("want two 'included:' lines:\n%s", rec.buf)
	}
	// ansible-core's recap counts each inclusion (per loop item) as ok:
	// 1 imported + 2 inclusions + 2 included tasks (found by the
	// conformance suite, case include-import-tasks).
	if s := rec.stats("h1"); s.OK != 5 || s.Changed != 0 {
		t.Errorf("h1 stats = %+v, want ok=5 changed=0", s)
	}
	// Tags on an import apply to its tasks.
	_, rec = run{playbook: "- hosts: h1\n  gather_facts: false\n  tasks:\n    - import_tasks: imported.yaml\n      tags: imp\n      vars: {who: a}\n    - {name: other, debug: {}}\n",
		files: map[string]string{"imported.yaml": "- name: imported\n  debug: {}\n"}, opts: runner.Options{Tags: []string{"imp"}}}.do(t)
	if len(rec.results("imported")) != 1 || len(rec.results("other")) != 0 {
		t.Errorf("--tags imp should run only the imported task:\n%s", rec.buf)
	}
}

func TestNoLogAndSecretsAreHidden(t *testing.T) {
	_, rec := run{
		inventory: "[web]\nh1 ansible_connection=local ansible_password=Sup3rS3cret registry_password=RegPassw0rd\n",
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: leak attempt
      debug: {msg: "pw={{ ansible_password }} reg={{ registry_password }}"}
    - name: hidden
      shell: echo visible-text
      no_log: true
`, opts: runner.Options{Verbosity: 4}}.do(t)
	out := rec.buf.String()
	for _, secret := range []string{"Sup3rS3cret", "RegPassw0rd", "visible-text"} {
		if strings.Contains(out, secret) {
			t.Errorf("output contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "********") || !strings.Contains(out, "censored") {
		t.Errorf("want masked secrets and a censored result:\n%s", out)
	}
}

func TestEnvironmentAndGatheredFacts(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  environment: {GREETING: hello}
  tasks:
    - name: env
      shell: echo "$GREETING $TARGET"
      environment: {TARGET: "{{ inventory_hostname }}"}
      register: r
    - name: show
      debug: {msg: "{{ r.stdout }} {{ ansible_system }} {{ ansible_facts.system }}"}
`}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "hello h1 Linux Linux" {
		t.Errorf("got %q", got)
	}
}

func TestMetaEndHostAndEndPlay(t *testing.T) {
	_, rec := run{playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == "h1"
    - {name: after end_host, debug: {}}
    - meta: end_play
    - {name: after end_play, debug: {}}
- hosts: web
  gather_facts: false
  tasks:
    - {name: next play, debug: {}}
`}.do(t)
	if n := len(rec.results("after end_host")); n != 2 {
		t.Errorf("end_host: %d hosts ran the next task, want 2", n)
	}
	if n := len(rec.results("after end_play")); n != 0 {
		t.Errorf("end_play: next task ran")
	}
	if n := len(rec.results("next play")); n != 3 {
		t.Errorf("the following play runs on all hosts again: %d", n)
	}
}
