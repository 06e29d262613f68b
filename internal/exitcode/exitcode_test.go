package exitcode_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/runbook-dev/runbook/internal/exitcode"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/playbook"
)

func TestOf(t *testing.T) {
	plain := errors.New("boom")
	pbErr := &playbook.Error{Pos: playbook.Pos{File: "site.yaml", Line: 3}, Msg: "bad"}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitcode.OK},
		{"uncoded", plain, 42},
		{"with", exitcode.With(exitcode.Usage, plain), exitcode.Usage},
		{"wrapped with", fmt.Errorf("ctx: %w", exitcode.With(exitcode.Invalid, plain)), exitcode.Invalid},
		{"outermost wins", exitcode.With(exitcode.Error, exitcode.With(exitcode.Usage, plain)), exitcode.Error},
		{"playbook error", fmt.Errorf("run: %w", pbErr), exitcode.Invalid},
		{"missing var", &runner.MissingVarError{Play: "p"}, exitcode.Usage},
		{"with over playbook error", exitcode.With(exitcode.Error, pbErr), exitcode.Error},
	}
	for _, c := range cases {
		if got := exitcode.Of(c.err, 42); got != c.want {
			t.Errorf("%s: Of = %d, want %d", c.name, got, c.want)
		}
	}
	if exitcode.With(exitcode.Usage, nil) != nil {
		t.Error("With(nil) is not nil")
	}
	e := exitcode.With(exitcode.Usage, plain)
	if e.Error() != "boom" || !errors.Is(e, plain) || exitcode.Cause(e) != plain || exitcode.Cause(plain) != plain {
		t.Errorf("With does not wrap transparently: %v", e)
	}
}
