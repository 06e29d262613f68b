package test

import (
	"strings"
	"testing"
)

// secretFormsPlay shows, task by task, each secret the hardening review
// (issue 16) found printed in clear: task and block vars, a templated
// value, a map under a secret name, a loop item's password, numbers, a
// secret holding ' shell-quoted by quote() (in a -vvv EXEC line and a
// failed task's cmd), a Secret's data reused in a command, a literal in
// environment: (in the -vvv EXEC line), and, from the
// inventory, names like db_credentials and pass.
const secretFormsPlay = `- hosts: all
  gather_facts: false
  vars:
    base: BASE4421
    api_token: "tok-{{ base }}"
    api_tokens: {github: GHTOK7781}
    app_password: 55512345
    q_password: "it's-QPW9931"
    kube_val: "it's-KUBEDATA5521"
  tasks:
    - debug: {var: "hostvars[inventory_hostname]"}
    - debug: {msg: "{{ api_token }} {{ api_tokens }} {{ app_password }} {{ vault_token }}"}
    - debug: {msg: "{{ db_password }} {{ db_credentials }} {{ pass }}"}
    - debug: {var: api_tokens}
    - debug: {msg: "{{ tv_password }}"}
      vars: {tv_password: TASKVARPW1}
    - block:
        - debug: {msg: "{{ bv_secret }}"}
      vars: {bv_secret: BLOCKVARPW2}
    - debug: {msg: "{{ item.name }}"}
      loop: [{name: alice, password: LOOPPW3X}]
    - shell: "echo {{ q_password | quote() }}"
    - shell: "false {{ q_password | quote() }}"
      ignore_errors: true
    - command: "false {{ api_token }} {{ app_password }}"
      ignore_errors: true
      environment: {DB_PASSWORD: ENVPW6610}
    - secret: {name: s1, namespace: default, data: {k: "{{ kube_val }}"}}
      ignore_errors: true
    - shell: "false {{ kube_val | quote() }}"
      ignore_errors: true
    - copy:
        content: "{{ app_password }} {{ q_password }} {{ api_token }} {{ api_tokens.github }} {{ tv_password }}\n"
        dest: "$DIR/out.txt"
      vars: {tv_password: TASKVARPW1}
    - fail: {msg: "{{ tv_password }} {{ app_password }} {{ q_password | quote() }}"}
      vars: {tv_password: TASKVARPW1}
      ignore_errors: true
`

// TestSecretsMaskedInEveryForm: every secret of secretFormsPlay stays
// masked at the default verbosity, -vvv and -vvvv, in text and JSON, and
// in --diff, before and after; the inventory listing masks the same names
// (one rule for both).
func TestSecretsMaskedInEveryForm(t *testing.T) {
	files := map[string]string{
		"site.yaml": secretFormsPlay,
		"hosts":     "[web]\nh1 ansible_connection=local db_password=93847561 db_credentials=CREDS4096 pass=PASSVAL99\n",
		// The copy task replaces it: its diff shows these before the new ones.
		"out.txt": "old 55512345 it's-QPW9931 tok-BASE4421 GHTOK7781 TASKVARPW1\n",
	}
	secrets := []string{"tok-BASE4421", "GHTOK7781", "55512345", "93847561", "CREDS4096", "PASSVAL99", "TASKVARPW1",
		"BLOCKVARPW2", "LOOPPW3X", "QPW9931", "KUBEDATA5521", "77123456", "ENVPW6610"}
	for _, extra := range [][]string{nil, {"-vvv"}, {"-vvvv"}, {"--output", "json"}, {"-vvvv", "--output", "json"}} {
		t.Run(strings.Join(append([]string{"default"}, extra...), " "), func(t *testing.T) {
			dir := workdir(t, files)
			args := append([]string{"play", "site.yaml", "-i", "hosts", "--diff", "-e", `{"vault_token": 77123456}`}, extra...)
			r := runbook(t, dir, args...)
			noCrash(t, r)
			if r.code != 0 || !strings.Contains(r.stdout, "********") || !strings.Contains(r.stdout, "ignored=5") && !strings.Contains(r.stdout, `"ignored":5`) {
				t.Fatalf("the play did not run to its end (5 ignored failures) with masked values\n%s", r)
			}
			if found := leaks(r.stdout+r.stderr, secrets); len(found) > 0 {
				t.Errorf("secrets %q appear in the output\n%s", found, r)
			}
		})
	}
	for _, mode := range [][]string{{"--list"}, {"--host", "h1"}} {
		r := runbook(t, workdir(t, files), append([]string{"inventory", "-i", "hosts"}, mode...)...)
		if found := leaks(r.stdout+r.stderr, secrets); r.code != 0 || len(found) > 0 || !strings.Contains(r.stdout, "********") {
			t.Errorf("inventory %v: exit %d, secrets %q in the output\n%s", mode, r.code, found, r)
		}
	}
}

// TestMalformedExtraVarsNeverEchoed: a mistyped -e is a usage error
// (exit 5) whose message names the variable, never the value it holds:
// -e is how passwords reach a run.
func TestMalformedExtraVarsNeverEchoed(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": okPlay, "hosts": localHosts})
	for _, e := range []string{
		"ansible_become_password=correct horse-battery-staple",
		"ansible_become_password='correct horse-battery-staple",
		"ansible_become_password=correct\\",
		`{"ansible_become_password": "correct horse-battery-staple}`,
		`{"ansible_become_password": [correct horse-battery-staple`,
	} {
		r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-e", e)
		noCrash(t, r)
		if r.code != 5 || !strings.Contains(r.stderr, "ERROR: -e") {
			t.Errorf("-e %q: want a usage error (exit 5)\n%s", e, r)
		}
		if found := leaks(r.stdout+r.stderr, []string{"correct", "horse", "battery", "staple"}); len(found) > 0 {
			t.Errorf("-e %q: the error shows %q\n%s", e, found, r)
		}
	}
}
