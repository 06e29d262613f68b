package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const fiveHosts = "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\nw3 ansible_connection=local\n" +
	"[db]\nd1 ansible_connection=local\nd2 ansible_connection=local\n[odd]\nw1\nw3\nd1\n"

// TestEveryPlayKeyword runs plays using every play keyword through the
// binary and checks each one's effect.
func TestEveryPlayKeyword(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts":     fiveHosts,
		"vars.yaml": "from_file: vf\npv: overridden-by-vars-files\n",
		"other.yaml": "- name: imported play\n  hosts: d1\n  gather_facts: false\n  tasks:\n" +
			"    - {name: in imported play, debug: {msg: 'imported-{{ pv ?? \"no play vars leak\" }}'}}\n",
		"site.yaml": `
- name: settings
  hosts: web:&odd
  gather_facts: true
  become: true
  become_user: nobody
  environment: {PLAY_ENV: play-env}
  vars: {pv: play}
  vars_files: [vars.yaml]
  tags: [settings]
  tasks:
    - {name: whoami, command: id -un, register: who, changed_when: false}
    - {name: env, shell: 'echo "$PLAY_ENV"', register: env, changed_when: false, become: false}
    - name: show
      debug: {msg: "who={{ who.stdout }} env={{ env.stdout }} pv={{ pv }} vf={{ from_file }} os={{ ansible_system }}"}
- name: checked
  hosts: w2
  gather_facts: false
  check_mode: true
  diff: true
  tasks:
    - {name: would copy, copy: {content: "new line\n", dest: "$DIR/copied"}}
- name: tagged
  hosts: w2
  gather_facts: false
  tags: [never]
  tasks:
    - {name: never play, debug: {msg: never-play-ran}}
- import_playbook: other.yaml
- name: unreachable ignored
  hosts: all:!db
  gather_facts: false
  ignore_unreachable: true
  tasks:
    - {name: reach, command: "true"}
`,
	})
	// ignore_unreachable needs an unreachable host: add one through a
	// second inventory with a connection that cannot be made.
	if err := os.WriteFile(filepath.Join(dir, "bad"), []byte("[web]\ngone ansible_connection=nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-i", "bad")
	if r.code != 0 {
		t.Fatalf("ignored unreachable host must not fail the run:\n%s", r)
	}
	out := r.stdout
	s := section(t, out, "TASK [show]")
	for _, w := range []string{"[w1]", "[w3]"} {
		if !strings.Contains(s, w) {
			t.Errorf("hosts: web:&odd lacks %s:\n%s", w, s)
		}
	}
	if strings.Contains(s, "[w2]") || strings.Contains(s, "[d1]") {
		t.Errorf("hosts: web:&odd ran on other hosts:\n%s", s)
	}
	mustContain(t, r, "who=nobody env=play-env pv=overridden-by-vars-files vf=vf os=Linux", "TASK [Gathering Facts]",
		"+new line", "imported-no play vars leak")
	if c := section(t, out, "TASK [would copy]"); !strings.Contains(c, "changed: [w2]") {
		t.Errorf("check mode predicts the change:\n%s", c)
	}
	if _, err := os.Stat(filepath.Join(dir, "copied")); err == nil {
		t.Error("check_mode: true on the play wrote a file")
	}
	if strings.Contains(out, "never-play-ran") {
		t.Error("a play tagged never ran")
	}
	if s := section(t, out, "TASK [reach]"); !strings.Contains(s, "fatal: [gone]: UNREACHABLE!") || !strings.Contains(s, "...ignoring") {
		t.Errorf("ignore_unreachable:\n%s", s)
	}
	if !regexp.MustCompile(`(?m)^gone +: ok=0 +changed=0 +unreachable=1 +failed=0 +skipped=0 +rescued=0 +ignored=1 +$`).MatchString(out) {
		t.Errorf("recap of the ignored unreachable host:\n%s", out)
	}
	inOrder(t, out, "PLAY [settings]", "PLAY [checked]", "PLAY [imported play]", "PLAY [unreachable ignored]", "PLAY RECAP")
}

// TestHostPatterns: every form of play hosts pattern selects what Ansible's
// would, seen through --list-hosts.
func TestHostPatterns(t *testing.T) {
	cases := map[string]string{
		"web":          "w1 w2 w3",
		"d2":           "d2",
		"web:db":       "w1 w2 w3 d1 d2",
		"web,d1":       "w1 w2 w3 d1",
		"web:&odd":     "w1 w3",
		"all:!odd":     "w2 d2",
		"all":          "w1 w2 w3 d1 d2",
		"w*":           "w1 w2 w3",
		"*1":           "w1 d1",
		"~d[0-9]":      "d1 d2",
		"web:!w2:&odd": "w1 w3",
	}
	for pattern, want := range cases {
		dir := workdir(t, map[string]string{"hosts": fiveHosts, "site.yaml": "- hosts: '" + pattern + "'\n  tasks: []\n"})
		r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--list-hosts")
		var got []string
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "      ") {
				got = append(got, strings.TrimSpace(line))
			}
		}
		if r.code != 0 || strings.Join(got, " ") != want {
			t.Errorf("hosts %q: got %q, want %q\n%s", pattern, got, want, r)
		}
	}
}

// TestSerialAndFailureLimits: serial as a number, a percentage and a list;
// any_errors_fatal and max_fail_percentage end the play for every host.
func TestSerialAndFailureLimits(t *testing.T) {
	play := func(extra string) map[string]string {
		return map[string]string{"hosts": fiveHosts, "site.yaml": "- hosts: all\n  gather_facts: false\n" + extra + `  tasks:
    - {name: one, debug: {msg: "batch={{ ansible_play_batch | join(',') }}"}}
    - {name: fail d1, fail: {msg: bad}, when: inventory_hostname == 'd1'}
    - {name: two, debug: {msg: "two-{{ inventory_hostname }}"}}
`}
	}
	batches := func(r result) []string {
		var out []string
		for _, m := range regexp.MustCompile(`"msg": "batch=([^"]*)"`).FindAllStringSubmatch(r.stdout, -1) {
			if len(out) == 0 || out[len(out)-1] != m[1] {
				out = append(out, m[1])
			}
		}
		return out
	}
	for serial, want := range map[string]string{
		"2":          "w1,w2 w3,d1 d2",
		"'40%'":      "w1,w2 w3,d1 d2",
		"[1, 3]":     "w1 w2,w3,d1 d2",
		"[1, '50%']": "w1 w2,w3 d1,d2",
	} {
		r := runbook(t, workdir(t, play("  serial: "+serial+"\n")), "play", "site.yaml", "-i", "hosts")
		if got := strings.Join(batches(r), " "); got != want {
			t.Errorf("serial %s: batches %q, want %q\n%s", serial, got, want, r)
		}
		if r.code != 2 {
			t.Errorf("serial %s: exit %d, want 2", serial, r.code)
		}
	}
	r := runbook(t, workdir(t, play("  any_errors_fatal: true\n")), "play", "site.yaml", "-i", "hosts")
	if r.code != 2 || strings.Contains(r.stdout, "two-") {
		t.Errorf("any_errors_fatal: no host runs the next task:\n%s", r)
	}
	r = runbook(t, workdir(t, play("  max_fail_percentage: 10\n")), "play", "site.yaml", "-i", "hosts")
	if r.code != 2 || strings.Contains(r.stdout, "two-") {
		t.Errorf("max_fail_percentage 10 with 1 of 5 failed ends the play:\n%s", r)
	}
	r = runbook(t, workdir(t, play("  max_fail_percentage: 20\n")), "play", "site.yaml", "-i", "hosts")
	if r.code != 2 || !strings.Contains(r.stdout, "two-w1") || strings.Contains(r.stdout, "two-d1") {
		t.Errorf("max_fail_percentage 20 with 1 of 5 failed goes on:\n%s", r)
	}
}
