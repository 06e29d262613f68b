package conformance

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/test/internal/runbookbin"
)

// runbookBin is the runbook binary under test, built once by TestMain.
var runbookBin string

func TestMain(m *testing.M) {
	bin, cleanup, err := runbookbin.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runbookBin = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// TestConformance runs every case under cases/, one parallel subtest each:
// runbook always, ansible-playbook when installed (RUNBOOK_REQUIRE_ANSIBLE=1
// makes its absence a failure, as in CI).
func TestConformance(t *testing.T) {
	entries, err := os.ReadDir("cases")
	if err != nil {
		t.Fatal(err)
	}
	ansible := findAnsible(t)
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir, err := filepath.Abs(filepath.Join("cases", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			runCase(t, dir, ansible)
		})
	}
	if n == 0 {
		t.Fatal("no case under cases/")
	}
}

// findAnsible returns the ansible-playbook to compare with: the one
// RUNBOOK_CONFORMANCE_ANSIBLE names (a path; "none" runs runbook only),
// else the one on PATH; "" when there is none.
func findAnsible(t *testing.T) string {
	name := os.Getenv("RUNBOOK_CONFORMANCE_ANSIBLE")
	if name == "none" {
		t.Log("RUNBOOK_CONFORMANCE_ANSIBLE=none: runbook is checked against each case's conformance.yml only")
		return ""
	}
	if name == "" {
		name = "ansible-playbook"
	}
	path, err := exec.LookPath(name)
	switch {
	case err == nil:
		return path
	case os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1":
		t.Fatalf("%s not found (RUNBOOK_REQUIRE_ANSIBLE=1)", name)
	case name != "ansible-playbook":
		t.Fatalf("RUNBOOK_CONFORMANCE_ANSIBLE=%s: %v", name, err)
	}
	t.Log("ansible-playbook not installed: runbook is checked against each case's conformance.yml only")
	return ""
}

// runCase plays the case in dir with runbook and, when ansible is not
// empty, with ansible-playbook, and checks what conformance.yml and
// README.md promise. On failure it shows every run's output.
func runCase(t *testing.T, dir, ansible string) {
	s, err := loadSpec(dir)
	noRecap := errors.Is(err, errNoRecap)
	if err != nil && !noRecap {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "site.yml")); err != nil {
		t.Fatalf("a case is a directory with site.yml: %v", err)
	}
	sides := []*side{play(t, runbookTool(runbookBin, s.Args), dir)}
	if ansible != "" {
		sides = append(sides, play(t, ansibleTool(ansible, s.Args), dir))
	}
	defer func() {
		if t.Failed() {
			for _, sd := range sides {
				for _, r := range sd.runs {
					t.Log(r.String())
				}
			}
		}
	}()
	for _, sd := range sides {
		checkSide(t, s, sd)
	}
	if noRecap {
		last := sides[len(sides)-1] // Ansible's when it ran: the oracle
		t.Errorf("%s/conformance.yml has no recap:; when the case is right, record %s's:\n%s", filepath.Base(dir), last.tool, recapYAML(last.runs[0].recap))
	}
	if len(sides) == 2 {
		compareSides(t, s, sides[0], sides[1])
	}
}

// goPanic matches what a Go panic or a failed type assertion prints.
var goPanic = regexp.MustCompile(`(?m)^panic: |^goroutine \d+ \[|interface conversion: `)

// checkSide checks one tool's two runs against the case's expectations.
func checkSide(t *testing.T, s spec, sd *side) {
	t.Helper()
	for _, r := range sd.runs {
		if r.rc != s.ExpectRC {
			t.Errorf("%s: exit %d, want %d (expect_rc)", r.label, r.rc, s.ExpectRC)
		}
		if r.err != nil {
			t.Errorf("%s: %v", r.label, r.err)
		}
		if sd.tool == "runbook" && goPanic.MatchString(r.output) {
			t.Errorf("%s: a Go panic or runtime error text reached the user", r.label)
		}
	}
	if s.Recap != nil && sd.runs[0].recap != nil {
		if d := compareRecaps(sd.runs[0].recap, s.Recap); d != nil {
			t.Errorf("%s: recap differs from conformance.yml's:\n  %s", sd.runs[0].label, joinRecapDiffs(d))
		}
	}
	if s.NotIdempotent != "" {
		return
	}
	if c := changedHosts(sd.runs[1].recap); c != nil {
		t.Errorf("%s changed something (%s); a case whose second run changes by design says why in not_idempotent:", sd.runs[1].label, strings.Join(c, ", "))
	}
	if d := diffTrees(sd.trees[0], sd.trees[1], s.ignored, "first run", "second run"); d != nil {
		t.Errorf("%s: the second run changed the files under out:\n%s", sd.tool, joinPathDiffs(d))
	}
}

// compareSides checks that runbook (a) and ansible-playbook (b) gave the
// same recaps and wrote the same trees, run by run, but for the case's
// known differences, each of which must still be seen: an entry of
// differs: that no longer differs is an error, so it is removed once fixed.
func compareSides(t *testing.T, s spec, a, b *side) {
	t.Helper()
	seen := make([]bool, len(s.Differs))
	known := func(p, host, k string) bool {
		i := s.knownDifference(p, host, k)
		if i >= 0 {
			seen[i] = true
		}
		return i >= 0
	}
	for i := range a.runs {
		if a.runs[i].recap != nil && b.runs[i].recap != nil {
			var left []recapDiff
			for _, d := range compareRecaps(a.runs[i].recap, b.runs[i].recap) {
				if d.k == "" || !known("", d.host, d.k) {
					left = append(left, d)
				}
			}
			if left != nil {
				t.Errorf("%s: recap differs from %s's:\n  %s", a.runs[i].label, b.tool, joinRecapDiffs(left))
			}
		}
		var left []pathDiff
		for _, d := range diffTrees(a.trees[i], b.trees[i], s.ignored, a.tool, b.tool) {
			if !known(d.path, "", "") {
				left = append(left, d)
			} else {
				t.Logf("known difference (conformance.yml differs:): %s", d.text)
			}
		}
		if left != nil {
			t.Errorf("after the %s, the files under out differ:\n%s", []string{"first run", "second run"}[i], joinPathDiffs(left))
		}
	}
	for i, ok := range seen {
		if !ok {
			d := s.Differs[i]
			t.Errorf("conformance.yml differs: %s%s no longer differs between the tools: remove the entry", d.Path, d.Recap)
		}
	}
}

func joinRecapDiffs(ds []recapDiff) string {
	texts := make([]string, len(ds))
	for i, d := range ds {
		texts[i] = d.text
	}
	return strings.Join(texts, "\n  ")
}

func joinPathDiffs(ds []pathDiff) string {
	texts := make([]string, len(ds))
	for i, d := range ds {
		texts[i] = d.text
	}
	return strings.Join(texts, "\n")
}
