package test

import "testing"

// TestFilterEdgesMatchAnsible: int, float and bool on input that does not
// convert give what ansible-core gives ('abc' | int is 0, 'maybe' | bool
// false, None | bool none, 2 | bool false), instead of failing the task;
// the asserts pass in both tools and the file each writes is the same.
func TestFilterEdgesMatchAnsible(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    nothing: null
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - name: conversions
      assert:
        that:
          - "'abc' | int == 0"
          - "'' | int == 0"
          - "'3.7' | int == 3"
          - "' 42 ' | int == 42"
          - "'0x1A' | int == 0"
          - "'0x1A' | int(base=16) == 26"
          - "'abc' | int(7) == 7"
          - "nothing | int == 0"
          - "'abc' | float == 0.0"
          - "'1.5x' | float(2.5) == 2.5"
          - "'' | float == 0"
          - "not ('maybe' | bool)"
          - "not ('Y' | bool)"
          - "not (2 | bool)"
          - "1 | bool"
          - "'yes' | bool"
          - "'On' | bool"
          - "not ('off' | bool)"
          - "nothing | bool is none"
          - "'' | default('d', true) == 'd'"
          - "0 | default('d', true) == 'd'"
          - "false | default('d', true) == 'd'"
          - "[] | default('d', true) == 'd'"
          - "'x' | default('d', true) == 'x'"
          - "undefined_thing | default('d', true) == 'd'"
    - name: write them
      copy:
        dest: "{{ out }}"
        content: "{{ 'abc' | int }} {{ '3.7' | int }} {{ '0x1A' | int }} {{ 'nope' | int(5) }} {{ 'x' | default('d', true) }} {{ '' | default('d', true) }}\n"
`})
	runIdiomsWriting(t, dir, "0 3 0 5 x d\n")
}
