package test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/sshd"
)

// A mixed playbook of file and text modules over real SSH: --check on a
// fresh tree changes nothing and predicts exactly the tasks the real run then
// changes; the second real run reports changed=0 on every host.
func TestMixedPlaybookCheckRealAndIdempotent(t *testing.T) {
	a, b := sshd.Start(t, sshd.Options{}), sshd.Start(t, sshd.Options{})
	dir := workdir(t, map[string]string{
		"templates/app.conf.tmpl": "listen {{ .port }}\nhost {{ .inventory_hostname }}\n",
		"files/static.txt":        "static content\n",
		"site.yaml": `
- hosts: web
  vars: {port: 8080, root: "$DIR/tree/{{ inventory_hostname }}"}
  tasks:
    - {name: dir, file: {path: "{{ root }}/etc", state: directory, mode: "0755"}}
    - {name: copy, copy: {src: static.txt, dest: "{{ root }}/etc/static.txt", mode: "0640"}}
    - {name: content, copy: {content: "a=1\n", dest: "{{ root }}/etc/a.env"}}
    - {name: template, template: {src: app.conf.tmpl, dest: "{{ root }}/etc/app.conf"}}
    - {name: line, lineinfile: {path: "{{ root }}/etc/b.env", regexp: "^b=", line: "b=2", create: true}}
    - {name: block, blockinfile: {path: "{{ root }}/etc/extra.conf", block: "extra on", create: true}}
    - {name: hosts, hosts: {path: "{{ root }}/etc/hosts", ip: 127.0.10.2, names: [sea.hub]}}
    - {name: link, file: {src: "{{ root }}/etc/app.conf", dest: "{{ root }}/app.conf", state: link, force: true}}
    - {name: stat, stat: {path: "{{ root }}/etc/app.conf"}, register: st}
    - {name: assert, assert: {that: [st.stat.exists, "st.stat.mode == '0644'"]}, when: not ansible_check_mode}
`})
	inv, kh := sshInventory(t, dir, map[string]*sshd.Server{"a": a, "b": b}, "")
	for _, h := range []string{"a", "b"} {
		if err := os.MkdirAll(filepath.Join(dir, "tree", h, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tree", h, "etc", "hosts"), []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, filepath.Join(dir, "tree"))
	check := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh, "--check", "--diff")
	if check.code != 0 {
		t.Fatalf("check run: %s", check)
	}
	if after := snapshot(t, filepath.Join(dir, "tree")); after != before {
		t.Fatalf("--check changed the hosts' files:\nbefore %s\nafter %s", before, after)
	}
	mustContain(t, check, "--- before: ", "+++ after: ")
	real := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if real.code != 0 {
		t.Fatalf("real run: %s", real)
	}
	if p, r := changedTasks(check.stdout), changedTasks(real.stdout); p != r {
		t.Errorf("--check predicted changes %q, the real run changed %q", p, r)
	}
	again := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if again.code != 0 || regexp.MustCompile(`changed=[1-9]`).MatchString(again.stdout) {
		t.Errorf("second run is not idempotent:\n%s", again)
	}
}

// changedTasks lists "task:host" for every changed line, sorted.
func changedTasks(out string) string {
	var got []string
	task := ""
	for _, line := range strings.Split(out, "\n") {
		if m := regexp.MustCompile(`^TASK \[(.*?)\]`).FindStringSubmatch(line); m != nil {
			task = m[1]
		}
		if m := regexp.MustCompile(`^changed: \[([^\]]+)\]`).FindStringSubmatch(line); m != nil {
			got = append(got, task+":"+m[1])
		}
	}
	sort.Strings(got)
	return strings.Join(got, " ")
}

// snapshot describes every path under root: type, mode and content.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + " " + info.Mode().String())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
