package closest_test

import (
	"testing"

	"github.com/runbook-dev/runbook/internal/closest"
)

func TestName(t *testing.T) {
	known := []string{"directory", "file", "absent", "template", "lineinfile"}
	cases := map[string]string{
		"dirctory":   "directory",
		"FILE":       "file", // case does not count
		"templat":    "template",
		"linefile":   "lineinfile", // longer names allow three edits
		"nothing":    "",
		"ab":         "", // two edits to a two-letter word is no suggestion
		"absenttttt": "", // four edits is too many
	}
	for in, want := range cases {
		if got := closest.Name(in, known); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
