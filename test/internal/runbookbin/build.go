// Package runbookbin builds the runbook binary that the CLI tests (package
// test) and the conformance suite (test/conformance) run as an operator
// would, so both test the same build of the same source tree.
package runbookbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Build compiles ./cmd/runbook of this module into a fresh temporary
// directory. It returns the binary's path and a function that removes the
// directory; call it after the tests (from TestMain).
func Build() (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "runbook-cli-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) } // best effort; the test result is what matters
	bin = filepath.Join(dir, "runbook")
	build := exec.Command("go", "build", "-o", bin, "./cmd/runbook")
	build.Dir = Root()
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building runbook: %w\n%s", err, out)
	}
	return bin, cleanup, nil
}

// Root is the module's root directory (where go.mod is), found from this
// source file's place in it, so tests run from any package directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}
