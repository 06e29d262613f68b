package module_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestContractUsersLinkNoModules: the playbook parser, the output formatter
// and the doc generator know modules through the contract alone, so they
// link neither the built-in modules nor the Kubernetes client those pull in.
func TestContractUsersLinkNoModules(t *testing.T) {
	gobin, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	const repo = "github.com/runbook-dev/runbook/"
	for _, pkg := range []string{"runner/playbook", "runner/report", "internal/moddoc", "module"} {
		out, err := exec.Command(gobin, "list", "-deps", repo+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "k8s.io/") || dep == repo+"modules" {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}

// TestExpressionLanguageIsALeaf: runner/eval, which the template module
// uses for its Jinja2 filters, imports neither the engine nor the modules,
// so no import cycle or upward dependency can form through it.
func TestExpressionLanguageIsALeaf(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	const repo = "github.com/runbook-dev/runbook/"
	out, err := exec.Command(gobin, "list", "-deps", repo+"runner/eval").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps runner/eval: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case repo + "runner", repo + "runner/playbook", repo + "modules", repo + "module", repo + "transport":
			t.Errorf("runner/eval depends on %s", dep)
		}
	}
}
