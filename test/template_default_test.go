package test

import (
	"os"
	"path/filepath"
	"testing"
)

// The README's template example {{ .name | default "x" }} was an error
// ("map has no entry for key") when the variable was missing (issue 16,
// item 20): default must supply its value.
func TestTemplateDefaultOfMissingVariable(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":     localHosts,
		"app.conf.tmpl": "name={{ .name | default \"x\" }} port={{ default 80 .port }} set={{ .set | default \"no\" }}\n",
		"site.yaml": `
- hosts: h1
  gather_facts: false
  vars: {set: "yes"}
  tasks:
    - template: {src: app.conf.tmpl, dest: "$DIR/app.conf"}
`,
	})
	if r := runbook(t, dir, "play", "site.yaml", "-i", "hosts.ini"); r.code != 0 {
		t.Fatalf("%s", r)
	}
	got, err := os.ReadFile(filepath.Join(dir, "app.conf"))
	if err != nil || string(got) != "name=x port=80 set=yes\n" {
		t.Errorf("app.conf = %q, %v", got, err)
	}
}
