package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileTimesMatchAnsible: the file module's access_time and
// modification_time (Ansible's default format and a custom one, now,
// preserve, touch's defaults) change and stay unchanged as
// ansible-playbook's do, and leave the same times behind.
func TestFileTimesMatchAnsible(t *testing.T) {
	tc := quietCase{
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: touch fixed
      file: {path: $DIR/f, state: touch, access_time: "202301021504.05", modification_time: "202212311200.00"}
    - name: touch fixed again
      file: {path: $DIR/f, state: touch, access_time: "202301021504.05", modification_time: "202212311200.00"}
    - name: touch preserve
      file: {path: $DIR/f, state: touch, access_time: preserve, modification_time: preserve}
    - name: file keeps times
      file: {path: $DIR/f, mode: "0600"}
    - name: custom format
      file: {path: $DIR/f, modification_time: "Mar 7 2021 03:04 PM", modification_time_format: "%b %d %Y %I:%M %p"}
    - name: custom format again
      file: {path: $DIR/f, modification_time: "Mar 7 2021 03:04 PM", modification_time_format: "%b %d %Y %I:%M %p"}
    - name: stat
      stat: {path: $DIR/f}
      register: s
    - name: show
      debug: {msg: "{{ s.stat.atime | int }} {{ s.stat.mtime | int }} {{ s.stat.mode }}"}
    - name: directory times
      file: {path: $DIR/d, state: directory, modification_time: "200001010000.00"}
    - name: directory times again
      file: {path: $DIR/d, state: directory, modification_time: "200001010000.00"}
    - name: now changes
      file: {path: $DIR/f, access_time: now}
    - name: touch changes
      file: {path: $DIR/f, state: touch}
`,
		results: []string{"touch fixed h1 changed", "touch fixed again h1 ok", "touch preserve h1 ok", "file keeps times h1 changed",
			"custom format h1 changed", "custom format again h1 ok", "stat h1 ok", "show h1 ok " + localEpoch(t, "2023-01-02 15:04:05") +
				" " + localEpoch(t, "2021-03-07 15:04:00") + " 0600",
			"directory times h1 changed", "directory times again h1 ok", "now changes h1 changed", "touch changes h1 changed"},
		recap: map[string][5]int{"h1": {6, 0, 0, 0, 0}},
	}
	tc.runBoth(t, map[string]string{"hosts.ini": "h1 ansible_connection=local\n"}, nil)
}

// localEpoch is the seconds since the epoch of a local time, as date(1) gives them.
func localEpoch(t *testing.T, local string) string {
	t.Helper()
	out, err := exec.Command("date", "-d", local, "+%s").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestFileAttributesMatchAnsible: attributes on file and copy change and
// stay unchanged as ansible-playbook's do, and stat reports the same
// letters and names after, on a file system that keeps attributes (with
// e, as ext4 does). "+A" on a file that has it is left out: Ansible
// compares the letters as strings and reports a change every time;
// runbook compares sets and does not.
func TestFileAttributesMatchAnsible(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("lsattr", "-d", probe).Output(); err != nil || !strings.Contains(string(out), "e") ||
		exec.Command("chattr", "+A", probe).Run() != nil {
		t.Skipf("this file system keeps no attributes or has no extents (lsattr %q %v)", out, err)
	}
	tc := quietCase{
		playbook: `
- hosts: h1
  gather_facts: false
  tasks:
    - name: create
      copy: {content: "x\n", dest: $DIR/f}
    - name: add A
      file: {path: $DIR/f, attributes: "+A"}
    - name: exactly Ae
      file: {path: $DIR/f, attr: Ae}
    - name: stat A
      stat: {path: $DIR/f}
      register: s
    - name: show A
      debug: {msg: "{{ s.stat.attr_flags }} {{ s.stat.attributes | join(',') }}"}
    - name: remove A
      file: {path: $DIR/f, attributes: "-A"}
    - name: copy with attributes
      copy: {content: "y\n", dest: $DIR/c, attributes: "Ae"}
    - name: copy with attributes again
      copy: {content: "y\n", dest: $DIR/c, attributes: "Ae"}
    - name: stat copy
      stat: {path: $DIR/c}
      register: c
    - name: show copy
      debug: {msg: "{{ c.stat.attr_flags }} {{ c.stat.checksum }}"}
`,
		results: []string{"create h1 changed", "add A h1 changed", "exactly Ae h1 ok", "stat A h1 ok", "show A h1 ok Ae noatime,extents",
			"remove A h1 changed", "copy with attributes h1 changed", "copy with attributes again h1 ok", "stat copy h1 ok",
			"show copy h1 ok Ae 9063a9f0e032b6239403b719cbbba56ac4e4e45f"},
		recap: map[string][5]int{"h1": {4, 0, 0, 0, 0}},
	}
	tc.runBoth(t, map[string]string{"hosts.ini": "h1 ansible_connection=local\n"}, nil)
}

// TestFileAttributesUnsupportedNamesHostTaskPath: attributes on a file
// system that keeps none fail the task, in check mode too, with the task,
// the host and the path in the message, instead of passing in silence.
func TestFileAttributesUnsupportedNamesHostTaskPath(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini": "h1 ansible_connection=local\n",
		"site.yaml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: flag proc\n      file: {path: /proc/self/status, attributes: \"+A\"}\n",
	})
	for _, extra := range [][]string{nil, {"--check"}} {
		r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts.ini"}, extra...)...)
		if r.code != 2 {
			t.Fatalf("%v: exit %d, want 2\n%s", extra, r.code, r)
		}
		mustContain(t, r, "TASK [flag proc]", "fatal: [h1]", "(site.yaml:4:7) on host h1",
			"file attributes not supported on the file system of /proc/self/status")
	}
}
