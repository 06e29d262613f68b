package test

import (
	"testing"
)

// Keywords of issue 18's last slice, run with runbook and (when installed)
// ansible-playbook with the same recap: environment as an expression,
// loop_control.extended, import_playbook with when:, strategy.

// TestEnvironmentExpression: environment: "{{ proxy_env }}" on the play
// renders per host to a mapping (its values templated too), merged under
// the task's own expression.
func TestEnvironmentExpression(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    proxy_env: {RB_A: "{{ a }}", RB_B: play}
    a: one
  environment: "{{ proxy_env }}"
  tasks:
    - name: show
      command: sh -c 'echo $RB_A-$RB_B-$RB_C'
      environment: "{{ {'RB_B': 'task', 'RB_C': 'c'} }}"
      register: r
    - assert: {that: ["r.stdout == 'one-task-c'"]}
`})
	if r := runIdioms(t, dir); r.code != 0 {
		t.Fatalf("%s", r)
	}
}

// TestEnvironmentExpressionNotAMapping: an expression that renders to
// something else fails the task with a message naming the host, the task
// and its file:line (Ansible warns and drops the whole environment).
func TestEnvironmentExpressionNotAMapping(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars: {notmap: just text}
  tasks:
    - name: bad env
      command: "true"
      environment: "{{ notmap }}"
`, "hosts": "localhost ansible_connection=local\n"})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r)
	}
	mustContain(t, r, "fatal: [localhost]", `task \"bad env\" (site.yaml:6:7)`, `\"{{ notmap }}\" gave the string \"just text\", not a mapping`)
	// A string without {{ }} is a parse error at its line.
	dir = workdir(t, map[string]string{"site.yaml": "- hosts: all\n  environment: LANG=C\n  tasks: []\n"})
	r = runbook(t, dir, "play", "site.yaml", "-i", "localhost,")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, r)
	}
	mustContain(t, r, "site.yaml:2:16: environment must be a mapping")
}

// TestLoopControlExtended: loop_control.extended gives ansible_loop's
// revindex, revindex0, previtem, nextitem and allitems (left out with
// extended_allitems: false), and each item's result holds ansible_loop.
func TestLoopControlExtended(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - name: ext
      assert:
        that:
          - "ansible_loop.index == ansible_loop.index0 + 1"
          - "ansible_loop.revindex == 3 - ansible_loop.index0"
          - "ansible_loop.revindex0 == 2 - ansible_loop.index0"
          - "ansible_loop.length == 3"
          - "ansible_loop.first == (item == 'a')"
          - "ansible_loop.last == (item == 'c')"
          - "(ansible_loop.previtem | default('none')) == {'a': 'none', 'b': 'a', 'c': 'b'}[item]"
          - "(ansible_loop.nextitem | default('none')) == {'a': 'b', 'b': 'c', 'c': 'none'}[item]"
          - "ansible_loop.allitems == ['a', 'b', 'c']"
      loop: [a, b, c]
      loop_control: {extended: true}
      register: r
    - name: without allitems
      assert: {that: ["ansible_loop.allitems is not defined", "ansible_loop.revindex0 >= 0"]}
      loop: [x, y]
      loop_control: {extended: yes, extended_allitems: false}
    - assert:
        that: "r.results | map(attribute='ansible_loop') | map(attribute='revindex') | list == [3, 2, 1]"
`})
	if r := runIdioms(t, dir); r.code != 0 {
		t.Fatalf("%s", r)
	}
}

// TestImportPlaybookWhen: an import_playbook's when: applies to every task
// of the imported plays (pre_tasks, blocks, tasks with their own when:) and
// to their fact gathering; its vars: are the plays' too. h2, where the
// condition is false, skips all four; the play after the import runs on
// both.
func TestImportPlaybookWhen(t *testing.T) {
	dir := workdir(t, map[string]string{
		"site.yaml": `
- import_playbook: inner.yaml
  when: flag | bool
  vars: {from_import: yes}
- hosts: all
  gather_facts: false
  tasks:
    - {name: after, debug: {msg: after}}
`,
		"inner.yaml": `
- hosts: all
  pre_tasks:
    - {name: pre, debug: {msg: pre}}
  tasks:
    - block:
        - {name: in block, debug: {msg: "{{ from_import }}"}}
    - {name: own when, debug: {msg: own}, when: inventory_hostname == 'h1'}
`})
	r := runOracle(t, dir, "h1 ansible_connection=local flag=true\nh2 ansible_connection=local flag=no\n")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	mustContain(t, r, "h1                         : ok=5    changed=0", "h2                         : ok=1    changed=0    unreachable=0    failed=0    skipped=4")
}

// TestStrategy: strategy: linear runs (it is what runbook does, and the
// recap is Ansible's); free and the other strategies are refused before
// anything runs, naming file:line and saying runbook runs linear.
func TestStrategy(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": "- hosts: all\n  gather_facts: false\n  strategy: linear\n  tasks:\n    - debug: {msg: hi}\n"})
	if r := runIdioms(t, dir); r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, s := range []string{"free", "host_pinned", "debug", "mine"} {
		dir := workdir(t, map[string]string{"site.yaml": "- hosts: all\n  gather_facts: false\n  strategy: " + s + "\n  tasks:\n    - debug: {msg: hi}\n"})
		r := runbook(t, dir, "play", "site.yaml", "-i", "localhost,")
		if r.code != 3 {
			t.Fatalf("strategy %s: exit %d, want 3\n%s", s, r.code, r)
		}
		mustContain(t, r, "site.yaml:3:13: ", "strategy \""+s+"\"", "runbook runs plays with the linear strategy")
	}
}
