package test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Engine differences from ansible-core 2.14 that changed what a playbook
// does without a word (issue 16, items 16-20). Each case is one playbook on
// local hosts, run by runbook and, when ansible-playbook is installed
// (RUNBOOK_REQUIRE_ANSIBLE=1 makes its absence a failure), by Ansible too:
// both must give the outcome the case expects, so the expectation is
// Ansible's, not our guess.

// quietOutcome is what a run did, in terms both tools report alike.
type quietOutcome struct {
	exit int
	// results: "task host status", plus " msg" for debug results, in run
	// order, hosts sorted within a task.
	results []string
	// failures: the message of each failed task on each host ("task host").
	failures map[string]string
	// recap per host: changed, failed, skipped, rescued, unreachable. (ok
	// is left out: Ansible also counts an ignored failure as ok.)
	recap map[string][5]int
}

type quietCase struct {
	name     string
	playbook string
	files    map[string]string
	args     []string
	exit     int
	results  []string
	recap    map[string][5]int
	failures map[string]string // "task host" -> text the message must contain
	// runbookFailures: the same, checked on runbook's messages only.
	runbookFailures map[string]string
}

const quietHosts = "[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\n"

func quietCases() []quietCase {
	return []quietCase{{
		name: "notified handler runs whatever --tags select (item 16)",
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      tags: [cfg]
      notify: [restart, tagged, never]
    - name: other
      command: "true"
      tags: [other]
  handlers:
    - name: restart
      debug: {msg: restarted}
    - name: tagged
      debug: {msg: tagged}
      tags: [other]
    - name: never
      debug: {msg: never}
      tags: [never]
`,
		args:    []string{"--tags", "cfg", "--skip-tags", "other,never"},
		results: []string{"change h1 changed", "restart h1 ok restarted", "tagged h1 ok tagged", "never h1 ok never"},
		recap:   map[string][5]int{"h1": {1, 0, 0, 0, 0}},
	}, {
		name: "self-referencing variable fails the task using it (item 18)",
		playbook: `
- hosts: h1
  gather_facts: false
  vars:
    s: "{{ s }}x"
    unused: "{{ unused }}y"
    a: "{{ b }}"
    b: "{{ a }}-"
    derived: "{{ s | upper() }}"
    ok: "fine"
  tasks:
    - name: fine
      debug: {msg: "{{ ok }}"}
    - name: use a
      debug: {msg: "{{ a }}"}
      ignore_errors: true
    - name: use derived
      debug: {msg: "{{ derived }}"}
      ignore_errors: true
    - name: in a condition
      debug: {msg: never}
      when: s == "x"
      ignore_errors: true
    - name: task vars
      vars: {ok: "{{ ok }}/sub"}
      debug: {msg: "{{ ok }}"}
      ignore_errors: true
    - name: use s
      debug: {msg: "{{ s }}"}
    - name: after
      debug: {msg: after}
`,
		exit: 2,
		results: []string{"fine h1 ok fine", "use a h1 failed", "use derived h1 failed", "in a condition h1 failed",
			"task vars h1 failed", "use s h1 failed"},
		recap: map[string][5]int{"h1": {0, 1, 0, 0, 0}},
		failures: map[string]string{"use a h1": "recursive loop detected", "use derived h1": "recursive loop detected",
			"in a condition h1": "recursive loop detected", "task vars h1": "recursive loop detected", "use s h1": "recursive loop detected"},
		// runbook's own words, which Ansible's message lacks:
		runbookFailures: map[string]string{
			"use a h1":          `variable "a" is "{{ b }}", which refers back to itself (a -> b -> a)`,
			"use derived h1":    `variable "s" is "{{ s }}x", which refers back to itself (s -> s)`,
			"task vars h1":      `variable "ok" is "{{ ok }}/sub", which refers back to itself (ok -> ok)`,
			"in a condition h1": `site.yaml:20:7) on host h1: when: recursive loop detected: variable "s"`,
		},
	}, {
		name: "rescue sees ansible_failed_task and ansible_failed_result (item 20)",
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - name: boom
          command: /bin/false
      rescue:
        - name: show
          debug:
            msg: "{{ ansible_failed_task.name }} {{ ansible_failed_task.action }} rc={{ ansible_failed_result.rc }} {{ ansible_failed_result.msg }}"
`,
		results: []string{"boom h1 failed", "show h1 ok boom command rc=1 non-zero return code"},
		recap:   map[string][5]int{"h1": {0, 0, 0, 1, 0}},
	}, {
		name: "clear_host_errors in always: clears the failure (item 20)",
		playbook: `
- hosts: web
  gather_facts: false
  tasks:
    - name: fail h1
      fail: {msg: x}
      when: inventory_hostname == "h1"
    - block:
        - name: boom h2
          fail: {msg: bad}
      always:
        - name: clear
          meta: clear_host_errors
    - name: after
      debug: {msg: after}
- hosts: web
  gather_facts: false
  tasks:
    - name: play2
      debug: {msg: p2}
`,
		exit: 0,
		results: []string{"fail h1 h1 failed", "fail h1 h2 skipped", "boom h2 h2 failed", "after h2 ok after",
			"play2 h1 ok p2", "play2 h2 ok p2"},
		recap: map[string][5]int{"h1": {0, 1, 0, 0, 0}, "h2": {0, 1, 1, 0, 0}},
	}, {
		name:  "notify: on import_tasks is inherited (item 20)",
		files: map[string]string{"sub.yaml": "- name: inner change\n  command: 'true'\n- name: inner ok\n  command: 'true'\n  changed_when: false\n"},
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - import_tasks: sub.yaml
      notify: restart
  handlers:
    - name: restart
      debug: {msg: restarted}
`,
		results: []string{"inner change h1 changed", "inner ok h1 ok", "restart h1 ok restarted"},
		recap:   map[string][5]int{"h1": {1, 0, 0, 0, 0}},
	}, {
		name: "until with retries: 3 runs 4 times and reports attempts 3 (item 20)",
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: retried
      shell: "echo x >> $DIR/runs"
      register: r
      until: r.rc == 1
      retries: 3
      delay: 0
      changed_when: false
      ignore_errors: true
    - name: zero
      shell: "echo x >> $DIR/zero"
      register: z
      until: z.rc == 1
      retries: 0
      delay: 0
    - name: count
      command: "cat $DIR/runs $DIR/zero"
      register: n
    - name: show
      debug: {msg: "attempts={{ r.attempts }} zero={{ z.attempts }} runs={{ n.stdout_lines | length() }}"}
`,
		results: []string{"retried h1 failed", "zero h1 changed", "count h1 changed", "show h1 ok attempts=3 zero=1 runs=5"},
		recap:   map[string][5]int{"h1": {2, 0, 0, 0, 0}},
	}, {
		name: "a key after a YAML merge key overrides it (item 20)",
		playbook: `
- hosts: h1
  gather_facts: false
  vars:
    base: &base {a: 1, b: 2}
    derived:
      <<: *base
      b: 3
  tasks:
    - name: show
      debug: {msg: "{{ derived.a }} {{ derived.b }}"}
`,
		results: []string{"show h1 ok 1 3"},
		recap:   map[string][5]int{"h1": {0, 0, 0, 0, 0}},
	}}
}

func TestQuietDifferencesMatchAnsible(t *testing.T) {
	for _, tc := range quietCases() {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"site.yaml": tc.playbook, "hosts.ini": quietHosts}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := workdir(t, files)
			tc.check(t, "runbook", runbookQuiet(t, dir, tc.args))
			if a, ok := ansibleQuiet(t, workdir(t, files), tc.args); ok {
				tc.check(t, "ansible-playbook", a)
			}
		})
	}
}

func (tc quietCase) check(t *testing.T, tool string, o quietOutcome) {
	t.Helper()
	if o.exit != tc.exit {
		t.Errorf("%s: exit %d, want %d", tool, o.exit, tc.exit)
	}
	if !reflect.DeepEqual(o.results, tc.results) {
		t.Errorf("%s: results\n%q\nwant\n%q", tool, o.results, tc.results)
	}
	if !reflect.DeepEqual(o.recap, tc.recap) {
		t.Errorf("%s: recap (changed failed skipped rescued unreachable) %v, want %v", tool, o.recap, tc.recap)
	}
	checks := []map[string]string{tc.failures}
	if tool == "runbook" {
		checks = append(checks, tc.runbookFailures)
	}
	for _, m := range checks {
		for k, w := range m {
			if !strings.Contains(o.failures[k], w) {
				t.Errorf("%s: failure of %s = %q, want it to say %q", tool, k, o.failures[k], w)
			}
		}
	}
}

// runbookQuiet runs site.yaml in dir with --output json.
func runbookQuiet(t *testing.T, dir string, args []string) quietOutcome {
	t.Helper()
	r := runbook(t, dir, append([]string{"play", "site.yaml", "--output", "json"}, withInventory(args)...)...)
	o := quietOutcome{exit: r.code, failures: map[string]string{}, recap: map[string][5]int{}}
	type event struct {
		Event, Task, Host, Status, Module string
		IsItem                            bool `json:"is_item"`
		Result                            map[string]any
		Stats                             []struct {
			Host                                           string
			Changed, Failed, Skipped, Rescued, Unreachable int
		}
	}
	var byTask []string // results of the current task, sorted when it ends
	flush := func() {
		sort.Strings(byTask)
		o.results = append(o.results, byTask...)
		byTask = nil
	}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("runbook output line %q: %v\n%s", sc.Text(), err, r)
		}
		switch e.Event {
		case "task_start":
			flush()
		case "host_result":
			if !e.IsItem {
				byTask = append(byTask, quietLine(e.Task, e.Host, e.Status, e.Module, e.Result))
				if e.Status == "failed" {
					o.failures[e.Task+" "+e.Host] = fmt.Sprint(e.Result["msg"])
				}
			}
		case "recap":
			flush()
			for _, s := range e.Stats {
				o.recap[s.Host] = [5]int{s.Changed, s.Failed, s.Skipped, s.Rescued, s.Unreachable}
			}
		}
	}
	return o
}

func quietLine(task, host, status, module string, result map[string]any) string {
	line := task + " " + host + " " + status
	if msg, ok := result["msg"]; ok && module == "debug" && status == "ok" {
		line += " " + fmt.Sprint(msg)
	}
	return line
}

// withInventory adds -i hosts.ini unless args name an inventory.
func withInventory(args []string) []string {
	for _, a := range args {
		if a == "-i" {
			return args
		}
	}
	return append([]string{"-i", "hosts.ini"}, args...)
}

// ansibleJSON runs site.yaml in dir with ansible-playbook's json callback
// and returns the finished command and its output; false when Ansible is
// not installed.
func ansibleJSON(t *testing.T, dir string, args []string) (cmd *exec.Cmd, out, errb *strings.Builder, ok bool) {
	t.Helper()
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
		}
		t.Log("ansible-playbook not installed: not compared with Ansible")
		return nil, nil, nil, false
	}
	cmd = exec.Command(bin, append([]string{"site.yaml"}, withInventory(args)...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent",
		"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_DEPRECATION_WARNINGS=0")
	out, errb = &strings.Builder{}, &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	return cmd, out, errb, true
}

// ansibleQuiet runs site.yaml in dir with ansible-playbook's json callback;
// false when Ansible is not installed.
func ansibleQuiet(t *testing.T, dir string, args []string) (quietOutcome, bool) {
	t.Helper()
	cmd, out, errb, ok := ansibleJSON(t, dir, args)
	if !ok {
		return quietOutcome{}, false
	}
	var report struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]struct {
					Action                   string
					Changed, Failed, Skipped bool
					Msg                      any
					Unreachable              bool
				}
			}
		}
		Stats map[string]struct{ Changed, Failures, Skipped, Rescued, Unreachable int }
	}
	js := out.String()
	if i := strings.Index(js, "{\n"); i > 0 { // pause prints "Pausing for..." first
		js = js[i:]
	}
	if err := json.Unmarshal([]byte(js), &report); err != nil {
		t.Fatalf("ansible-playbook output (%v):\n%s\n%s", err, out.String(), errb.String())
	}
	o := quietOutcome{exit: cmd.ProcessState.ExitCode(), failures: map[string]string{}, recap: map[string][5]int{}}
	for _, p := range report.Plays {
		for _, task := range p.Tasks {
			var lines []string
			for h, r := range task.Hosts {
				status := "ok"
				switch {
				case r.Unreachable:
					status = "unreachable"
				case r.Failed:
					status = "failed"
					o.failures[task.Task.Name+" "+h] = fmt.Sprint(r.Msg)
				case r.Skipped:
					status = "skipped"
				case r.Changed:
					status = "changed"
				}
				lines = append(lines, quietLine(task.Task.Name, h, status, r.Action, map[string]any{"msg": r.Msg}))
			}
			sort.Strings(lines)
			o.results = append(o.results, lines...)
		}
	}
	for h, s := range report.Stats {
		o.recap[h] = [5]int{s.Changed, s.Failures, s.Skipped, s.Rescued, s.Unreachable}
	}
	return o, true
}
