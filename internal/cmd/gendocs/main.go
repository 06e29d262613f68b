// Command gendocs regenerates the module reference in README.md from the
// module declarations (`make docs`). With -check it changes nothing and
// exits 1 when the README is out of date.
//
//	go run ./internal/cmd/gendocs [-check] [README.md]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/runbook-dev/runbook/internal/moddoc"
	_ "github.com/runbook-dev/runbook/modules" // registers the built-in modules
)

func main() {
	check := flag.Bool("check", false, "change nothing; exit 1 when the file is out of date")
	flag.Parse()
	path := "README.md"
	if flag.NArg() > 0 {
		path = flag.Arg(0)
	}
	changed, err := update(path, *check)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(2)
	case changed && *check:
		fmt.Fprintf(os.Stderr, "gendocs: the module reference in %s is out of date: run make docs\n", path)
		os.Exit(1)
	case changed:
		fmt.Printf("%s: module reference regenerated\n", path)
	default:
		fmt.Printf("%s: module reference up to date\n", path)
	}
}

// update splices the current module reference into the file at path and
// reports whether that changed it; with check it only reports.
func update(path string, check bool) (bool, error) {
	doc, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	var ref bytes.Buffer
	moddoc.Reference(&ref)
	out, err := moddoc.Splice(doc, ref.Bytes())
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(out, doc) {
		return false, nil
	}
	if check {
		return true, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := os.WriteFile(path, out, st.Mode().Perm()); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	return true, nil
}
