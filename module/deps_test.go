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
