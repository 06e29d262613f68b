package test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	r := runbook(t, t.TempDir(), "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "runbook ") {
		t.Fatal(r)
	}
}

func TestPlayOutputShapeAndRecap(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": `
- name: demo
  hosts: web
  gather_facts: false
  tasks:
    - name: say
      debug: {msg: "hello {{ inventory_hostname }}"}
    - name: change
      command: "true"
    - name: skip me
      command: "true"
      when: false
`})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if r.code != 0 {
		t.Fatal(r)
	}
	mustContain(t, r, "PLAY [demo] ****", "TASK [say] ****", "ok: [h1] => {\n    \"msg\": \"hello h1\"\n}", "changed: [h2]", "skipping: [h1]", "PLAY RECAP ****")
	// The recap line format is a public API: tools grep changed=[1-9].
	recap := regexp.MustCompile(`(?m)^h1 {24} : ok=2    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   $`)
	if !recap.MatchString(r.stdout) {
		t.Errorf("recap line not in Ansible's format:\n%s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "TASK [") && len(line) != 80 {
			t.Errorf("banner is %d characters, want 80 without a terminal: %q", len(line), line)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour codes in piped output")
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name, playbook, inventory string
		args                      []string
		code                      int
		want                      string
	}{
		{"success", "- hosts: web\n  gather_facts: false\n  tasks: [{command: 'true'}]\n", localHosts, nil, 0, "ok=1"},
		{"host failed", "- hosts: web\n  gather_facts: false\n  tasks: [{command: 'false'}]\n", localHosts, nil, 2, "failed=1"},
		{"unreachable wins", "- hosts: all\n  gather_facts: false\n  tasks: [{command: 'false'}]\n", "h1 ansible_connection=local\nh2 ansible_connection=nope\n", nil, 4, "UNREACHABLE!"},
		{"invalid playbook", "- hosts: web\n  tasks: [{debug: {}, bogus: 1}]\n", localHosts, nil, 3, "site.yaml:2:23"},
		{"invalid inventory", "- hosts: web\n  tasks: []\n", "[web\nh1\n", nil, 3, "hosts:1"},
		{"bad extra vars file", "- hosts: web\n  tasks: []\n", localHosts, []string{"-e", "@missing.yaml"}, 3, "missing.yaml"},
		{"bad flag", "- hosts: web\n  tasks: []\n", localHosts, []string{"--no-such-flag"}, 5, "unknown flag"},
		{"bad output", "- hosts: web\n  tasks: []\n", localHosts, []string{"--output", "xml"}, 5, "text or json"},
		{"ignored failure", "- hosts: web\n  gather_facts: false\n  tasks: [{command: 'false', ignore_errors: true}]\n", localHosts, nil, 0, "...ignoring"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := workdir(t, map[string]string{"site.yaml": tc.playbook, "hosts": tc.inventory})
			r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts"}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r)
			}
			mustContain(t, r, tc.want)
		})
	}
	r := runbook(t, t.TempDir(), "play", "nope.yaml")
	if r.code != 3 || !strings.Contains(r.stderr, "nope.yaml") {
		t.Errorf("missing playbook: %s", r)
	}
	if r := runbook(t, t.TempDir(), "play"); r.code != 5 {
		t.Errorf("missing argument: %s", r)
	}
}

func TestSyntaxCheckAndListings(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts + "[db]\nd1 ansible_connection=local\n", "site.yaml": `
- name: web play
  hosts: web:db
  tags: play
  tasks:
    - {name: a, debug: {}, tags: [web]}
    - name: blk
      block:
        - {name: b, debug: {}, tags: [db, always]}
    - {name: c, debug: {}, tags: never}
`})
	r := runbook(t, dir, "play", "site.yaml", "--syntax-check")
	if r.code != 0 || !strings.Contains(r.stdout, "playbook: site.yaml") {
		t.Errorf("syntax check: %s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--list-tasks")
	mustContain(t, r, "play #1 (web:db): web play\tTAGS: [play]", "      a\tTAGS: [play, web]", "      b\tTAGS: [always, db, play]")
	if strings.Contains(r.stdout, "      c\t") {
		t.Errorf("a never-tagged task is not listed by default:\n%s", r.stdout)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--list-hosts", "-l", "h2:d1")
	mustContain(t, r, "pattern: ['web:db']", "hosts (2):", "      h2\n", "      d1\n")
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--list-tasks", "--tags", "web")
	if !strings.Contains(r.stdout, "      a\t") || strings.Contains(r.stdout, "      c\t") {
		t.Errorf("--tags web listing:\n%s", r.stdout)
	}
}

func TestJSONOutput(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": "- hosts: web\n  gather_facts: false\n  tasks:\n    - {name: t, command: echo hi, register: r}\n"})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--output", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	types := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", sc.Text(), err)
		}
		types[ev["event"].(string)]++
		if ev["event"] == "host_result" {
			res := ev["result"].(map[string]any)
			if res["stdout"] != "hi" {
				t.Errorf("result stdout = %v", res["stdout"])
			}
		}
	}
	for typ, n := range map[string]int{"playbook_start": 1, "play_start": 1, "task_start": 1, "host_result": 2, "recap": 1} {
		if types[typ] != n {
			t.Errorf("%d %s events, want %d (all: %v)", types[typ], typ, n, types)
		}
	}
}

func TestExtraVarsForms(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "vars.yaml": "b: from-file\n", "site.yaml": `
- hosts: h1
  gather_facts: false
  vars: {a: play, b: play, c: play, n: 0}
  tasks:
    - {name: show, debug: {msg: "{{ a }} {{ b }} {{ c }} {{ n + 1 }}"}}
`})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-e", "a='from kv'", "-e", "@vars.yaml", "-e", `{"c": "from-json", "n": 41}`)
	mustContain(t, r, `"msg": "from kv from-file from-json 42"`)
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-e", "novalue")
	if r.code != 5 || !strings.Contains(r.stderr, "not key=value") { // usage, as the README says
		t.Errorf("bad -e: %s", r)
	}
}

func TestDefaultClusterfileInventory(t *testing.T) {
	dir := workdir(t, map[string]string{
		"Clusterfile": "apiVersion: sealer.io/v2\nkind: Cluster\nmetadata: {name: c1}\nspec:\n  hosts:\n    - {ips: [127.0.0.1], roles: [master]}\n",
		"site.yaml":   "- hosts: master0\n  gather_facts: false\n  tasks: [{name: show, debug: {msg: '{{ registry_domain }}:{{ registry_port }} {{ rootfs }}'}}]\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "--list-hosts", "-v")
	mustContain(t, r, "using inventory ./Clusterfile", "hosts (1):", "127.0.0.1")
	r = runbook(t, dir, "inventory", "--graph")
	mustContain(t, r, "@master0", "127.0.0.1")
}

func TestInterruptPrintsRecapAndExits130(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": `
- hosts: web
  gather_facts: false
  tasks:
    - {name: slow, shell: "touch $DIR/started; sleep 1"}
    - {name: never started, command: "true"}
`})
	cmd := exec.Command(bin, "play", "site.yaml", "-i", "hosts")
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the task never started:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 130 {
		t.Errorf("exit %d (%v), want 130:\n%s", code, err, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "changed: [h1]") || strings.Contains(s, "TASK [never started]") || !strings.Contains(s, "PLAY RECAP") {
		t.Errorf("running task should finish, no new task start, recap printed:\n%s", s)
	}
}

func TestSecretsNeverPrintedAtAnyVerbosity(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts":     "[web]\nh1 ansible_connection=local ansible_become_password=B3c0meSecret\n",
		"site.yaml": "- hosts: web\n  tasks:\n    - {name: leak, shell: 'echo {{ ansible_become_password }} {{ db_password }}'}\n    - {name: fail, fail: {msg: 'bad {{ db_password }}'}}\n",
	})
	for _, v := range []string{"-v", "-vvvv"} {
		for _, out := range []string{"text", "json"} {
			r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", v, "--output", out, "-e", "db_password=Extr4Secret")
			for _, secret := range []string{"B3c0meSecret", "Extr4Secret"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("%s %s printed a secret:\n%s", v, out, r)
				}
			}
		}
	}
}
