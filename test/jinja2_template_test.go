package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Jinja2 templates (.j2) render as Ansible renders them: loops and
// conditions with trim_blocks, dictsort, filters Ansible adds (bool,
// to_json, basename, regex_replace with a \1 reference), map/first/length,
// include. The file written is byte for byte the one ansible-playbook
// writes (the expected text below is what ansible-core 2.14 wrote; when
// ansible-playbook is installed, it is run too and compared). --check
// --diff predicts the change and writes nothing.
func TestJinja2TemplateMatchesAnsible(t *testing.T) {
	dir := workdir(t, map[string]string{"app.conf.j2": jinja2Template, "footer.j2": jinja2Footer, "site.yaml": jinja2Site})
	out := filepath.Join(dir, "runbook.conf")
	r := runbook(t, dir, "play", "site.yaml", "-i", "localhost,", "-e", "out="+out)
	mustExit(t, r, 0, "template .j2")
	if got := readFile(t, out); got != jinja2Want {
		t.Errorf("rendered:\n%q\nwant (ansible-core 2.14):\n%q", got, jinja2Want)
	}
	mustBeIdempotent(t, runbook(t, dir, "play", "site.yaml", "-i", "localhost,", "-e", "out="+out), "template .j2")

	r = runbook(t, dir, "play", "site.yaml", "-i", "localhost,", "-e", "out="+out, "-e", "app_name=other", "--check", "--diff")
	mustExit(t, r, 0, "template .j2 --check --diff")
	mustContain(t, r, "-# DEMO — managed", "+# OTHER — managed", "changed: [localhost]")
	if got := readFile(t, out); got != jinja2Want {
		t.Error("--check wrote the file")
	}

	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
		}
		return
	}
	aout := filepath.Join(dir, "ansible.conf")
	cmd := exec.Command(bin, "-i", "localhost,", "-c", "local", "site.yaml", "-e", "out="+aout)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("ansible-playbook failed:\n%s", log.String())
	}
	if a := readFile(t, aout); a != readFile(t, out) {
		t.Errorf("ansible-playbook wrote:\n%q\nrunbook wrote:\n%q", a, readFile(t, out))
	}
}

const jinja2Template = "# {{ app_name | upper }} — managed\n{% for u in users %}\nuser {{ u.name }} {{ u.uid }}{% if u.admin | default(false) %} admin{% endif %}\n\n{% endfor %}\n{% if enabled | bool %}\nenabled = yes\n{% else %}\nenabled = no\n{% endif %}\n    {% for k, v in settings | dictsort %}\n    {{ k }} = {{ v }}\n    {% endfor %}\nports: {{ ports | join(',') }}\njson: {{ ports | to_json }}\nfirst: {{ users | map(attribute='name') | first }}\ncount: {{ users | length }}\npath: {{ '/a/b/c.txt' | basename }}\nre: {{ 'host-01' | regex_replace('^host-([0-9]+)$', 'node\\\\1') }}\n{% include 'footer.j2' %}\n"

const jinja2Footer = "# footer {{ app_name }}\n"

const jinja2Site = "- hosts: all\n  gather_facts: false\n  vars:\n    app_name: demo\n    enabled: \"yes\"\n    ports: [80, 443]\n    settings: {b: 2, a: 1}\n    users:\n      - {name: ann, uid: 1001, admin: true}\n      - {name: bob, uid: 1002}\n  tasks:\n    - template: {src: app.conf.j2, dest: \"{{ out }}\"}\n"

const jinja2Want = "# DEMO — managed\nuser ann 1001 admin\nuser bob 1002\nenabled = yes\n        a = 1\n        b = 2\n    ports: 80,443\njson: [80, 443]\nfirst: ann\ncount: 2\npath: c.txt\nre: node01\n# footer demo\n"
