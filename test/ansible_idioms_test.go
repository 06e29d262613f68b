package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Playbooks written in Ansible's idioms, run by runbook and — when
// ansible-playbook is installed (RUNBOOK_REQUIRE_ANSIBLE=1 makes its
// absence a failure) — by Ansible too, whose recap must be the same.

// recapCounters matches one host's line of the PLAY RECAP, in runbook's and
// in Ansible's output alike.
var recapCounters = regexp.MustCompile(`(?m)^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$`)

// recap returns each host's recap counters ("ok=3 changed=1 …").
func recap(t *testing.T, out string) map[string]map[string]int {
	t.Helper()
	i := strings.LastIndex(out, "PLAY RECAP")
	if i < 0 {
		t.Fatalf("no PLAY RECAP in:\n%s", out)
	}
	hosts := map[string]map[string]int{}
	for _, m := range recapCounters.FindAllStringSubmatch(out[i:], -1) {
		counts := map[string]int{}
		for _, f := range strings.Fields(m[2]) {
			k, v, _ := strings.Cut(f, "=")
			counts[k], _ = strconv.Atoi(v)
		}
		hosts[m[1]] = counts
	}
	return hosts
}

// runIdioms runs site.yaml in dir (one play on localhost) with runbook,
// then with ansible-playbook when it is installed, and checks both exit
// with the same status and print the same recap. It returns runbook's run;
// extra are more arguments for runbook.
func runIdioms(t *testing.T, dir string, extra ...string) result {
	t.Helper()
	return runOracle(t, dir, "localhost ansible_connection=local\n", extra...)
}

// runOracle is runIdioms with the inventory hosts (written to dir/hosts,
// given to both tools), comparing the recap of every host Ansible lists.
func runOracle(t *testing.T, dir, hosts string, extra ...string) result {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts"}, extra...)...)
	if strings.Contains(r.stdout+r.stderr, "interface conversion") || strings.Contains(r.stdout+r.stderr, "panic") {
		t.Errorf("a Go panic text reached the user:\n%s", r)
	}
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
		}
		t.Log("ansible-playbook not installed: runbook's recap not compared with Ansible's")
		return r
	}
	cmd := exec.Command(bin, "-i", "hosts", "site.yaml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent",
		"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_DEPRECATION_WARNINGS=0")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	a := result{stdout: out.String(), code: cmd.ProcessState.ExitCode()}
	if (a.code == 0) != (r.code == 0) {
		t.Fatalf("runbook exit %d, ansible-playbook exit %d\n--- runbook\n%s\n--- ansible\n%s", r.code, a.code, r, a.stdout)
	}
	if a.code != 0 && a.code != 2 {
		t.Fatalf("ansible-playbook could not run the playbook:\n%s", a.stdout)
	}
	got, want := recap(t, r.stdout), recap(t, a.stdout)
	for host, counts := range want {
		if _, ok := got[host]; !ok {
			t.Errorf("runbook's recap lacks host %s\n--- runbook\n%s\n--- ansible\n%s", host, r, a.stdout)
		}
		for k, w := range counts {
			if g, ok := got[host][k]; ok && g != w {
				t.Errorf("recap %s %s: runbook %d, ansible %d\n--- runbook\n%s\n--- ansible\n%s", host, k, g, w, r, a.stdout)
			}
		}
	}
	return r
}

// TestYAML11BooleanConditions: conditions written as YAML 1.1 words
// (False, True, no, yes, On, OFF: the spellings Ansible's YAML accepts) are booleans,
// and not/and/or judge strings such as "yes" as Ansible does, without a Go
// panic text (issue 16, item 17).
func TestYAML11BooleanConditions(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    x: yes
    s: no
    empty: ""
  tasks:
    - name: changed_when False
      command: "true"
      changed_when: False
    - name: when no
      debug: {msg: never}
      when: no
    - name: when OFF
      debug: {msg: never}
      when: OFF
    - name: when On
      debug: {msg: on-ran}
      when: On
    - name: when not x
      debug: {msg: never}
      when: not x
    - name: when x and not s
      debug: {msg: x-and-not-s-ran}
      when: x and not s
    - name: when not empty
      debug: {msg: not-empty-ran}
      when: not empty
    - name: when list of words
      debug: {msg: list-ran}
      when: [yes, True, not False]
    - name: failed_when True
      command: "true"
      failed_when: True
    - name: not reached
      debug: {msg: never}
`})
	r := runIdioms(t, dir)
	if r.code != 2 {
		t.Fatalf("want exit 2 (failed_when: True fails the last task):\n%s", r)
	}
	mustContain(t, r, "on-ran", "x-and-not-s-ran", "not-empty-ran", "list-ran")
	if strings.Contains(r.stdout, "never") {
		t.Errorf("a task whose condition is false ran:\n%s", r)
	}
	got := recap(t, r.stdout)["localhost"]
	if got["ok"] != 5 || got["changed"] != 0 || got["failed"] != 1 || got["skipped"] != 3 {
		t.Errorf("recap %v, want ok=5 changed=0 failed=1 skipped=3\n%s", got, r)
	}
}

// TestJinjaIdioms: a playbook written as Ansible users write one — Jinja
// tests and filters without parentheses, inline if, ~, x.0, lookups —
// runs unchanged, with the same recap and the same file content as
// ansible-playbook gives.
func TestJinjaIdioms(t *testing.T) {
	dir := workdir(t, map[string]string{
		"files/motd": "welcome\n",
		"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    users:
      - {name: ann, uid: 1001, admin: true}
      - {name: bob, uid: 1002, admin: false}
    settings: {a: {x: 1}, b: 2}
    flag: "yes"
    version: "1.10.2"
    empty: ""
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - name: run a command
      command: echo hello
      register: r
      changed_when: r.rc != 0
    - name: reports unchanged
      debug: {msg: unchanged}
      when: r is not changed and r is succeeded
    - name: only on change
      debug: {msg: never}
      when: r is changed
    - name: tests and filters
      assert:
        that:
          - r is defined and r.stdout_lines | length == 1
          - r.stdout_lines.0 == 'hello'
          - r.stdout_lines | first | upper == 'HELLO'
          - nothing is not defined
          - flag | bool
          - not empty
          - "'' | int == 0"
          - "'41' | int + 1 == 42"
          - users | map(attribute='name') | join(',') == 'ann,bob'
          - users | selectattr('admin') | map(attribute='name') | list == ['ann']
          - users | rejectattr('uid', 'equalto', 1001) | map(attribute='name') | first == 'bob'
          - users | map(attribute='uid') | max == 1002
          - users | map(attribute='uid') | sum == 2003
          - "(settings | combine({'a': {'y': 2}}, recursive=true)).a.y == 2"
          - settings | dict2items | length == 2
          - "'a1b2' | regex_replace('[0-9]', '') == 'ab'"
          - version is version('1.9', '>')
          - "'ann' is in (users | map(attribute='name') | list)"
          - "'hello' is match('hel')"
          - "[1, 2] + [3] == [1, 2, 3]"
          - "('x' if flag | bool else 'y') == 'x'"
          - "'a' ~ 1 ~ 'b' == 'a1b'"
          - "lookup('env', 'HOME') | length > 0"
          - "lookup('file', 'motd') == 'welcome'"
          - "[3, 1, 2] | sort | first == 1"
          - "['b', 'a', 'b'] | unique | length == 2"
          - "7 // 2 == 3"
    - name: loop over a filtered list
      debug: {msg: "admin {{ item.name }}"}
      loop: "{{ users | selectattr('admin', 'equalto', true) | list }}"
    - name: write what the filters give
      copy:
        dest: "{{ out }}"
        content: "{{ users | map(attribute='name') | map('upper') | join('+') }} {{ 'on' if flag | bool else 'off' }} {{ settings.b | string ~ '!' }} {{ r.stdout_lines.0 }}\n"
`})
	r := runIdioms(t, dir, "-e", "runner_name=runbook")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r, "unchanged", "admin ann")
	if strings.Contains(r.stdout, "never") {
		t.Errorf("r is changed was true for an unchanged result:\n%s", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out-runbook"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "ANN+BOB on 2! hello\n" {
		t.Errorf("runbook wrote %q", data)
	}
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		ans, err := os.ReadFile(filepath.Join(dir, "out-ansible"))
		if err != nil || string(ans) != string(data) {
			t.Errorf("runbook wrote %q, ansible-playbook %q (%v)", data, ans, err)
		}
	}
}

// TestAnsibleNamesAndWithLoops: ansible.builtin.* and ansible.legacy.*
// module names and the with_* loop keywords run as in Ansible, giving the
// same items (compared through the file each run writes). Ansible keeps the
// directory's order of glob matches, runbook sorts them: the playbook's
// files are in sorted order (a mapping's order: mapping_order_test.go).
func TestAnsibleNamesAndWithLoops(t *testing.T) {
	dir := workdir(t, map[string]string{
		"files/b.conf": "b\n",
		"files/a.conf": "a\n",
		"files/x.txt":  "x\n",
		"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        users:
          - {name: ann, keys: [k1, k2]}
          - {name: bob, keys: [k3]}
        conf: {a: 1, b: 2}
    - name: with_dict
      ansible.builtin.debug: {msg: "{{ item.key }}={{ item.value }}"}
      with_dict: "{{ conf }}"
      register: d
    - name: with_list
      ansible.legacy.debug: {msg: "{{ item | length }}"}
      with_list: [[1, 2], [3]]
      register: l
    - name: with_indexed_items
      debug: {msg: "{{ item.0 }}:{{ item.1 }}"}
      with_indexed_items: [a, [b, c]]
      register: ix
    - name: with_together
      debug: {msg: "{{ item.0 }}-{{ item.1 }}"}
      with_together: [[1, 2], [x, y]]
      register: tg
    - name: with_subelements
      debug: {msg: "{{ item.0.name }}/{{ item.1 }}"}
      with_subelements:
        - "{{ users }}"
        - keys
      register: se
    - name: with_sequence
      debug: {msg: "{{ item }}"}
      with_sequence: start=1 end=9 stride=3 format=n%02d
      register: sq
    - name: with_fileglob
      debug: {msg: "{{ item | basename }}"}
      with_fileglob: ["a*.conf", "b*.conf", "*.none"]
      register: fg
    - name: write the items
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
        content: |
          {{ d.results | map(attribute='msg') | join(',') }}
          {{ l.results | map(attribute='msg') | join(',') }}
          {{ ix.results | map(attribute='msg') | join(',') }}
          {{ tg.results | map(attribute='msg') | join(',') }}
          {{ se.results | map(attribute='msg') | join(',') }}
          {{ sq.results | map(attribute='msg') | join(',') }}
          {{ fg.results | map(attribute='msg') | join(',') }}
`})
	r := runIdioms(t, dir, "-e", "runner_name=runbook")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out-runbook"))
	if err != nil {
		t.Fatal(err)
	}
	want := "a=1,b=2\n2,1\n0:a,1:b,2:c\n1-x,2-y\nann/k1,ann/k2,bob/k3\nn01,n04,n07\na.conf,b.conf\n"
	if string(data) != want {
		t.Errorf("runbook wrote %q, want %q", data, want)
	}
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		ans, err := os.ReadFile(filepath.Join(dir, "out-ansible"))
		if err != nil || string(ans) != string(data) {
			t.Errorf("runbook wrote %q, ansible-playbook %q (%v)", data, ans, err)
		}
	}
}

// TestIgnoredFailureCountsAsOK: a failure under ignore_errors is counted
// ignored, and ok (and changed when it changed) too, as ansible-core's
// recap counts it; the recap is compared with Ansible's when installed.
func TestIgnoredFailureCountsAsOK(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `- hosts: all
  gather_facts: false
  tasks:
    - name: fails, ignored, unchanged
      command: "false"
      changed_when: false
      ignore_errors: true
    - name: fails, ignored, changed
      command: "false"
      ignore_errors: true
    - name: fine
      command: "true"
      changed_when: false
`})
	r := runIdioms(t, dir)
	got := recap(t, r.stdout)["localhost"]
	if r.code != 0 || got["ok"] != 3 || got["changed"] != 1 || got["ignored"] != 2 || got["failed"] != 0 {
		t.Errorf("want ok=3 changed=1 ignored=2 failed=0, got %v\n%s", got, r)
	}
}
