package test

import "testing"

// TestPythonBackreferences: lineinfile's backrefs and the regex_replace
// filter read \1, \g<1> and \g<name> as Python does, and a "$" in the
// replacement stays text (Go's regexp would expand $1); the file each tool
// writes is compared, as is the recap.
func TestPythonBackreferences(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - name: start file
      copy:
        dest: "{{ out }}"
        content: "bind=1.2.3.4:80\nuser=ann\nprice=12\n"
    - name: numbered and \g<1>
      lineinfile:
        path: "{{ out }}"
        regexp: '^bind=([^:]*):(\d+)$'
        line: 'bind=\g<1>:\g<2>0 # was \2'
        backrefs: true
    - name: named group, literal $
      lineinfile:
        path: "{{ out }}"
        regexp: '^user=(?P<who>\w+)$'
        line: 'user=\g<who> home=$HOME/\g<who> cost=$1'
        backrefs: true
    - name: a second run changes nothing
      lineinfile:
        path: "{{ out }}"
        regexp: '^user=(?P<who>\w+) home=.*$'
        line: 'user=\g<who> home=$HOME/\g<who> cost=$1'
        backrefs: true
    - name: no match with backrefs leaves the file alone
      lineinfile:
        path: "{{ out }}"
        regexp: '^absent=(.*)$'
        line: 'absent=\1'
        backrefs: true
    - name: regex_replace keeps $ as text
      lineinfile:
        path: "{{ out }}"
        line: "{{ 'price=12' | regex_replace('^(\\w+)=(\\d+)$', 'cost: $\\2 (\\g<1>) $1') }}"
`})
	runIdiomsWriting(t, dir, "bind=1.2.3.4:800 # was 80\nuser=ann home=$HOME/ann cost=$1\nprice=12\ncost: $12 (price) $1\n")
}

// TestReplaceModuleMatchesAnsible: the replace module gives the file
// ansible-playbook's replace gives: every match (multiline), Python group
// references, "$" as text, after/before sections; same recap.
func TestReplaceModuleMatchesAnsible(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - copy:
        dest: "{{ out }}"
        content: "[a]\nport=1\nbind 1.2.3.4:80\n[b]\nport=1\nx = 1\n# note\n[c]\nport=1\n"
    - name: only between [b] and [c]
      replace: {path: "{{ out }}", regexp: '^port=1$', replace: port=2, after: '\[b\]', before: '\[c\]'}
    - name: groups and a literal $
      replace: {path: "{{ out }}", regexp: '^bind [^:]+:(\d+)$', replace: 'bind 0.0.0.0:\1 $1'}
    - name: named groups
      ansible.builtin.replace: {path: "{{ out }}", regexp: '(?P<k>\w+) = (?P<v>\w+)', replace: '\g<k>=\g<v>'}
    - name: remove comment lines
      replace: {path: "{{ out }}", regexp: '^#.*\n'}
    - name: nothing to do
      replace: {path: "{{ out }}", regexp: '^absent$', replace: x}
`})
	runIdiomsWriting(t, dir, "[a]\nport=1\nbind 0.0.0.0:80 $1\n[b]\nport=2\nx=1\n[c]\nport=1\n")
}
