package suggest_test

import (
	"testing"

	"github.com/runbook-dev/runbook/internal/suggest"
)

func TestClosestName(t *testing.T) {
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
		if got := suggest.ClosestName(in, known); got != want {
			t.Errorf("ClosestName(%q) = %q, want %q", in, got, want)
		}
	}
}
