package test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// statFixture makes paths of every kind stat describes, and reads each
// file and link once so that the reads of the stat runs themselves (checksum,
// file(1)) move no access time (relatime moves it once after a write).
func statFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "file"), []byte("hello\n"), 0o640))
	must(os.Chmod(filepath.Join(dir, "file"), 0o750|os.ModeSetgid))
	must(os.WriteFile(filepath.Join(dir, "text.conf"), []byte("key = value\n"), 0o600))
	must(os.Mkdir(filepath.Join(dir, "dir"), 0o2775))
	must(os.Chmod(filepath.Join(dir, "dir"), 0o775|os.ModeSetgid|os.ModeSticky))
	must(os.Symlink("file", filepath.Join(dir, "link")))
	must(os.Symlink("missing", filepath.Join(dir, "dangling")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	if out, err := exec.Command("chattr", "+A", filepath.Join(dir, "text.conf")).CombinedOutput(); err != nil {
		t.Logf("no attributes here (%v %s): attributes compared empty", err, out)
	}
	for _, f := range []string{"file", "text.conf"} {
		_, err := os.ReadFile(filepath.Join(dir, f))
		must(err)
	}
	for _, l := range []string{"link", "dangling"} { // reading a link moves its access time too
		_, err := os.Readlink(filepath.Join(dir, l))
		must(err)
	}
	return dir
}

// statTasks are the stat tasks both tools run, by name.
func statTasks(dir string) map[string]string {
	return map[string]string{
		"file":             "path: " + dir + "/file",
		"text sha256":      "path: " + dir + "/text.conf\n    checksum_algorithm: sha256",
		"text md5 no attr": "path: " + dir + "/text.conf\n    checksum_algorithm: md5\n    get_attributes: false\n    get_mime: false",
		"dir":              "path: " + dir + "/dir",
		"link":             "path: " + dir + "/link",
		"link followed":    "path: " + dir + "/link\n    follow: true",
		"dangling":         "path: " + dir + "/dangling",
		"dangling follow":  "path: " + dir + "/dangling\n    follow: true",
		"fifo":             "path: " + dir + "/fifo",
		"dev null":         "path: /dev/null\n    get_checksum: false",
		"missing":          "path: " + dir + "/nope",
		"no checksum":      "path: " + dir + "/file\n    get_checksum: false",
	}
}

// TestStatFieldsMatchAnsible: runbook's stat and ansible-playbook's give
// the same dictionary, field for field (inode, times to the nanosecond,
// access answers, link source, MIME type, attributes, checksums), for the
// same paths of every kind. Without Ansible installed, runbook's output
// is still checked for Ansible's field names.
func TestStatFieldsMatchAnsible(t *testing.T) {
	fixture := statFixture(t)
	tasks := statTasks(fixture)
	names := make([]string, 0, len(tasks))
	for n := range tasks {
		names = append(names, n)
	}
	sort.Strings(names)
	var pb strings.Builder
	pb.WriteString("- hosts: h1\n  gather_facts: false\n  tasks:\n")
	for _, n := range names {
		fmt.Fprintf(&pb, "    - name: %s\n      stat:\n        %s\n", n, strings.ReplaceAll(tasks[n], "\n    ", "\n        "))
	}
	files := map[string]string{"site.yaml": pb.String(), "hosts.ini": "h1 ansible_connection=local\n"}
	ours := runbookStats(t, workdir(t, files))
	fields := []string{"exists", "path", "mode", "isdir", "ischr", "isblk", "isreg", "isfifo", "islnk", "issock", "uid", "gid",
		"size", "inode", "dev", "nlink", "atime", "mtime", "ctime", "wusr", "rusr", "xusr", "wgrp", "rgrp", "xgrp", "woth",
		"roth", "xoth", "isuid", "isgid", "blocks", "block_size", "device_type", "readable", "writeable", "executable",
		"pw_name", "gr_name", "checksum", "mimetype", "charset", "version", "attributes", "attr_flags"}
	for _, f := range fields {
		if _, ok := ours["file"][f]; !ok {
			t.Errorf("runbook's stat of a file lacks %s: %v", f, ours["file"])
		}
	}
	theirs, ok := ansibleStats(t, workdir(t, files))
	if !ok {
		return
	}
	for _, n := range names {
		a, r := theirs[n], ours[n]
		if a == nil || r == nil {
			t.Errorf("%s: no result (ansible %v, runbook %v)", n, a, r)
			continue
		}
		for k, av := range a {
			if k == "atime" && a["islnk"] == true {
				// Reading a link (readlink, by either tool) moves its
				// atime under relatime: the second tool sees the first
				// tool's read, whatever each reports.
				continue
			}
			if rv, ok := r[k]; !ok || !reflect.DeepEqual(rv, av) {
				t.Errorf("%s: stat.%s = %#v in runbook, %#v in ansible-playbook", n, k, rv, av)
			}
		}
		for k, rv := range r {
			if _, ok := a[k]; !ok {
				t.Errorf("%s: stat.%s = %#v in runbook only", n, k, rv)
			}
		}
	}
}

// runbookStats runs site.yaml with --output json and returns each task's
// stat dictionary by task name.
func runbookStats(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts.ini", "--output", "json")
	if r.code != 0 {
		t.Fatalf("runbook: %s", r)
	}
	out := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Event, Task string
			Result      map[string]any
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("runbook output line %q: %v", sc.Text(), err)
		}
		if st, ok := e.Result["stat"].(map[string]any); ok && e.Event == "host_result" {
			out[e.Task] = st
		}
	}
	return out
}

// ansibleStats is runbookStats for ansible-playbook; false when it is
// not installed.
func ansibleStats(t *testing.T, dir string) (map[string]map[string]any, bool) {
	t.Helper()
	_, stdout, stderr, ok := ansibleJSON(t, dir, nil)
	if !ok {
		return nil, false
	}
	var report struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]struct{ Stat map[string]any }
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout.String()), &report); err != nil || len(report.Plays) != 1 {
		t.Fatalf("ansible-playbook output (%v):\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := map[string]map[string]any{}
	for _, task := range report.Plays[0].Tasks {
		out[task.Task.Name] = task.Hosts["h1"].Stat
	}
	return out, true
}
