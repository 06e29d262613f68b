package schema_test

// Cases for the keyword forms of issue 18's last slice: remote_user, vars
// as a list of mappings, task-level any_errors_fatal, environment as an
// expression, loop_control.extended, import_playbook with when:, meta:
// reset_connection and strategy.

func init() {
	goodPlaybooks["remote_user on play, block and task"] = `
- hosts: all
  remote_user: admin
  tasks:
    - block:
        - command: id
          remote_user: "{{ login }}"
      remote_user: ops
`
	goodPlaybooks["import_playbook with when"] = "- import_playbook: other.yaml\n  when: flag | bool\n  vars: {a: 1}\n"
	badPlaybooks["import_playbook when a mapping"] = "- import_playbook: other.yaml\n  when: {a: 1}\n"
	badPlaybooks["import_playbook vars a list"] = "- import_playbook: other.yaml\n  vars: [{a: 1}]\n"
	goodPlaybooks["vars as a list of mappings"] = `
- hosts: all
  vars: [{a: 1}, {b: 2}]
  tasks:
    - debug: {msg: hi}
      vars:
        - {c: 3}
`
	badPlaybooks["vars list of a scalar"] = "- hosts: all\n  vars: [{a: 1}, b]\n"
	goodPlaybooks["any_errors_fatal on block and task"] = play("    - block:\n        - command: id\n          any_errors_fatal: no\n      any_errors_fatal: true\n")
	badPlaybooks["any_errors_fatal not a bool"] = play("    - command: id\n      any_errors_fatal: always\n")
	goodPlaybooks["environment as an expression"] = "- hosts: all\n  environment: \"{{ proxy_env }}\"\n  tasks:\n    - command: id\n      environment: \"{{ e | default({}) }}\"\n"
	badPlaybooks["environment a plain string"] = play("    - command: id\n      environment: LANG=C\n")
	goodPlaybooks["loop_control extended"] = play("    - debug: {msg: hi}\n      loop: [1]\n      loop_control: {extended: true, extended_allitems: no, label: x}\n")
	badPlaybooks["loop_control extended not a bool"] = play("    - debug: {msg: hi}\n      loop: [1]\n      loop_control: {extended: full}\n")
	goodPlaybooks["meta reset_connection"] = play("    - meta: reset_connection\n      when: x is defined\n")
	goodPlaybooks["strategy linear"] = "- hosts: all\n  strategy: linear\n"
	badPlaybooks["strategy free"] = "- hosts: all\n  strategy: free\n"
	badPlaybooks["remote_user a list"] = play("    - debug: {msg: hi}\n      remote_user: [a]\n")
}
