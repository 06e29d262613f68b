package runner_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner"
)

// TestWithLoops: each with_* keyword gives Ansible's items, from literal
// and templated values; the items of one task are checked through its
// registered results.
func TestWithLoops(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  vars:
    conf: {b: 2, a: 1}
    users: [{name: ann, keys: [k1, k2]}, {name: bob}]
    seq_end: 3
  tasks:
    - {name: dict, debug: {msg: "{{ item.key }}={{ item.value }}"}, with_dict: "{{ conf }}", register: r_dict}
    - {name: list, debug: {msg: x}, with_list: [[1, 2], 3], register: r_list}
    - {name: indexed, debug: {msg: x}, with_indexed_items: [a, [b, c]], register: r_ix}
    - {name: together, debug: {msg: x}, with_together: [[1, 2, 3], [a]], register: r_tg}
    - name: subelements
      debug: {msg: "{{ item.0.name }}/{{ item.1 }}"}
      with_subelements: ["{{ users }}", keys, {skip_missing: true}]
      register: r_se
    - {name: sequence, debug: {msg: x}, with_sequence: "start=0 end={{ seq_end }} stride=2", register: r_sq}
    - {name: count, debug: {msg: x}, with_sequence: "count=3 format=host%02x", register: r_ct}
    - {name: short, debug: {msg: x}, with_sequence: "start=10 end=6 stride=-2", register: r_sh}
    - {name: glob, debug: {msg: x}, with_fileglob: "*.conf", register: r_fg}
    - name: show
      debug:
        msg: >-
          {{ r_dict.results | map(attribute='msg') | join(',') }}
          {{ r_list.results | map(attribute='item') | to_json }}
          {{ r_ix.results | map(attribute='item') | to_json }}
          {{ r_tg.results | map(attribute='item') | to_json }}
          {{ r_se.results | map(attribute='msg') | join(',') }}
          {{ r_sq.results | map(attribute='item') | join(',') }}
          {{ r_ct.results | map(attribute='item') | join(',') }}
          {{ r_sh.results | map(attribute='item') | join(',') }}
          {{ r_fg.results | map(attribute='item') | map('basename') | join(',') }}
`, files: map[string]string{"files/b.conf": "", "files/a.conf": "", "files/c.txt": ""}}.do(t)
	want := strings.Join([]string{
		"b=2,a=1", // with_dict: the YAML order, as Ansible
		`[[1,2],3]`, `[[0,"a"],[1,"b"],[2,"c"]]`, `[[1,"a"],[2,null],[3,null]]`,
		"ann/k1,ann/k2", "0,2", "host01,host02,host03", "10,8,6", "a.conf,b.conf",
	}, " ")
	if got := msgOf(rec.result(t, "show", "h1")); got != want {
		t.Errorf("items:\n got %s\nwant %s", got, want)
	}
}

// TestWithLoopErrors: a with_* value of the wrong shape fails the task
// naming the keyword.
func TestWithLoopErrors(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  vars: {notamap: [1], users: [{name: ann}]}
  tasks:
    - {name: dict, debug: {msg: x}, with_dict: "{{ notamap }}", ignore_errors: true}
    - {name: sub, debug: {msg: x}, with_subelements: ["{{ users }}", keys], ignore_errors: true}
    - {name: seq, debug: {msg: x}, with_sequence: "start={{ 'a' }} end=2", ignore_errors: true}
`}.do(t)
	for task, want := range map[string]string{
		"dict": "with_dict: expected a mapping, got",
		"sub":  `with_subelements: item 0 has no key "keys" (add {skip_missing: true}`,
		"seq":  `with_sequence: start: "a" is not a whole number`,
	} {
		if got := msgOf(rec.result(t, task, "h1")); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", task, got, want)
		}
	}
}

// TestSetFactInALoopSeesEarlierItems: each item of a set_fact loop sees the
// facts the items before it set, so a list can be built up as Ansible users
// do (found by the conformance suite, case loops: runbook kept only the
// last item's); a variable given with -e still wins over the fact.
func TestSetFactInALoopSeesEarlierItems(t *testing.T) {
	_, rec := run{playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - set_fact:
        pairs: "{{ pairs | default([]) + [item.0 ~ ':' ~ item.1] }}"
        fixed: "{{ item.0 }}"
      with_together:
        - [a, b, c]
        - [1, 2, 3]
    - name: show
      debug: {msg: "{{ pairs | join(',') }} {{ fixed }}"}
`, opts: runner.Options{ExtraVars: map[string]any{"fixed": "extra"}}}.do(t)
	if got := msgOf(rec.result(t, "show", "h1")); got != "a:1,b:2,c:3 extra" {
		t.Errorf("msg = %q, want %q", got, "a:1,b:2,c:3 extra")
	}
}
