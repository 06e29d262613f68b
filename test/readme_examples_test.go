package test

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
	"sigs.k8s.io/yaml"
)

// The README's text that people copy: the play flag table, the expression
// examples and the helper list must match what the binary does.

// readmeSection returns the README text from the line starting with from
// up to the next line starting with to.
func readmeSection(t *testing.T, from, to string) string {
	t.Helper()
	doc := string(readme(t))
	i := strings.Index(doc, "\n"+from)
	if i < 0 {
		t.Fatalf("README.md: no line starting with %q", from)
	}
	rest := doc[i+1:]
	if j := strings.Index(rest[len(from):], "\n"+to); j >= 0 {
		rest = rest[:len(from)+j]
	}
	return rest
}

// TestReadmeListsEveryPlayFlag checks that every flag of `runbook play
// --help` has a row in the README's flag table, and that the row states
// the flag's default when it has one.
func TestReadmeListsEveryPlayFlag(t *testing.T) {
	table := readmeSection(t, "`runbook play` flags:", "### ")
	help := runbook(t, t.TempDir(), "play", "--help").stdout
	_, flags, ok := strings.Cut(help, "\nFlags:\n")
	if !ok {
		t.Fatalf("no Flags section in play --help:\n%s", help)
	}
	flagRE := regexp.MustCompile(`^\s+(?:-\w, )?--([a-z-]+)`)
	defaultRE := regexp.MustCompile(`\(default "?([^")]+)"?\)$`)
	n := 0
	for _, line := range strings.Split(flags, "\n") {
		m := flagRE.FindStringSubmatch(line)
		if m == nil || m[1] == "help" {
			continue
		}
		n++
		var row string
		for _, r := range strings.Split(table, "\n") {
			if strings.Contains(r, "--"+m[1]+"`") || strings.Contains(r, "--"+m[1]+" ") {
				row = r
				break
			}
		}
		if row == "" {
			t.Errorf("README.md: the play flag table has no row for --%s", m[1])
			continue
		}
		if d := defaultRE.FindStringSubmatch(strings.TrimSpace(line)); d != nil {
			def := strings.TrimPrefix(d[1], "~/")
			if !strings.Contains(row, def) {
				t.Errorf("README.md: the row of --%s does not give its default %q: %s", m[1], d[1], row)
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d flags in play --help; the parsing is wrong:\n%s", n, flags)
	}
}

// TestReadmeExpressionExamples runs the README's expression examples
// (the yaml block of "### Expressions") on a master of the sealer
// Clusterfile the inventory tests use, through the local connection.
func TestReadmeExpressionExamples(t *testing.T) {
	section := readmeSection(t, "### Expressions", "### ")
	_, block, ok := strings.Cut(section, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README.md: no yaml block under ### Expressions")
	}
	var ex map[string]string
	if err := yaml.Unmarshal([]byte(block), &ex); err != nil {
		t.Fatalf("README.md's expression examples are not YAML: %v\n%s", err, block)
	}
	for _, k := range []string{"when", "msg", "loop", "failed_when"} {
		if ex[k] == "" {
			t.Fatalf("README.md's expression examples have no %s: anymore; update this test\n%s", k, block)
		}
	}
	play := []map[string]any{{
		"hosts": "master0", "gather_facts": false,
		"tasks": []map[string]any{
			{"name": "when", "debug": map[string]any{"msg": "selected"}, "when": ex["when"]},
			{"name": "msg", "debug": map[string]any{"msg": ex["msg"]}},
			{"name": "loop", "debug": map[string]any{"msg": "{{ item }}"}, "loop": ex["loop"]},
			{"name": "failed_when", "command": "echo an ERROR here", "register": "result", "failed_when": ex["failed_when"], "ignore_errors": true},
		},
	}}
	pb, err := yaml.Marshal(play)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := os.ReadFile("../inventory/testdata/clusterfile-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := workdir(t, map[string]string{"site.yaml": string(pb), "Clusterfile": string(cf)})
	r := runbook(t, dir, "play", "site.yaml", "-i", "Clusterfile", "-e", "ansible_connection=local", "--output", "json")
	if r.code != 0 {
		t.Fatalf("the README's expression examples do not run:\n%s\nplaybook:\n%s", r, pb)
	}
	got := map[string][]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		if ev["event"] == "host_result" {
			task, _ := ev["task"].(string)
			got[task] = append(got[task], ev)
		}
	}
	status := func(task string) string {
		if len(got[task]) == 0 {
			return "(no result)"
		}
		s, _ := got[task][len(got[task])-1]["status"].(string)
		return s
	}
	if s := status("when"); s != "ok" {
		t.Errorf("when: %q on master0 (a master, registry_ha true): status %s, want ok", ex["when"], s)
	}
	if len(got["msg"]) == 1 {
		if m := got["msg"][0]["result"].(map[string]any)["msg"]; m != float64(5000) {
			t.Errorf("msg: %q = %#v, want the number 5000 (port undefined, and one {{ }} keeps the type)", ex["msg"], m)
		}
	} else {
		t.Errorf("msg: %d results", len(got["msg"]))
	}
	var items []string
	for _, ev := range got["loop"] {
		if it, ok := ev["result"].(map[string]any)["item"].(string); ok {
			items = append(items, it)
		}
	}
	if strings.Join(items, ",") != "192.168.0.3,192.168.0.4" {
		t.Errorf("loop: %q gave items %v, want the masters but master0", ex["loop"], items)
	}
	if s := status("failed_when"); s != "failed" {
		t.Errorf("failed_when: %q on stdout %q: status %s, want failed", ex["failed_when"], "an ERROR here", s)
	}
}

// TestReadmeHelpersExist checks that every helper the README lists can be
// called in a playbook expression: a name expr does not know is refused by
// --syntax-check as an unknown function (or, like contains, an operator).
func TestReadmeHelpersExist(t *testing.T) {
	section := readmeSection(t, "### Expressions", "### ")
	_, list, ok := strings.Cut(section, "Helpers: `")
	list, _, ok2 := strings.Cut(list, "`")
	if !ok || !ok2 {
		t.Fatal("README.md: no Helpers: `...` list under ### Expressions")
	}
	names := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	if len(names) < 30 {
		t.Fatalf("only %d helpers parsed from %q", len(names), list)
	}
	dir := t.TempDir()
	for _, name := range names {
		pb := "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ " + name + "() }}\"}\n"
		if err := os.WriteFile(dir+"/site.yaml", []byte(pb), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runbook(t, dir, "play", "site.yaml", "--syntax-check")
		if strings.Contains(r.stderr, "unknown function") || strings.Contains(r.stderr, "unexpected token") {
			t.Errorf("README.md lists the helper %s, but expressions do not have it: %s", name, strings.TrimSpace(r.stderr))
		}
	}
}

// TestReadmeKeywordLists checks the README's play and task keyword lists
// and meta actions against the parser's.
func TestReadmeKeywordLists(t *testing.T) {
	section := readmeSection(t, "## Playbook language", "### ")
	words := func(after string) map[string]bool {
		_, s, ok := strings.Cut(section, after)
		if !ok {
			t.Fatalf("README.md: no %q in Playbook language", after)
		}
		s, _, _ = strings.Cut(s, "`")
		s = regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(s, "") // loop_control (…), listen (handlers)
		out := map[string]bool{}
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '/' || r == ' ' || r == '\n' }) {
			out[w] = true
		}
		return out
	}
	compare := func(what string, readme map[string]bool, parser []string) {
		for _, k := range parser {
			if !readme[k] {
				t.Errorf("README.md: the %s list lacks %s, which the parser accepts", what, k)
			}
			delete(readme, k)
		}
		for k := range readme {
			t.Errorf("README.md: the %s list has %s, which the parser does not accept", what, k)
		}
	}
	compare("play keyword", words("**Play keywords:** `"), playbook.PlayKeywords())
	tasks := words("**Task keywords:** `")
	tasks["meta"] = true // listed after the list, as `meta:`
	compare("task keyword", tasks, playbook.TaskKeywords())
	compare("meta action", words("and `meta:`\n(`"), playbook.MetaActions)
}

// TestExportedDirectoriesAreNamed checks that every directory `runbook
// playbooks export` writes is named by `playbooks export --help` and by the
// README's registry section.
func TestExportedDirectoriesAreNamed(t *testing.T) {
	dir := t.TempDir()
	if r := runbook(t, dir, "playbooks", "export", "out"); r.code != 0 {
		t.Fatal(r)
	}
	entries, err := os.ReadDir(dir + "/out")
	if err != nil {
		t.Fatal(err)
	}
	help := runbook(t, dir, "playbooks", "export", "--help").stdout
	section := readmeSection(t, "## Registry recovery", "## ")
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name() + "/"
		if !strings.Contains(help, name) {
			t.Errorf("playbooks export --help does not name %s, which the export writes:\n%s", name, help)
		}
		if !strings.Contains(section, name) && !strings.Contains(section, e.Name()) {
			t.Errorf("README.md's registry section does not name %s, which the export writes", name)
		}
	}
	if n < 4 {
		t.Fatalf("the export wrote only %d directories", n)
	}
}
