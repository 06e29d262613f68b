package module_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules" // registers the built-ins the tests look up
)

// TestBindErrorMessages: every argument error names the module and the
// parameter and says what would be accepted.
func TestBindErrorMessages(t *testing.T) {
	cases := []struct {
		module string
		args   map[string]any
		want   []string
	}{
		{"debug", map[string]any{"mgs": "hi"}, []string{`module debug: parameter "mgs": unsupported parameter`, `did you mean "msg"?`, "supported: msg, var, verbosity"}},
		{"copy", map[string]any{"src": "a"}, []string{`module copy: parameter "dest": required parameter is missing`, "'runbook doc copy'"}},
		{"file", map[string]any{"path": "/x", "state": "dirctory"}, []string{`parameter "state": value "dirctory" is not one of: file, directory`, `did you mean "directory"?`}},
		{"file", map[string]any{"path": "/x", "state": "nothing-like-it"}, []string{`is not one of`}},
		{"debug", map[string]any{"verbosity": "lots"}, []string{`parameter "verbosity": must be a whole number, got "lots"`}},
		{"file", map[string]any{"path": "/x", "follow": "maybe"}, []string{`parameter "follow": must be a boolean, got "maybe"`}},
		{"file", map[string]any{"path": "/x", "mode": 999}, []string{`parameter "mode": mode 999 is not octal: quote it, e.g. "0644"`}},
		{"file", map[string]any{"path": "/x", "dest": "/y"}, []string{`given twice`}},
	}
	for _, tc := range cases {
		m, ok := module.Lookup(tc.module)
		if !ok {
			t.Fatalf("no module %s", tc.module)
		}
		_, err := m.Spec().Bind(tc.args, true)
		if err == nil {
			t.Errorf("%s %v: no error", tc.module, tc.args)
			continue
		}
		var ae *module.ArgError
		if !errors.As(err, &ae) {
			t.Errorf("%s %v: %T, want *ArgError", tc.module, tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q lacks %q", tc.module, tc.args, err, w)
			}
		}
		if strings.Contains(err.Error(), "nothing-like-it") && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("a far-off value must get no suggestion: %v", err)
		}
	}
}

// TestArgErrorWrapsItsCause: a module's own validation error stays
// reachable with errors.Is.
func TestArgErrorWrapsItsCause(t *testing.T) {
	cause := errors.New("action dump needs dest_dir")
	err := error(&module.ArgError{Module: "configmap", Err: cause})
	if !errors.Is(err, cause) || err.Error() != "module configmap: action dump needs dest_dir" {
		t.Errorf("got %q (errors.Is %v)", err, errors.Is(err, cause))
	}
}
