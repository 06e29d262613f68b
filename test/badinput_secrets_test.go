package test

import (
	"strings"
	"testing"
)

// secretsPlay prints every secret it is given, in every way output can
// carry one: a debug of the variable and of hostvars, a message, a
// command's argv and stdout, an error message quoting it, a diff.
const secretsPlay = `- hosts: all
  gather_facts: false
  vars:
    users: [{name: bob, password: LISTPW454}]
    api_tokens: [LISTTOK565]
    tls: {key: "-----BEGIN PRIVATE KEY-----\nPEMBODY787\n-----END PRIVATE KEY-----\n"}
  tasks:
    - copy: {content: "{{ tls.key }}", dest: "$DIR/key.pem"}
    - debug: {var: "hostvars[inventory_hostname]"}
    - debug: {var: users}
    - debug: {var: api_tokens}
    - debug: {var: tls}
    - debug: {msg: "{{ db_password }} {{ api_token }} {{ my_secret }} {{ ansible_password }} {{ registry_password }}"}
    - command: "echo {{ db_password }}"
      ignore_errors: true
    - command: "echo {{ my_secret }} {{ api_token }}"
    - name: hidden
      command: echo NOLOGSECRET444
      no_log: true
    - copy: {content: "{{ registry_password }} {{ db_password }}\n", dest: "$DIR/out.txt"}
    - fail: {msg: "bad {{ db_password }} {{ api_token }}"}
      ignore_errors: true
`

// leaks lists the secret values found in s.
func leaks(s string, secrets []string) []string {
	var found []string
	for _, v := range secrets {
		if strings.Contains(s, v) {
			found = append(found, v)
		}
	}
	return found
}

// TestBadInputSecretsNeverPrinted: passwords, tokens, keys and registry
// credentials from a Clusterfile, an INI inventory, play vars (in lists,
// under any name when a PEM private key), -e key=value and -e @file never
// appear in the output, text or JSON, at any verbosity, even when they hold
// characters JSON or Go quoting escapes (a quote, a backslash, a newline,
// "<&>"); a no_log task's output is hidden.
func TestBadInputSecretsNeverPrinted(t *testing.T) {
	files := map[string]string{
		"site.yaml": secretsPlay,
		"Clusterfile": `apiVersion: sealer.io/v2
kind: Cluster
metadata: {name: c1}
spec:
  ssh: {passwd: CFPASS777, pkPasswd: PKPASS888}
  hosts:
    - ips: [127.0.0.1]
      roles: [master]
      ssh: {passwd: HOSTPASS000}
  registry:
    localRegistry: {username: admin, password: CFREGPASS121}
`,
		"hosts":   "[web]\nh1 ansible_connection=local ansible_password=INIPASS111 ansible_become_password=BECOMEPASS222\n[web:vars]\nregistry_password=REGPASS333\n",
		"sv.yaml": "db_password: \"Q<u&o\\\"te\\\\x\\ty\\nline2 of the password\"\n",
	}
	secrets := []string{"CFPASS777", "PKPASS888", "HOSTPASS000", "CFREGPASS121", "INIPASS111", "BECOMEPASS222", "REGPASS333",
		"NOLOGSECRET444", "LISTPW454", "LISTTOK565", "PEMBODY787", "TOKEN555", "SECRET666",
		"Q<u", `Q\u003cu`, "line2 of", "PEMBODY", `te\"`, `te\\\"`}
	for _, inv := range []string{"Clusterfile", "hosts"} {
		for _, extra := range [][]string{nil, {"-v"}, {"-vvvv"}, {"-vvvv", "--output", "json"}, {"--output", "json"}} {
			name := inv + " " + strings.Join(extra, " ")
			t.Run(name, func(t *testing.T) {
				dir := workdir(t, files)
				args := append([]string{"play", "site.yaml", "-i", inv, "--diff", "-e", "ansible_connection=local",
					"-e", "@sv.yaml", "-e", "api_token=TOKEN555", "-e", `{"my_secret": "SECRET666"}`}, extra...)
				r := runbook(t, dir, args...)
				noCrash(t, r)
				r2 := runbook(t, dir, args...) // again: the diff's "before" holds them now
				r.stdout += r2.stdout
				r.stderr += r2.stderr
				if !strings.Contains(r.stdout, "********") || !strings.Contains(r.stdout, "ok=") && !strings.Contains(r.stdout, `"ok":`) {
					t.Fatalf("the play did not run to the end with masked values\n%s", r)
				}
				if found := leaks(r.stdout+r.stderr, secrets); len(found) > 0 {
					t.Errorf("secrets %q appear in the output\n%s", found, r)
				}
			})
		}
	}
	r := runbook(t, workdir(t, files), "inventory", "-i", "Clusterfile", "--list")
	if found := leaks(r.stdout+r.stderr, secrets); r.code != 0 || len(found) > 0 {
		t.Errorf("inventory --list: exit %d, secrets %q in the output\n%s", r.code, found, r)
	}
}
