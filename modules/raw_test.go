package modules_test

import (
	"strings"
	"testing"
)

func TestRawRunsTheLineAsIs(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		mc := connContext(t, c, nil)
		mc.Env = map[string]string{"RB_RAW_ENV": "set"}
		r := helperMustRun(t, mc, "raw", map[string]any{"free_form": `echo "a  b" | tr a x; echo "env=${RB_RAW_ENV:-unset}"; echo err >&2`})
		// Output is kept as written (trailing newline included); the
		// environment keyword is not applied, as in Ansible.
		if !r.Changed || r.Failed || *r.RC != 0 || r.Stdout != "x  b\nenv=unset\n" || r.Stderr != "err\n" {
			t.Errorf("raw: %+v", r)
		}
		m := r.Map()
		if lines, _ := m["stdout_lines"].([]any); len(lines) != 2 || lines[1] != "env=unset" {
			t.Errorf("stdout_lines: %v", m["stdout_lines"])
		}
		if _, has := m["cmd"]; has {
			t.Error("raw returns no cmd")
		}
		r = helperMustRun(t, mc, "raw", map[string]any{"free_form": "exit 3"})
		if !r.Failed || !r.Changed || *r.RC != 3 || r.Msg != "non-zero return code" {
			t.Errorf("exit 3: %+v", r)
		}
	})
}

func TestRawExecutable(t *testing.T) {
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "raw", map[string]any{"free_form": "echo $0", "executable": "/bin/bash"})
	if strings.TrimSpace(r.Stdout) != "/bin/bash" {
		t.Errorf("executable: %q", r.Stdout)
	}
	if _, err := helperRun(t, mc, "raw", map[string]any{"free_form": "  "}); err == nil || !strings.Contains(err.Error(), "no command given") {
		t.Errorf("empty: %v", err)
	}
}
