package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// section is the output of one task (or handler) banner up to the next
// banner: "TASK [name]" or "RUNNING HANDLER [name]".
func section(t *testing.T, out, banner string) string {
	t.Helper()
	i := strings.Index(out, banner+" *")
	if i < 0 {
		t.Errorf("no %q in the output:\n%s", banner, out)
		return ""
	}
	rest := out[i+len(banner):]
	if j := regexp.MustCompile(`\n(TASK|RUNNING HANDLER|PLAY) [\[A-Z*]`).FindStringIndex(rest); j != nil {
		rest = rest[:j[0]]
	}
	return rest
}

// inOrder checks that parts appear in out in this order.
func inOrder(t *testing.T, out string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(out[at:], p)
		if i < 0 {
			t.Errorf("%q missing or out of order (wanted: %q)\n%s", p, parts, out)
			return
		}
		at += i + len(p)
	}
}

const keywordHosts = "[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\n[db]\nd1 ansible_connection=local\n[web:vars]\ngv=group-web\n"

// keywordPlaybook uses every task keyword of the playbook language once.
const keywordPlaybook = `
- name: task keywords
  hosts: web
  gather_facts: false
  vars: {greeting: hello}
  pre_tasks:
    - {name: pre, command: "true", notify: pre handler}
  tasks:
    - name: loop control
      debug: {msg: "{{ i }}:{{ x }}"}
      loop: "{{ ['a', 'b'] }}"
      loop_control: {loop_var: x, index_var: i, label: "L-{{ x }}"}
      register: looped
    - name: loop results
      debug: {msg: "results={{ looped.results | map(#.msg) | join(',') }} items={{ looped.results | map(#.x) | join(',') }}"}
    - name: with items
      debug: {msg: "wi-{{ item }}"}
      with_items: [1, 2]
    - name: when list
      debug: {msg: "when-ran"}
      when: [true, "inventory_hostname == 'h2'"]
    - name: failed and changed when
      command: echo ERROR here
      register: fw
      failed_when: "'ERROR' in fw.stdout"
      changed_when: false
      ignore_errors: true
    - name: show fw
      debug: {msg: "fw.failed={{ fw.failed }} fw.changed={{ fw.changed }} rc={{ fw.rc }}"}
    - name: until
      shell: 'f=$DIR/n-{{ inventory_hostname }}; echo x >> $f; wc -l < $f'
      register: u
      until: u.stdout | trim() == "3"
      retries: 4
      delay: 0
    - name: show attempts
      debug: {msg: "attempts={{ u.attempts }} stdout={{ u.stdout | trim() }}"}
    - name: once
      command: echo once-{{ inventory_hostname }}
      run_once: true
      register: once
    - name: show once
      debug: {msg: "once={{ once.stdout }}"}
    - name: delegated
      command: echo "{{ inventory_hostname }}"
      delegate_to: d1
      register: dl
    - name: show delegated
      debug: {msg: "delegated={{ dl.stdout }}"}
    - name: blk
      block:
        - {name: boom, fail: {msg: boom}, when: inventory_hostname == 'h1'}
        - {name: after boom, debug: {msg: after-boom}}
      rescue:
        - {name: rescuer, debug: {msg: "rescued {{ inventory_hostname }}"}}
      always:
        - {name: finally, command: "true", notify: topic}
    - include_tasks: inc.yaml
      loop: [i1, i2]
    - import_tasks: imp.yaml
      tags: imported
    - name: env
      shell: echo "$A-$B"
      environment: {A: a1, B: "{{ greeting }}"}
      register: envr
    - name: show env
      debug: {msg: "env={{ envr.stdout }}"}
    - name: task check_mode
      command: touch $DIR/cm-{{ inventory_hostname }}
      check_mode: true
    - name: secret
      debug: {msg: "TopSecretValue"}
      no_log: true
    - name: become
      command: id -un
      become: true
      become_user: nobody
      register: who
    - name: show who
      debug: {msg: "who={{ who.stdout }}"}
    - name: task vars
      debug: {msg: "tv={{ tv }} gv={{ gv }}"}
      vars: {tv: "{{ greeting }}-task"}
    - name: magic
      debug: {msg: "{{ inventory_hostname }} groups={{ groups.web | join(',') }} play_hosts={{ play_hosts | join(',') }} hv={{ hostvars['h1'].gv }} check={{ ansible_check_mode }}"}
    - {name: always tagged, debug: {msg: always-ran}, tags: always}
    - {name: never tagged, debug: {msg: never-ran}, tags: never}
    - name: ignored
      command: "false"
      ignore_errors: true
    - meta: flush_handlers
    - {name: after flush, debug: {msg: after-flush}}
  post_tasks:
    - {name: post, command: "true", notify: post handler}
  handlers:
    - {name: pre handler, debug: {msg: pre-handler}}
    - {name: handler A, debug: {msg: handler-a}, listen: topic}
    - {name: handler B, debug: {msg: handler-b}, listen: topic}
    - {name: post handler, debug: {msg: post-handler}}
`

// TestEveryTaskKeyword runs a playbook using every task keyword through the
// binary and checks each one's effect, registered contents and the recap.
func TestEveryTaskKeyword(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts":     keywordHosts,
		"site.yaml": keywordPlaybook,
		"inc.yaml":  "- {name: included, debug: {msg: 'inc-{{ item }}'}}\n",
		"imp.yaml":  "- {name: imported, debug: {msg: imported-ran}}\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if r.code != 0 {
		t.Fatal(r)
	}
	out := r.stdout
	mustContain(t, r, "(item=L-a)", "(item=L-b)", "results=0:a,1:b items=a,b", "wi-1", "wi-2",
		"fw.failed=True fw.changed=False rc=0", "FAILED - RETRYING: [h1]: until (4 retries left).",
		"attempts=3 stdout=3", "delegated=h1", "delegated=h2", "env=a1-hello", "who=nobody",
		"tv=hello-task gv=group-web", "h2 groups=h1,h2 play_hosts=h1,h2 hv=group-web check=False",
		"always-ran", "imported-ran", "inc-i1", "inc-i2", "included: "+filepath.Join(dir, "inc.yaml")+" for h1, h2")
	if s := section(t, out, "TASK [when list]"); !strings.Contains(s, "skipping: [h1]") || !strings.Contains(s, "when-ran") {
		t.Errorf("when (a list is AND):\n%s", s)
	}
	if s := section(t, out, "TASK [failed and changed when]"); !strings.Contains(s, "fatal: [h1]: FAILED!") || !strings.Contains(s, "...ignoring") {
		t.Errorf("failed_when + ignore_errors:\n%s", s)
	}
	if s := section(t, out, "TASK [once]"); strings.Count(s, "changed: [") != 1 {
		t.Errorf("run_once runs on one host:\n%s", s)
	}
	if n := strings.Count(out, "once=once-h1"); n != 2 {
		t.Errorf("run_once's registered result is every host's (%d times):\n%s", n, out)
	}
	if s := section(t, out, "TASK [delegated]"); !strings.Contains(s, "[h1 -> d1]") || !strings.Contains(s, "[h2 -> d1]") {
		t.Errorf("delegate_to:\n%s", s)
	}
	if s := section(t, out, "TASK [rescuer]"); !strings.Contains(s, "rescued h1") || strings.Contains(s, "rescued h2") {
		t.Errorf("rescue runs for the failed host only:\n%s", s)
	}
	if s := section(t, out, "TASK [after boom]"); strings.Contains(s, "[h1]") || !strings.Contains(s, "[h2]") {
		t.Errorf("the rest of the block is skipped on the failed host:\n%s", s)
	}
	if s := section(t, out, "TASK [finally]"); !strings.Contains(s, "[h1]") || !strings.Contains(s, "[h2]") {
		t.Errorf("always runs for every host:\n%s", s)
	}
	if s := section(t, out, "TASK [task check_mode]"); !strings.Contains(s, "skipping: [h1]") {
		t.Errorf("check_mode: true on command skips it:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "cm-h1")); err == nil {
		t.Error("a check_mode task changed the host")
	}
	if strings.Contains(out, "TopSecretValue") || !strings.Contains(section(t, out, "TASK [secret]"), "censored") {
		t.Errorf("no_log:\n%s", section(t, out, "TASK [secret]"))
	}
	if strings.Contains(out, "never-ran") {
		t.Error("a never-tagged task ran")
	}
	if s := section(t, out, "TASK [ignored]"); strings.Count(s, "...ignoring") != 2 {
		t.Errorf("ignore_errors:\n%s", s)
	}
	// Handlers: once each, in definition order, at the end of each section
	// or at flush_handlers; listen topics notify every listener.
	inOrder(t, out, "TASK [pre]", "RUNNING HANDLER [pre handler]", "TASK [loop control]", "TASK [finally]",
		"TASK [ignored]", "RUNNING HANDLER [handler A]", "RUNNING HANDLER [handler B]", "TASK [after flush]",
		"TASK [post]", "RUNNING HANDLER [post handler]", "PLAY RECAP")
	for _, h := range []string{"pre handler", "handler A", "handler B", "post handler"} {
		if n := strings.Count(out, "RUNNING HANDLER ["+h+"]"); n != 1 {
			t.Errorf("handler %q ran %d times", h, n)
		}
	}
	// (an ignored failure that changed counts as changed too, as in ansible-core)
	for host, counters := range map[string]string{
		"h1": "changed=9    unreachable=0    failed=0    skipped=2    rescued=1    ignored=2",
		"h2": "changed=8    unreachable=0    failed=0    skipped=2    rescued=0    ignored=2",
	} {
		if !regexp.MustCompile(`(?m)^` + host + ` +: ok=\d+ +` + counters + ` +$`).MatchString(out) {
			t.Errorf("recap of %s lacks %q:\n%s", host, counters, out)
		}
	}
	if strings.Contains(out, "\nd1 ") {
		t.Errorf("the delegate is not a play host and has no recap line:\n%s", out)
	}
}

// TestTaskSelectionFlags: --tags, --skip-tags, --start-at-task, --check and
// --limit on the keyword playbook.
func TestTaskSelectionFlags(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts":     keywordHosts,
		"site.yaml": keywordPlaybook,
		"inc.yaml":  "- {name: included, debug: {msg: 'inc-{{ item }}'}}\n",
		"imp.yaml":  "- {name: imported, debug: {msg: imported-ran}}\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--tags", "imported")
	if r.code != 0 || !strings.Contains(r.stdout, "imported-ran") || !strings.Contains(r.stdout, "always-ran") || strings.Contains(r.stdout, "TASK [show who]") {
		t.Errorf("--tags imported runs the imported task and always-tagged ones only:\n%s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--skip-tags", "imported,always", "--tags", "all,never")
	if r.code != 0 || strings.Contains(r.stdout, "imported-ran") || strings.Contains(r.stdout, "always-ran") || !strings.Contains(r.stdout, "never-ran") {
		t.Errorf("--skip-tags / --tags never:\n%s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--start-at-task", "imported")
	if r.code != 0 || strings.Contains(r.stdout, "TASK [loop control]") || !strings.Contains(r.stdout, "imported-ran") || !strings.Contains(r.stdout, "TASK [show who]") {
		t.Errorf("--start-at-task into an imported file:\n%s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--check", "-l", "h2", "--start-at-task", "magic")
	if r.code != 0 || !strings.Contains(r.stdout, "check=True") || strings.Contains(r.stdout, "[h1]") {
		t.Errorf("--check -l h2:\n%s", r)
	}
	if s := section(t, r.stdout, "TASK [ignored] [CHECK MODE]"); !strings.Contains(s, "skipping: [h2]") {
		t.Errorf("--check skips command:\n%s", r)
	}
}

// TestForksAndDiffFlags: -f 1 works on one host at a time (a host that
// finds another's lock directory fails); --diff prints a unified diff and
// its absence prints none.
func TestForksAndDiffFlags(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts": "[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\nh3 ansible_connection=local\n",
		"site.yaml": `- hosts: web
  gather_facts: false
  tasks:
    - {name: exclusive, shell: 'mkdir $DIR/lock || exit 9; sleep 0.3; rmdir $DIR/lock'}
    - {name: write, copy: {content: "v={{ v }}\n", dest: "$DIR/out-{{ inventory_hostname }}"}}
`})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-f", "1", "-e", "v=1")
	if r.code != 0 || strings.Contains(r.stdout, "@@") {
		t.Errorf("-f 1: hosts overlapped, or a diff without --diff:\n%s", r)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-f", "1", "-e", "v=2", "--diff", "-l", "h1")
	mustContain(t, r, "--- before: h1:"+filepath.Join(dir, "out-h1"), "-v=1", "+v=2", "changed: [h1]")
}

// TestCheckModeSkipsModulesWithoutSupport: under --check, a module that
// cannot predict its effect is skipped with a message saying so.
func TestCheckModeSkipsModulesWithoutSupport(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": `- hosts: h1
  gather_facts: false
  tasks:
    - {name: wait, wait_for: {path: "$DIR/never-created", timeout: 1}}
`})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--check", "-v")
	if r.code != 0 || !strings.Contains(r.stdout, "skipping: [h1]") || !strings.Contains(r.stdout, "This module (wait_for) does not support check mode") {
		t.Errorf("--check on wait_for:\n%s", r)
	}
}
