package main

import (
	"io"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/runner/report"
)

// outputFormat is one value of play --output: how to build its reporter.
type outputFormat struct {
	name string
	doc  string // shown after the name in the flag's help, if any
	// build returns the reporter and what to call when the run is over.
	build func(f *playFlags, stdout, stderr io.Writer, redactor *report.Redactor, progressEvery time.Duration) (report.Reporter, func())
}

// outputFormats are the --output values, the default first. A new format
// is a file with its build function and one line here; the flag's help,
// its validation and its shell completion follow.
var outputFormats = []outputFormat{
	{name: "text", build: newTextReporter},
	{name: "json", doc: "one JSON object per event per line", build: newJSONReporter},
}

// lookupFormat finds the --output value name.
func lookupFormat(name string) (outputFormat, bool) {
	for _, o := range outputFormats {
		if o.name == name {
			return o, true
		}
	}
	return outputFormat{}, false
}

// formatNames lists the --output values.
func formatNames() []string {
	n := make([]string, len(outputFormats))
	for i, o := range outputFormats {
		n[i] = o.name
	}
	return n
}

// formatChoices reads "text or json" (or "a, b or c").
func formatChoices() string {
	n := formatNames()
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// outputFlagHelp is the help of --output: the choices and what they mean.
func outputFlagHelp() string {
	var docs []string
	for _, o := range outputFormats {
		if o.doc != "" {
			docs = append(docs, o.doc)
		}
	}
	help := "output format: " + formatChoices()
	if len(docs) > 0 {
		help += " (" + strings.Join(docs, "; ") + ")"
	}
	return help
}

// newTextReporter is Ansible-shaped text, with progress bars on a terminal
// and plain progress lines elsewhere.
func newTextReporter(f *playFlags, stdout, stderr io.Writer, redactor *report.Redactor, every time.Duration) (report.Reporter, func()) {
	opt := textOptions(stdout, stderr, f.verbosity, redactor)
	opt.ProgressInterval = every
	t := report.NewText(opt)
	return t, func() { _ = t.Close() } // Close cannot fail
}

// newJSONReporter writes one JSON object per event per line.
func newJSONReporter(_ *playFlags, stdout, _ io.Writer, redactor *report.Redactor, every time.Duration) (report.Reporter, func()) {
	j := report.NewJSONLines(stdout, redactor)
	j.SetProgressInterval(every)
	return j, func() {}
}
