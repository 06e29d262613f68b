package test

import "testing"

// TestJinjaStatementsInValues: {% if %}, {% for %}, {% set %}, {% raw %}
// and whitespace control inside task arguments, a debug msg and set_fact
// values render as ansible-playbook renders them (compared through the
// file each run writes) instead of being refused.
func TestJinjaStatementsInValues(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    users:
      - {name: ann, admin: true}
      - {name: bob, admin: false}
    flag: "yes"
    greeting: "{% if flag | bool %}hello{% else %}bye{% endif %}"
    out: "{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}"
  tasks:
    - name: build a value with statements
      set_fact:
        admins: "{% for u in users if u.admin %}{{ u.name }}{% endfor %}"
        names: "{% for u in users %}{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}"
        mode: "{% if flag | bool %}on{% else %}off{% endif %}"
    - name: a message with an if
      debug:
        msg: "{% if names | length > 3 %}many: {{ names }}{% else %}few{% endif %}"
    - name: a command argument with an if
      command: echo {% if mode == 'on' %}enabled{% else %}disabled{% endif %}
      register: echoed
      changed_when: false
    - name: write what they give
      copy:
        dest: "{{ out }}"
        content: |
          {% set total = users | length %}
          {{ greeting }} names={{ names }} mode={{ mode }} total={{ total }} echo={{ echoed.stdout }}
          {% for u in users %}
          {{ loop.index }}. {{ u.name }}
          {% endfor %}
          [ {%- for u in users -%} {{ u.name | upper }} {%- endfor -%} ]
          {# a comment #}
          docker ps --format '{% raw %}{{.Names}} {{.Status}}{% endraw %}'
          end
`})
	r := runIdiomsWriting(t, dir, "hello names=ann,bob mode=on total=2 echo=enabled\n1. ann\n2. bob\n[ANNBOB]\ndocker ps --format '{{.Names}} {{.Status}}'\nend\n")
	mustContain(t, r, "many: ann,bob")
}
