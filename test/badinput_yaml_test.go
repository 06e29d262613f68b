package test

import (
	"fmt"
	"strings"
	"testing"
)

// noCrash fails the test when the binary died of a Go panic or a runtime
// error (a stack overflow, an out-of-memory) instead of reporting an error.
func noCrash(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "fatal error:", "runtime:"} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Fatalf("the binary crashed (%q in its output)\n%.2000s", s, r.String())
		}
	}
}

// aliasBomb is a variables mapping whose last value expands to 9^10 strings.
func aliasBomb(indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sa0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", indent)
	for i := 1; i < 10; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 9), ", ")
		fmt.Fprintf(&b, "%sa%d: &a%d [%s]\n", indent, i, i, refs)
	}
	return b.String()
}

// TestBadInputYAMLStructures: YAML that parses but cannot be read as a
// playbook, task file or vars file (an alias inside the value it names, a
// merge key that merges its own mapping, an alias bomb, a second document)
// is refused with exit 3 and the file:line, never a stack overflow, a hang
// or plays silently dropped.
func TestBadInputYAMLStructures(t *testing.T) {
	const head = "- hosts: web\n  gather_facts: false\n"
	args := []string{"play", "site.yaml", "-i", "hosts"}
	cases := []errorCase{
		{"alias inside itself in play vars", map[string]string{"hosts": localHosts,
			"site.yaml": head + "  vars:\n    a: &a [*a]\n  tasks: [{debug: {msg: x}}]\n"},
			args, 3, []string{"site.yaml:4:12", "nested more than 1000 levels", "alias used inside the value it names"}},
		{"task merging itself", map[string]string{"hosts": localHosts,
			"site.yaml": head + "  tasks:\n    - &t\n      debug: {msg: x}\n      <<: *t\n"},
			args, 3, []string{"site.yaml:6:11", "nested more than 1000 levels"}},
		{"play inside its own vars", map[string]string{"hosts": localHosts,
			"site.yaml": "- &p\n  hosts: web\n  gather_facts: false\n  tasks: [{debug: {msg: x}}]\n  vars:\n    x: *p\n"},
			args, 3, []string{"site.yaml:6:8", "nested more than 1000 levels"}},
		{"block inside itself", map[string]string{"hosts": localHosts,
			"site.yaml": head + "  tasks:\n    - &b\n      block: [*b]\n"},
			args, 3, []string{"site.yaml:5:15", "nested more than 1000 levels"}},
		{"alias bomb in play vars", map[string]string{"hosts": localHosts,
			"site.yaml": head + "  vars:\n" + aliasBomb("    ") + "  tasks: [{debug: {msg: x}}]\n"},
			args, 3, []string{"site.yaml:", "values reached through aliases (an alias bomb?)"}},
		{"alias bomb in -e @file", map[string]string{"hosts": localHosts, "site.yaml": okPlay, "v.yaml": aliasBomb("")},
			append(args, "-e", "@v.yaml"), 3, []string{"-e @v.yaml: v.yaml:", "an alias bomb?"}},
		{"alias cycle in a vars_files file", map[string]string{"hosts": localHosts, "v.yaml": "a: &a {b: *a}\n",
			"site.yaml": head + "  vars_files: [v.yaml]\n  tasks: [{debug: {msg: x}}]\n"},
			args, 3, []string{"site.yaml:3:16: vars_files:", "v.yaml:1:", "nested more than 1000 levels"}},
		{"alias cycle in an imported task file", map[string]string{"hosts": localHosts, "t.yaml": "- &t\n  block: [*t]\n",
			"site.yaml": head + "  tasks: [{import_tasks: t.yaml}]\n"},
			args, 3, []string{"t.yaml:2:", "nested more than 1000 levels"}},
		{"second document in a playbook", map[string]string{"hosts": localHosts,
			"site.yaml": okPlay + "---\n- hosts: web\n  tasks: [{command: touch never}]\n"},
			args, 3, []string{"site.yaml:4:", "a second YAML document starts here (---)"}},
		{"second document in -e @file", map[string]string{"hosts": localHosts, "site.yaml": okPlay, "v.yaml": "a: 1\n---\nb: 2\n"},
			append(args, "-e", "@v.yaml"), 3, []string{"-e @v.yaml: v.yaml:2:", "second YAML document"}},
		{"two JSON objects in -e @file", map[string]string{"hosts": localHosts, "site.yaml": okPlay, "v.json": "{\"a\": 1}\n{\"b\": 2}\n"},
			append(args, "-e", "@v.json"), 3, []string{"-e @v.json: v.json:2:", "YAML syntax error"}},
		{"second document in a task file", map[string]string{"hosts": localHosts, "t.yaml": "- debug: {msg: a}\n---\n- debug: {msg: b}\n",
			"site.yaml": head + "  tasks: [{import_tasks: t.yaml}]\n"},
			args, 3, []string{"t.yaml:2:", "second YAML document"}},
	}
	runErrorCases(t, cases, func(t *testing.T, r result) {
		if strings.Contains(r.stdout, "PLAY [") {
			t.Errorf("a play started although the input is invalid\n%s", r)
		}
	})
}

// TestBadInputYAMLEndMarkers: a file that ends with a bare "---" or uses
// "---"/"..." around its one document is still one document.
func TestBadInputYAMLEndMarkers(t *testing.T) {
	dir := workdir(t, map[string]string{"hosts": localHosts, "site.yaml": "---\n" + okPlay + "---\n",
		"v.yaml": "---\ngreeting: hello\n...\n"})
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "-e", "@v.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r)
	}
	mustContain(t, r, `"msg": "hi"`)
}

// TestBadInputNotUTF8: a byte that is not UTF-8 in a playbook, a task file,
// an -e @file or an inventory is an exit-3 error at its own line and column
// (the YAML parser said line 1 whatever the line; INI took it in as U+FFFD).
func TestBadInputNotUTF8(t *testing.T) {
	const head = "- hosts: web\n  gather_facts: false\n"
	runErrorCases(t, []errorCase{
		{"playbook", map[string]string{"hosts": localHosts, "site.yaml": head + "  tasks:\n    - debug: {msg: \"caf\xe9\"}\n"},
			[]string{"play", "site.yaml", "-i", "hosts"}, 3, []string{"site.yaml:4:24: byte 0xe9 is not valid UTF-8"}},
		{"task file", map[string]string{"hosts": localHosts, "site.yaml": head + "  tasks: [{import_tasks: t.yaml}]\n", "t.yaml": "- debug: {msg: a}\n- debug: {msg: \"\xff\"}\n"},
			[]string{"play", "site.yaml", "-i", "hosts"}, 3, []string{"t.yaml:2:17: byte 0xff is not valid UTF-8"}},
		{"-e @file", map[string]string{"hosts": localHosts, "site.yaml": okPlay, "v.json": "{\"a\":\n \"\xc3(\"}\n"},
			[]string{"play", "site.yaml", "-i", "hosts", "-e", "@v.json"}, 3, []string{"-e @v.json: v.json:2:3: byte 0xc3 is not valid UTF-8"}},
		{"INI inventory", map[string]string{"site.yaml": okPlay, "hosts": "[web]\nh\xff1 ansible_connection=local\n"},
			[]string{"play", "site.yaml", "-i", "hosts"}, 3, []string{"hosts:2:2: byte 0xff is not valid UTF-8", "save the file as UTF-8"}},
		{"Clusterfile", map[string]string{"site.yaml": okPlay, "Clusterfile": "apiVersion: sealer.io/v2\nkind: Cluster\nmetadata: {name: c\xe9}\n"},
			[]string{"play", "site.yaml", "-i", "Clusterfile"}, 3, []string{"Clusterfile:3:19: byte 0xe9"}},
	})
}
