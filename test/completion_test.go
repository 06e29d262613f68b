package test

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules" // registers the built-ins
	"github.com/runbook-dev/runbook/playbooks"
)

// Cobra's shell directives (the number after ':' on __complete's last line).
const (
	dirNoSpace    = 2
	dirNoFileComp = 4
)

// complete runs the hidden `runbook __complete ARGS...` the shell scripts
// call, and returns the candidates (descriptions cut off) and the directive.
func complete(t *testing.T, dir string, args ...string) ([]string, int) {
	t.Helper()
	r := runbook(t, dir, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %v: %s", args, r)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %v: no directive line: %s", args, r)
	}
	directive, err := strconv.Atoi(last[1:])
	if err != nil {
		t.Fatalf("__complete %v: bad directive %q", args, last)
	}
	var out []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		out = append(out, name)
	}
	sort.Strings(out)
	return out, directive
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestCompletionScripts(t *testing.T) {
	dir := t.TempDir()
	mustContain(t, runbook(t, dir, "--help"), "completion", "schema")
	for shell, marker := range map[string]string{"bash": "__start_runbook", "zsh": "#compdef runbook", "fish": "complete -c runbook"} {
		r := runbook(t, dir, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s: want a script with %q, got %s", shell, marker, r)
		}
	}
	got, _ := complete(t, dir, "completion", "")
	sameSet(t, "completion shells", got, []string{"bash", "fish", "powershell", "zsh"})
}

func TestCompletionPlaybooks(t *testing.T) {
	dir := workdir(t, map[string]string{
		"site.yaml": "", "other.yml": "", "notes.txt": "", ".hidden.yaml": "",
		"roles/deploy.yaml": "", "roles/README": "",
	})
	builtins := playbooks.Names()
	if len(builtins) == 0 {
		t.Fatal("no built-in playbooks to complete")
	}
	got, d := complete(t, dir, "play", "")
	sameSet(t, "play <TAB>", got, append([]string{"site.yaml", "other.yml", "roles/"}, builtins...))
	if d&dirNoFileComp == 0 || d&dirNoSpace == 0 {
		t.Errorf("play <TAB>: directive %d, want NoFileComp and NoSpace (a directory is offered)", d)
	}
	got, _ = complete(t, dir, "play", "roles/")
	sameSet(t, "play roles/<TAB>", got, []string{"roles/deploy.yaml"})
	got, _ = complete(t, dir, "play", "s")
	sameSet(t, "play s<TAB>", got, []string{"site.yaml"})
	first := builtins[0][:3]
	got, _ = complete(t, dir, "play", first)
	var want []string
	for _, b := range builtins {
		if strings.HasPrefix(b, first) {
			want = append(want, b)
		}
	}
	sameSet(t, "play "+first+"<TAB>", got, want)
	got, _ = complete(t, dir, "play", "site.yaml", "")
	sameSet(t, "a second playbook", got, nil)
}

func TestCompletionHostsAndGroups(t *testing.T) {
	dir := workdir(t, map[string]string{
		"hosts.ini":  "[web]\nweb1\nweb2\n[db]\ndb1\n",
		"extra.yaml": "all:\n  children:\n    cache:\n      hosts:\n        redis1:\n",
	})
	groups := []string{"all", "ungrouped", "web", "db", "cache"}
	hosts := []string{"web1", "web2", "db1", "redis1"}
	got, d := complete(t, dir, "play", "site.yaml", "-i", "hosts.ini", "-i", "extra.yaml", "-l", "")
	sameSet(t, "-l <TAB>", got, append(append([]string{}, groups...), hosts...))
	if d&dirNoFileComp == 0 {
		t.Errorf("-l: directive %d lets the shell add file names", d)
	}
	got, _ = complete(t, dir, "play", "-i", "hosts.ini", "--limit", "web:!d")
	sameSet(t, "--limit web:!d<TAB>", got, []string{"web:!db", "web:!db1"})
	got, _ = complete(t, dir, "play", "-i", "hosts.ini", "--limit=w")
	sameSet(t, "--limit=w<TAB>", got, []string{"web", "web1", "web2"})

	got, _ = complete(t, dir, "inventory", "-i", "hosts.ini", "--host", "")
	sameSet(t, "inventory --host <TAB>", got, []string{"web1", "web2", "db1"})
	got, _ = complete(t, dir, "inventory", "-i", "hosts.ini", "-i", "extra.yaml", "--host", "r")
	sameSet(t, "inventory --host r<TAB>", got, []string{"redis1"})

	got, _ = complete(t, dir, "play", "-i", "missing.ini", "-l", "")
	sameSet(t, "-l with a broken inventory", got, nil)
}

func TestCompletionModulesAndOutput(t *testing.T) {
	dir := t.TempDir()
	got, _ := complete(t, dir, "doc", "co")
	var want []string
	for _, n := range module.Names() {
		if strings.HasPrefix(n, "co") {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		t.Fatal("no module starts with co")
	}
	sameSet(t, "doc co<TAB>", got, want)
	got, _ = complete(t, dir, "doc", "")
	sameSet(t, "doc <TAB>", got, module.Names())
	got, _ = complete(t, dir, "play", "site.yaml", "--output", "")
	sameSet(t, "--output <TAB>", got, []string{"text", "json"})
}
