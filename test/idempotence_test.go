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
    - {name: secret, copy: {content: "TopSecretContent\n", dest: "{{ root }}/etc/secret", mode: "0600"}, no_log: true}
    - {name: binary, copy: {content: "\u0000\u0001bin", dest: "{{ root }}/etc/blob"}}
    - {name: wait, wait_for: {path: "{{ root }}/etc/app.conf", search_regex: "^listen 8080$", timeout: 5}, when: not ansible_check_mode}
    - {name: fetch, fetch: {src: "{{ root }}/etc/hosts", dest: "$DIR/fetched"}}
    - {name: slurp, slurp: {src: "{{ root }}/etc/a.env"}, register: sl, when: not ansible_check_mode}
    - {name: slurped, assert: {that: ["(sl.content | b64decode()) == 'a=1\\n'"]}, when: not ansible_check_mode}
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
	if _, err := os.Stat(filepath.Join(dir, "fetched")); err == nil {
		t.Error("--check fetched files onto the controller")
	}
	for _, h := range []string{"a", "b"} {
		p := filepath.Join(dir, "tree", h, "etc")
		mustContain(t, check, "--- before: "+h+":"+p+"/app.conf (absent)", "+++ after: "+h+":"+p+"/app.conf (content)", "+listen 8080",
			"--- before: "+h+":"+p+"/b.env (content)", "+b=2", h+":"+p+"/blob (content)")
	}
	if strings.Contains(check.stdout, "TopSecretContent") || strings.Contains(check.stdout, "/etc/secret (") {
		t.Errorf("the diff of a no_log task is shown:\n%s", section(t, check.stdout, "TASK [secret] [CHECK MODE]"))
	}
	if s := section(t, check.stdout, "TASK [binary] [CHECK MODE]"); !strings.Contains(s, "binary content") || strings.Contains(s, "+bin") {
		t.Errorf("binary content must not be diffed:\n%s", s)
	}
	real := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if real.code != 0 {
		t.Fatalf("real run: %s", real)
	}
	if p, r := changedTasks(check.stdout), changedTasks(real.stdout); p != r {
		t.Errorf("--check predicted changes %q, the real run changed %q", p, r)
	}
	for _, h := range []string{"a", "b"} {
		if n := recapChanged(t, real, h); n == "0" {
			t.Errorf("the first run changed nothing on %s:\n%s", h, real)
		}
		if got, err := os.ReadFile(filepath.Join(dir, "fetched", h, dir, "tree", h, "etc", "hosts")); err != nil || !strings.Contains(string(got), "127.0.10.2 sea.hub") {
			t.Errorf("fetch to dest/%s/<path>: %q %v", h, got, err)
		}
	}
	again := runbook(t, dir, "play", "site.yaml", "-i", inv, "--known-hosts", kh)
	if again.code != 0 {
		t.Fatalf("second run: %s", again)
	}
	for _, h := range []string{"a", "b"} {
		if n := recapChanged(t, again, h); n != "0" {
			t.Errorf("second run is not idempotent on %s (changed=%s):\n%s", h, n, again)
		}
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
