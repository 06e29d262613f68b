package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/moddoc"
	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules" // registers the built-ins
)

const readmePath = "../README.md"

func readme(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestReadmeModuleReference fails when README.md's module reference is not
// exactly what `runbook doc --all --markdown` prints now.
func TestReadmeModuleReference(t *testing.T) {
	block, err := moddoc.Between(readme(t))
	if err != nil {
		t.Fatalf("README.md: %v; they must wrap the module reference (then run `make docs`)", err)
	}
	r := runbook(t, t.TempDir(), "doc", "--all", "--markdown")
	if r.code != 0 {
		t.Fatal(r)
	}
	if string(block) != r.stdout {
		t.Fatalf("README.md's module reference is out of date: run `make docs`\n%s", firstDifference(string(block), r.stdout))
	}
}

// firstDifference names the first line where README and generated differ.
func firstDifference(readme, generated string) string {
	a, b := strings.Split(readme, "\n"), strings.Split(generated, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return "first difference at line " + strconv.Itoa(i+1) + " of the reference:\n  README:    " + x + "\n  generated: " + y
		}
	}
	return ""
}

// TestReadmeModuleSummaryTable checks that the hand-grouped table at the top
// of "## Modules" names every module.
func TestReadmeModuleSummaryTable(t *testing.T) {
	doc := string(readme(t))
	start := strings.Index(doc, "\n## Modules\n")
	end := strings.Index(doc, moddoc.BeginMarker)
	if start < 0 || end < start {
		t.Fatal(`README.md: no "## Modules" section before the module reference`)
	}
	summary := doc[start:end]
	for _, name := range module.Names() {
		if !strings.Contains(summary, "`"+name+"`") {
			t.Errorf("README.md: the module summary table does not list `%s`", name)
		}
	}
}

// TestReadmeListsEveryCommand checks that every command of `runbook --help`
// is in the README's command table.
func TestReadmeListsEveryCommand(t *testing.T) {
	doc := string(readme(t))
	help := runbook(t, t.TempDir(), "--help").stdout
	_, cmds, ok := strings.Cut(help, "Available Commands:\n")
	if !ok {
		t.Fatalf("no command list in --help:\n%s", help)
	}
	cmds, _, _ = strings.Cut(cmds, "\n\n")
	for _, line := range strings.Split(cmds, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] == "help" {
			continue
		}
		if !strings.Contains(doc, "| `runbook "+fields[0]) {
			t.Errorf("README.md: the command table has no row for `runbook %s`", fields[0])
		}
	}
}

// TestReadmeMakeDocsRegenerates runs the generator behind `make docs` on a
// copy of the README whose reference is stale.
func TestReadmeMakeDocsRegenerates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generator")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	orig := readme(t)
	stale, err := moddoc.Splice(orig, []byte("### `gone` — a module that no longer exists\n"))
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(copyPath, stale, 0o644); err != nil {
		t.Fatal(err)
	}
	gendocs := func(args ...string) (string, error) {
		cmd := exec.Command("go", append([]string{"run", "./internal/cmd/gendocs"}, args...)...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := gendocs("-check", copyPath)
	if err == nil || !strings.Contains(out, "run make docs") {
		t.Errorf("gendocs -check on a stale README: want failure saying to run make docs, got %v: %s", err, out)
	}
	if out, err := gendocs(copyPath); err != nil {
		t.Fatalf("gendocs: %v: %s", err, out)
	}
	got, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	moddoc.Reference(&want)
	block, err := moddoc.Between(got)
	if err != nil || string(block) != want.String() {
		t.Errorf("gendocs did not write the current reference (err %v)", err)
	}
	before, _, _ := strings.Cut(string(orig), moddoc.BeginMarker)
	_, after, _ := strings.Cut(string(orig), moddoc.EndMarker)
	if !strings.HasPrefix(string(got), before) || !strings.HasSuffix(string(got), after) {
		t.Error("gendocs changed the README outside the markers")
	}
	if _, err := gendocs("-check", copyPath); err != nil {
		t.Errorf("gendocs -check right after regenerating: %v", err)
	}
}

func TestDocAll(t *testing.T) {
	dir := t.TempDir()
	r := runbook(t, dir, "doc", "--all")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, name := range module.Names() {
		if !strings.Contains(r.stdout, "\n"+name+" — ") && !strings.HasPrefix(r.stdout, name+" — ") {
			t.Errorf("doc --all lacks %s", name)
		}
	}
	if r = runbook(t, dir, "doc", "--all", "copy"); r.code != 5 || !strings.Contains(r.stderr, "give no module name") {
		t.Errorf("doc --all copy: want exit 5, got %s", r)
	}
	if r = runbook(t, dir, "doc"); r.code != 5 {
		t.Errorf("doc without a module: want exit 5, got %s", r)
	}
}
