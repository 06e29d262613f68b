package modules_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// A .j2 source is Jinja2, over every connection: rendered with the task's
// variables, trim_blocks on by default and off on request, idempotent; an
// undefined variable is an error naming the template, never an empty value.
func TestTemplateJinja2(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		pb, dir := t.TempDir(), t.TempDir()
		writeString(t, filepath.Join(pb, "templates", "hosts.j2"), "{% for h in hosts %}\n{{ h | upper }}\n{% endfor %}\n", 0o644)
		mc := templateContext(t, c, pb, map[string]any{"hosts": []any{"a", "b"}})
		dest := filepath.Join(dir, "hosts")
		runTwiceAndCheck(t, mc, dir, "template", map[string]any{"src": "hosts.j2", "dest": dest})
		if got := readString(t, dest); got != "A\nB\n" {
			t.Errorf("trim_blocks: rendered %q", got)
		}
		helperMustRun(t, mc, "template", map[string]any{"src": "hosts.j2", "dest": dest, "trim_blocks": false})
		if got := readString(t, dest); got != "\nA\n\nB\n" { // ansible-core 2.14's output
			t.Errorf("trim_blocks false: rendered %q", got)
		}

		writeString(t, filepath.Join(pb, "templates", "bad.j2"), "x={{ nope }}\n", 0o644)
		_, err := helperRun(t, mc, "template", map[string]any{"src": "bad.j2", "dest": filepath.Join(dir, "bad")})
		if err == nil || !strings.Contains(err.Error(), "bad.j2") || !strings.Contains(err.Error(), "nope") {
			t.Errorf("an undefined variable must fail naming the template and the variable, got %v", err)
		}
	})
}
