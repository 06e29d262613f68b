package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/runbook-dev/runbook/runner/report"
)

// progressIntervalEnv overrides how often, at most, plain-text and JSON
// output report the progress of one task on one host (a Go duration).
const progressIntervalEnv = "RUNBOOK_PROGRESS_INTERVAL"

// newReporter builds the reporter of a play run, in the --output format
// (see outputFormats); --timing wraps it in a report.Timer. Call done when the run is
// over: it clears progress bars a failed run may have left.
func newReporter(f *playFlags, stdout, stderr io.Writer, redactor *report.Redactor) (rep report.Reporter, done func(), err error) {
	every := time.Duration(0)
	if v := os.Getenv(progressIntervalEnv); v != "" {
		if every, err = time.ParseDuration(v); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", progressIntervalEnv, err)
		}
		if every <= 0 {
			return nil, nil, fmt.Errorf("%s=%q: want a positive duration such as 10s", progressIntervalEnv, v)
		}
	}
	format, ok := lookupFormat(f.output)
	if !ok {
		return nil, nil, fmt.Errorf("--output must be %s, got %q", formatChoices(), f.output)
	}
	rep, done = format.build(f, stdout, stderr, redactor, every)
	if f.timing {
		rep = report.NewTimer(rep)
	}
	return rep, done, nil
}
